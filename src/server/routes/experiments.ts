/** GET /v1/experiments/{id} (scope read): the experiment with its report (uplift, save rate, ROI, power). */
import type { Hono } from 'hono';
import { experimentReport } from '../../app/experiment-report.js';
import type { AppDeps } from '../app.js';
import { problem } from '../errors.js';
import type { Authenticate } from '../http.js';

export function experimentRoutes(app: Hono, deps: AppDeps, authenticate: Authenticate): void {
  app.get('/v1/experiments/:id', async (c) => {
    const auth = await authenticate(c, 'read');
    if (!auth.ok) return auth.response;
    const target = c.req.query('targetLift');
    let targetLift: number | undefined;
    if (target !== undefined) {
      targetLift = Number(target);
      if (!(targetLift > 0 && targetLift < 1)) {
        return problem(c, 400, 'targetLift must be an absolute lift between 0 and 1.', [
          { path: 'targetLift', message: 'must be a number in (0, 1), e.g. 0.02 for two points' },
        ]);
      }
    }
    const view = await experimentReport(deps.store.db, c.req.param('id'), deps.now(), {
      ...(targetLift !== undefined ? { targetLift } : {}),
    });
    if (!view) return problem(c, 404, `No experiment with id "${c.req.param('id')}".`);
    return c.json(view);
  });
}
