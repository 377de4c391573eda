import type { Router } from '@koa/router';
import { messageOf } from '../../errors.js';
import type { HttpDeps } from '../deps.js';
import { sendJson } from '../respond.js';

/** Liveness and what backs this process; 503 when the database does not answer. */
export function healthRoutes(router: Router, deps: HttpDeps): void {
  router.get('/healthz', async (ctx) => {
    let database = 'ok';
    try {
      await deps.db.query('SELECT 1');
    } catch (err) {
      database = messageOf(err);
    }
    sendJson(ctx, database === 'ok' ? 200 : 503, {
      status: database === 'ok' ? 'ok' : 'degraded',
      database: { kind: deps.db.kind, status: database },
      cache: { kind: deps.cache.kind, ...deps.cache.stats() },
      artifacts: deps.artifacts.mode,
    });
  });
}
