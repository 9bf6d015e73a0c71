import { serve } from '@hono/node-server';
import type { Config } from '../../config/load-config.js';
import type { Store } from '../../store/database.js';
import { apiKeyStore } from '../../store/api-key-repository.js';
import { eventStore } from '../../store/event-repository.js';
import { settingsStore } from '../../store/settings-repository.js';
import { createApp } from '../../server/app.js';
import { print } from '../context.js';

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
  await new Promise<void>((resolve) => {
    const server = serve({ fetch: app.fetch, port: config.port, hostname: config.host }, (info) => {
      print(`Patron API listening on http://${config.host}:${info.port} (database ${store.dialect})`);
      print(`OpenAPI document: http://${config.host}:${info.port}/v1/openapi.json`);
    });
    const stop = () => server.close(() => resolve());
    process.once('SIGINT', stop);
    process.once('SIGTERM', stop);
  });
}
