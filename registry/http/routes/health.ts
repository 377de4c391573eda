import type { Router } from '@koa/router';
import type { Context } from 'koa';
import { pendingMigrations, readMigrations, type Migration } from '../../db/migrate.js';
import { registryOverview } from '../../status.js';
import { authorize } from '../auth.js';
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

  // The process answers: nothing else is asked (a restart would not fix a dependency).
  // `bonsai registry status` through a running server (embedded mode): admins only.
  router.get('/api/v1/registry/status', async (ctx) => {
    await authorize(ctx, deps, 'admin');
    sendJson(ctx, 200, await registryOverview(deps.db));
  });

  router.get('/livez', (ctx) => sendJson(ctx, 200, { status: 'ok' }));

  let shipped: Promise<Migration[]> | undefined;
  router.get('/readyz', async (ctx) => {
    shipped ??= readMigrations();
    const checks = await readiness(ctx, deps, await shipped);
    const failing = Object.entries(checks)
      .filter(([name, check]) => name !== 'cache' && check.status !== 'ok' && check.status !== 'unknown')
      .map(([name]) => name);
    const status = failing.length > 0 ? 'unavailable' : checks.cache.status === 'ok' ? 'ok' : 'degraded';
    sendJson(ctx, failing.length > 0 ? 503 : 200, {
      status,
      ...(failing.length > 0 ? { failing } : {}),
      checks,
    });
  });
}

interface Check {
  status: string;
  [detail: string]: unknown;
}

/**
 * The database must answer and carry every migration this build ships (a replica of a newer build
 * waits for them); the cache only degrades answers (reads go to the database), so it never fails.
 */
async function readiness(
  ctx: Context,
  deps: HttpDeps,
  migrations: Migration[],
): Promise<{ database: Check; migrations: Check; cache: Check }> {
  const requestId = ctx.state.requestId as string;
  let database: Check = { status: 'ok', kind: deps.db.kind };
  let schema: Check = { status: 'unknown' };
  try {
    const pending = await pendingMigrations(deps.db, migrations);
    schema = pending.length === 0 ? { status: 'ok' } : { status: 'pending', pending };
  } catch (err) {
    deps.logger.error({ requestId, err }, 'readiness: the database does not answer');
    database = {
      status: 'unavailable',
      kind: deps.db.kind,
      detail: `request id ${requestId}; see the registry log`,
    };
  }
  const problem = deps.cache.check ? await deps.cache.check() : undefined;
  if (problem) deps.logger.warn({ requestId, cache: problem }, 'readiness: the cache is unavailable');
  const cache: Check = problem
    ? { status: 'unavailable', kind: deps.cache.kind, detail: problem }
    : { status: 'ok', kind: deps.cache.kind };
  return { database, migrations: schema, cache };
}
