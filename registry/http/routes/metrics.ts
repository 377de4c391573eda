import type { Router } from '@koa/router';
import { RegistryError } from '../../errors.js';
import { bearerToken, sameSecret } from '../auth.js';
import type { HttpDeps } from '../deps.js';

/** Prometheus scrapes: open, or behind METRICS_TOKEN (compared in constant time). */
export function metricsRoutes(router: Router, deps: HttpDeps): void {
  router.get('/metrics', async (ctx) => {
    if (deps.metricsToken !== undefined) {
      const token = bearerToken(ctx);
      if (token === undefined || !sameSecret(token, deps.metricsToken)) {
        throw new RegistryError(
          'UNAUTHORIZED',
          '/metrics needs "Authorization: Bearer METRICS_TOKEN" on this registry',
          { hint: "set bearer_token (or authorization.credentials) in Prometheus's scrape config" },
        );
      }
    }
    const text = await deps.metrics.text();
    ctx.status = 200;
    ctx.set('Cache-Control', 'no-store');
    ctx.type = deps.metrics.contentType;
    ctx.body = text;
  });
}
