import { randomUUID } from 'node:crypto';
import { Router } from '@koa/router';
import Koa, { type Context, type Next } from 'koa';
import { NOT_FOUND_MESSAGE, RegistryError, isRegistryError } from '../errors.js';
import { assertCleanTarget } from './clean-input.js';
import { logRequest } from '../logger.js';
import { hideAddresses } from './redact.js';
import type { HttpDeps } from './deps.js';
import { sendError } from './respond.js';
import { artifactRoutes } from './routes/artifacts.js';
import { assetRoutes } from './routes/assets.js';
import { healthRoutes } from './routes/health.js';
import { keyRoutes } from './routes/keys.js';
import { metricsRoutes } from './routes/metrics.js';
import { readRoutes } from './read-table.js';
import { triggerRoutes } from './routes/triggers.js';
import { htmlNotFound, isForPeople, sendBadRequestPage, webRoutes } from '../web/routes.js';

/** A client's X-Request-Id is kept when it looks like an id; otherwise one is made. */
export function requestIdFor(given: string | undefined): string {
  return given !== undefined && /^[\w.:-]{1,128}$/.test(given) ? given : randomUUID();
}

/**
 * Request id, one log line per request (pino, secrets redacted), and Bonsai's error bodies for every
 * failure, including unknown routes.
 */
function requestScope(deps: HttpDeps) {
  return async (ctx: Context, next: Next) => {
    const requestId = requestIdFor(ctx.get('X-Request-Id') || undefined);
    ctx.state.requestId = requestId;
    ctx.set('X-Request-Id', requestId);
    const started = process.hrtime.bigint();
    try {
      // Bad bytes never reach a route, the cache or the database.
      assertCleanTarget(ctx.url);
      await next();
      if (ctx.status === 404 && (ctx.body === undefined || ctx.body === null))
        sendError(ctx, 'NOT_FOUND', [NOT_FOUND_MESSAGE]);
    } catch (err) {
      if (isRegistryError(err) && err.code === 'DATABASE_FAILED') {
        // The driver's detail (hosts, ports) is for the log, not for clients.
        deps.logger.error({ requestId, err }, err.message);
        sendError(ctx, 'DATABASE_FAILED', [
          `the registry's database is unavailable (request id ${requestId}); try again later`,
        ]);
      } else if (isRegistryError(err) && err.code === 'INVALID_DATA' && isForPeople(ctx)) {
        // A browser that typed a bad address gets a page that says so (the API keeps its JSON).
        sendBadRequestPage(ctx, deps.urls.publicUrl, err.message);
      } else if (isRegistryError(err)) {
        if (err.status >= 500) deps.logger.error({ requestId, err }, err.message);
        // Failures of a service may name its address: the log has them, the client gets the request id.
        const messages = err.hint ? [err.message, err.hint] : [err.message];
        sendError(
          ctx,
          err.code,
          err.status >= 500 ? [...messages.map(hideAddresses), `request id ${requestId}`] : messages,
        );
        if (err.code === 'METHOD_NOT_ALLOWED' && ctx.state.allow) ctx.set('Allow', ctx.state.allow);
      } else {
        deps.logger.error({ requestId, err }, 'request failed');
        sendError(ctx, 'INTERNAL', [`internal error (request id ${requestId}); see the registry log`]);
      }
    } finally {
      const ms = Number(process.hrtime.bigint() - started) / 1e6;
      logRequest(deps.logger, { requestId, method: ctx.method, path: ctx.path, status: ctx.status, ms });
      deps.metrics.request(routeTemplate(ctx), metricMethod(ctx.method), ctx.status, ms / 1e3);
    }
  };
}

/** The router's template of the matched route (never the raw path: bounded label values). */
function routeTemplate(ctx: Context): string {
  const matched = (ctx as Context & { _matchedRoute?: unknown })._matchedRoute;
  return typeof matched === 'string' ? matched : '(unmatched)';
}

const KNOWN_METHODS = new Set(['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS']);

/** Any other method (PROPFIND, made-up ones) is one label value. */
export function metricMethod(method: string): string {
  return KNOWN_METHODS.has(method) ? method : 'OTHER';
}

export function createApp(deps: HttpDeps): Koa {
  const app = new Koa();
  app.proxy = true;
  // Errors are answered and logged by requestScope; Koa's own printer would only repeat them.
  app.silent = true;
  const router = new Router();
  // First: it answers browsers on routes it shares with assetRoutes and passes everyone else on.
  webRoutes(router, deps);
  readRoutes(router, deps);
  assetRoutes(router, deps);
  triggerRoutes(router, deps);
  keyRoutes(router, deps);
  artifactRoutes(router, deps);
  healthRoutes(router, deps);
  metricsRoutes(router, deps);
  app.use(requestScope(deps));
  app.use(htmlNotFound(deps));
  app.use(router.routes());
  app.use(methodNotAllowed());
  return app;
}

/**
 * A known path asked with a method it does not answer: 405 in Bonsai's JSON error shape with `Allow`
 * (TRACE, PROPFIND and friends included); OPTIONS lists the methods.
 */
function methodNotAllowed() {
  return async (ctx: Context, next: Next) => {
    await next();
    const matched = (ctx as Context & { matched?: { methods: string[] }[] }).matched ?? [];
    if (matched.length === 0 || (ctx.status !== 404 && ctx.status !== undefined)) return;
    if (ctx.body !== undefined && ctx.body !== null) return;
    const allowed = [...new Set(matched.flatMap((layer) => layer.methods))];
    if (allowed.length === 0) return;
    const allow = [...allowed, 'OPTIONS'].join(', ');
    if (ctx.method === 'OPTIONS') {
      ctx.status = 204;
      ctx.set('Allow', allow);
      return;
    }
    ctx.state.allow = allow;
    throw new RegistryError(
      'METHOD_NOT_ALLOWED',
      `${ctx.method} is not allowed on ${ctx.path}; this route answers ${allowed.join(', ')}`,
    );
  };
}
