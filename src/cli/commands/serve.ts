import { serve } from '@hono/node-server';
import type { Config } from '../../config/load-config.js';
import type { Store } from '../../store/database.js';
import { apiKeyStore } from '../../store/api-key-repository.js';
import { eventStore } from '../../store/event-repository.js';
import { settingsStore } from '../../store/settings-repository.js';
import { createApp } from '../../server/app.js';
import { print } from '../context.js';
import { runEventDecisions } from './decide.js';
import { runLoyalty } from './loyalty.js';

/**
 * How often the server turns newly ingested events into points, runs the ledger's jobs, and acts
 * on the orders placed and delivered since (decisions and their messages, exactly once).
 */
const LOYALTY_EVERY_MS = 5000;
const EVENT_LOOKBACK_HOURS = 48;

/** Serves the HTTP API until SIGINT/SIGTERM, then drains in-flight requests and closes the database. */
export async function runServer(store: Store, config: Config): Promise<void> {
  const app = createApp({
    store,
    events: eventStore(store),
    settings: settingsStore(store),
    keys: apiKeyStore(store),
    now: () => new Date(),
    maxBodyBytes: config.maxBodyBytes,
  });
  // Near-real-time loyalty: every few seconds, new events become points (exactly once, so several
  // servers may run this side by side) and due lots are released or expired.
  let running: Promise<unknown> | null = null;
  const tick = setInterval(() => {
    if (running) return;
    const fail = (what: string) => (e: unknown) => {
      process.stderr.write(`${what}: ${e instanceof Error ? e.message : String(e)}\n`);
    };
    running = runLoyalty(store, { quiet: true })
      .catch(fail('loyalty'))
      .then(() =>
        runEventDecisions(store, {
          now: new Date(),
          lookbackHours: EVENT_LOOKBACK_HOURS,
        }),
      )
      .catch(fail('decisions'))
      .finally(() => {
        running = null;
      });
  }, LOYALTY_EVERY_MS);
  await new Promise<void>((resolve) => {
    const server = serve({ fetch: app.fetch, port: config.port, hostname: config.host }, (info) => {
      print(`Patron API listening on http://${config.host}:${info.port} (database ${store.dialect})`);
      print(`OpenAPI document: http://${config.host}:${info.port}/v1/openapi.json`);
    });
    const stop = () => {
      clearInterval(tick);
      server.close(() => void (running ?? Promise.resolve()).then(() => resolve()));
    };
    process.once('SIGINT', stop);
    process.once('SIGTERM', stop);
  });
}
