import type { Router } from '@koa/router';
import type { HttpDeps } from './deps.js';
import { serveRead, type ReadRoute } from './reads.js';
import { ASSET_READS } from './routes/assets.js';
import { DEFINITION_READS } from './routes/definitions.js';

/** Every cached read route: the Koa routes and the fast path are both made from this table. */
export const READ_ROUTES: readonly ReadRoute[] = [...ASSET_READS, ...DEFINITION_READS];

export function readRoutes(router: Router, deps: HttpDeps): void {
  for (const route of READ_ROUTES) serveRead(router, deps, route);
}
