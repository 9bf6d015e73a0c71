/** The real sender for the loop: the outbox worker, SMTP to a local `smtp-server`, the default templates. */
import { runSender } from '../../src/app/send-messages.js';
import { emailChannel } from '../../src/channels/email.js';
import { fileChannel } from '../../src/channels/file.js';
import { loadRenderer } from '../../src/channels/templates/render.js';
import type { Store } from '../../src/store/database.js';
import { outboxWorkerStore } from '../../src/store/outbox-repository.js';

export async function loopSender(
  store: Store,
  smtpUrl: string,
  fileDir: string,
): Promise<(until: Date) => Promise<number>> {
  const renderer = await loadRenderer({ storeName: 'Synthetic Store', storeUrl: 'https://store.example' });
  const email = emailChannel({
    url: smtpUrl,
    from: 'Synthetic Store <hello@store.example>',
    maxConnections: 4,
    timeoutMs: 10_000,
  });
  const files = fileChannel({ dir: fileDir, from: 'hello@store.example' });
  return async (until) => {
    const s = await runSender(
      {
        outbox: outboxWorkerStore(store),
        channels: { email, sms: files, push: files, webhook: files, console: files },
        renderer,
      },
      { untilEmpty: true, now: () => until, batchSize: 64, concurrency: 4, sendTimeoutMs: 10_000, pollMs: 1 },
    );
    return s.sent;
  };
}
