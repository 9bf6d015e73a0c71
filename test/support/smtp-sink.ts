/**
 * A real SMTP server (the `smtp-server` package) on a random local port that keeps every message
 * it accepts, with its Message-ID — the receiving end of the outbox tests and benchmarks.
 * `reject(address)` can answer a recipient with a temporary (451) or permanent (550) error.
 */
import { SMTPServer } from 'smtp-server';
import type { AddressInfo } from 'node:net';

export interface ReceivedMail {
  readonly messageId: string;
  readonly to: string;
  readonly raw: string;
}

export interface SmtpSink {
  readonly url: string;
  readonly received: ReceivedMail[];
  /** Count of accepted messages per Message-ID. */
  counts(): Map<string, number>;
  reject(address: string, code: 451 | 550): void;
  close(): Promise<void>;
}

export async function startSmtpSink(options: { keepRaw?: boolean } = {}): Promise<SmtpSink> {
  const received: ReceivedMail[] = [];
  const rejects = new Map<string, number>();
  const server = new SMTPServer({
    authOptional: true,
    disabledCommands: ['STARTTLS', 'AUTH'],
    logger: false,
    disableReverseLookup: true,
    size: 10 * 1024 * 1024,
    onRcptTo(address, _session, callback) {
      const code = rejects.get(address.address.toLowerCase());
      if (code) {
        const e = new Error(code === 451 ? 'try again later' : 'no such user') as Error & {
          responseCode: number;
        };
        e.responseCode = code;
        return callback(e);
      }
      callback();
    },
    onData(stream, session, callback) {
      const parts: Buffer[] = [];
      stream.on('data', (b: Buffer) => parts.push(b));
      stream.on('end', () => {
        const raw = Buffer.concat(parts).toString('utf8');
        const head = raw.slice(0, raw.indexOf('\r\n\r\n') > 0 ? raw.indexOf('\r\n\r\n') : 4000);
        const id = /^message-id:\s*(<[^>]+>)/im.exec(head)?.[1] ?? '';
        received.push({
          messageId: id,
          to: session.envelope.rcptTo.map((r) => r.address).join(','),
          raw: options.keepRaw === false ? '' : raw,
        });
        callback();
      });
    },
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  const port = (server.server.address() as AddressInfo).port;
  return {
    url: `smtp://127.0.0.1:${port}`,
    received,
    counts() {
      const m = new Map<string, number>();
      for (const r of received) m.set(r.messageId, (m.get(r.messageId) ?? 0) + 1);
      return m;
    },
    reject(address, code) {
      rejects.set(address.toLowerCase(), code);
    },
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
