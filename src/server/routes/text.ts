/**
 * Text routes: `POST /v1/text/analyze` (sentiment and themes of any text, on demand) and
 * `GET /v1/text/themes` (theme trends by month, per product, with the complaints that rose).
 * Both need the `read` scope.
 */
import type { Hono } from 'hono';
import { bodyLimit } from 'hono/body-limit';
import { analyzeRequest, analyzeRequestSchema, themesQuerySchema, themesReport } from '../../app/text.js';
import { textAnalyzer } from '../../app/text-analyzer.js';
import { formatIssuePath } from '../../domain/events/normalize.js';
import { textStore } from '../../store/text-repository.js';
import type { AppDeps } from '../app.js';
import { problem } from '../errors.js';
import type { Authenticate } from '../http.js';
import { readJson } from '../http.js';

/** Largest `POST /v1/text/analyze` body: 1,000 texts of a few hundred characters each. */
export const MAX_ANALYZE_BODY_BYTES = 2_000_000;

type Issue = { path: PropertyKey[]; message: string; code: string; keys?: string[] };

/** zod issues as problem-details errors, each naming its field ("texts[3]", "theme", an unknown key). */
function issues(list: readonly Issue[], root: string): Array<{ path: string; message: string }> {
  return list.flatMap((i) => {
    if (i.code === 'unrecognized_keys' && i.keys) {
      return i.keys.map((k) => ({
        path: k,
        message: `is not a known ${root === 'query' ? 'parameter' : 'field'}`,
      }));
    }
    const path = formatIssuePath(i.path.map((p) => (typeof p === 'number' ? p : String(p))));
    if (path === '' && i.code === 'invalid_type') return [{ path: root, message: 'must be a JSON object' }];
    return [{ path: path || root, message: i.message }];
  });
}

export function textRoutes(app: Hono, deps: AppDeps, authenticate: Authenticate): void {
  const texts = textStore(deps.store);
  const limit = bodyLimit({
    maxSize: MAX_ANALYZE_BODY_BYTES,
    onError: (c) =>
      problem(
        c,
        413,
        `The body is larger than ${MAX_ANALYZE_BODY_BYTES} bytes; send fewer texts per request.`,
      ),
  });

  app.post('/v1/text/analyze', limit, async (c) => {
    const auth = await authenticate(c, 'read');
    if (!auth.ok) return auth.response;
    const parsed = await readJson(c);
    if (!parsed.ok) return parsed.response;
    const request = analyzeRequestSchema.safeParse(parsed.body);
    if (!request.success) {
      return problem(
        c,
        400,
        'Send {"text": "…"} or {"texts": ["…", …]}; nothing was analysed.',
        issues(request.error.issues as Issue[], 'body'),
      );
    }
    return c.json(analyzeRequest(textAnalyzer(), request.data));
  });

  app.get('/v1/text/themes', async (c) => {
    const auth = await authenticate(c, 'read');
    if (!auth.ok) return auth.response;
    const query = themesQuerySchema.safeParse(c.req.query());
    if (!query.success) {
      return problem(c, 400, 'The query is invalid.', issues(query.error.issues as Issue[], 'query'));
    }
    const report = await themesReport(texts, query.data, deps.now());
    if (!report.ok) {
      return problem(c, 400, 'The query is invalid.', [
        { path: report.error.path, message: report.error.message },
      ]);
    }
    return c.json(report.value);
  });
}
