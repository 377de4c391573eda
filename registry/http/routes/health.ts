import type { Router } from '@koa/router';
import type { HttpDeps } from '../deps.js';
import { sendJson } from '../respond.js';

/**
 * Liveness and what backs this process; 503 when the database does not answer. Anyone may call it, so
 * a failure's detail (which names hosts and ports) goes to the log under the request id, not the body.
 */
export function healthRoutes(router: Router, deps: HttpDeps): void {
  router.get('/healthz', async (ctx) => {
    let database = 'ok';
    try {
      await deps.db.query('SELECT 1');
    } catch (err) {
      const requestId = ctx.state.requestId as string;
      deps.logger.error({ requestId, err }, 'health check: the database does not answer');
      database = `unavailable (request id ${requestId}; see the registry log)`;
    }
    sendJson(ctx, database === 'ok' ? 200 : 503, {
      status: database === 'ok' ? 'ok' : 'degraded',
      database: { kind: deps.db.kind, status: database },
      cache: { kind: deps.cache.kind, ...deps.cache.stats() },
      artifacts: deps.artifacts.mode,
    });
  });
}
