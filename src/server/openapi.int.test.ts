import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase, DATABASES, type TestDatabase } from '../../test/support/databases.js';
import { apiKeyStore } from '../store/api-key-repository.js';
import { eventStore } from '../store/event-repository.js';
import { settingsStore } from '../store/settings-repository.js';
import { createApp } from './app.js';

interface Operation {
  summary?: string;
  tags?: string[];
  security?: unknown[];
  parameters?: Array<{ name: string; in: string; required?: boolean }>;
  responses?: Record<string, unknown>;
}
type Document = { paths: Record<string, Record<string, Operation>> };

const METHODS = ['get', 'put', 'post', 'delete', 'options', 'head', 'patch', 'trace'];

/** Hono's `/v1/customers/:id` in OpenAPI's spelling, `/v1/customers/{id}`. */
const openApiPath = (honoPath: string): string => honoPath.replace(/:([A-Za-z0-9_]+)/g, '{$1}');

describe.each(DATABASES)('the OpenAPI document on %s', (dialect) => {
  let t: TestDatabase;
  let app: ReturnType<typeof createApp>;
  let doc: Document;

  beforeAll(async () => {
    t = await createTestDatabase(dialect);
    app = createApp({
      store: t.store,
      events: eventStore(t.store),
      settings: settingsStore(t.store),
      keys: apiKeyStore(t.store),
      now: () => new Date('2025-05-02T00:00:00Z'),
      maxBodyBytes: 50_000,
      log: () => {},
    });
    const res = await app.request('/v1/openapi.json');
    expect(res.status).toBe(200);
    doc = (await res.json()) as Document;
  });
  afterAll(async () => {
    await t.drop();
  });

  /** Every method + path the app answers (a route with a body-limit middleware is listed once). */
  const registered = (): string[] => [
    ...new Set(
      app.routes
        .filter((r) => r.method !== 'ALL')
        .map((r) => `${r.method.toLowerCase()} ${openApiPath(r.path)}`),
    ),
  ];

  const documented = (): string[] =>
    Object.entries(doc.paths).flatMap(([path, item]) =>
      Object.keys(item)
        .filter((k) => METHODS.includes(k))
        .map((method) => `${method} ${path}`),
    );

  it('documents every route the app registers, with its method', () => {
    const routes = registered();
    expect(routes.length).toBeGreaterThan(40);
    const missing = routes.filter((r) => !documented().includes(r));
    expect(missing).toEqual([]);
  });

  it('documents no operation the app does not answer', () => {
    const routes = registered();
    expect(documented().filter((op) => !routes.includes(op))).toEqual([]);
  });

  it('gives every operation a summary, a tag, security, a success answer and its path parameters', () => {
    const faults: string[] = [];
    for (const [path, item] of Object.entries(doc.paths)) {
      for (const [method, op] of Object.entries(item)) {
        if (!METHODS.includes(method)) continue;
        const name = `${method} ${path}`;
        if (!op.summary) faults.push(`${name}: no summary`);
        if (!op.tags?.length) faults.push(`${name}: no tag`);
        if (!Array.isArray(op.security)) faults.push(`${name}: no security (use [] for none)`);
        if (!Object.keys(op.responses ?? {}).some((code) => /^2\d\d$/.test(code)))
          faults.push(`${name}: no 2xx response`);
        for (const [, param] of path.matchAll(/\{([^}]+)\}/g)) {
          const p = op.parameters?.find((x) => x.in === 'path' && x.name === param);
          if (!p?.required) faults.push(`${name}: path parameter ${param} not declared as required`);
        }
      }
    }
    expect(faults).toEqual([]);
  });

  it('describes the 401 of every authenticated operation as problem details', () => {
    const faults: string[] = [];
    for (const [path, item] of Object.entries(doc.paths)) {
      for (const [method, op] of Object.entries(item)) {
        if (!METHODS.includes(method) || !op.security?.length) continue;
        const unauthorized = op.responses?.['401'] as
          { content?: Record<string, { schema?: { $ref?: string } }> } | undefined;
        if (
          unauthorized?.content?.['application/problem+json']?.schema?.$ref !== '#/components/schemas/Problem'
        )
          faults.push(`${method} ${path}`);
      }
    }
    expect(faults).toEqual([]);
  });

  it('derives query parameters from the schemas the routes validate with', () => {
    const limit = doc.paths['/v1/advocates']?.get?.parameters?.find((p) => p.name === 'limit');
    expect(limit).toMatchObject({ in: 'query', required: false, schema: { minimum: 1, maximum: 1000 } });
    const since = doc.paths['/v1/segments/transitions']?.get?.parameters?.find((p) => p.name === 'since');
    expect(since).toMatchObject({ in: 'query', required: true });
  });
});
