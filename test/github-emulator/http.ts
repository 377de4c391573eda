import { createHash, randomBytes } from 'node:crypto';
import { STATUS_CODES } from 'node:http';
import type { RouterContext } from '@koa/router';
import type Koa from 'koa';
import type { Identity } from './auth.js';
import { GitHubApiError } from './errors.js';
import type { RepoRecord } from './model.js';
import type { Renderer } from './render.js';
import type { EmulatorState } from './state.js';

/** What the middleware puts on `ctx.state` for the routes. */
export interface RequestState {
  identity: Identity;
  /** An Authorization header with a token the emulator does not know. */
  badCredentials: boolean;
}

export type Ctx = Koa.ParameterizedContext<RequestState>;
export type Middleware = Koa.Middleware<RequestState>;
export type RouteCtx = RouterContext<RequestState>;

const requestId = () => {
  const hex = randomBytes(10).toString('hex').toUpperCase();
  return `${hex.slice(0, 4)}:${hex.slice(4, 8)}:${hex.slice(8, 14)}:${hex.slice(14)}`;
};

/** Headers every api.github.com answer carries, errors included. */
export const githubHeaders: Middleware = async (ctx, next) => {
  ctx.set('server', 'github.com');
  ctx.set('x-github-request-id', requestId());
  ctx.set('x-github-api-version-selected', '2022-11-28');
  ctx.set('x-github-media-type', 'github.v3; format=json');
  ctx.set('access-control-allow-origin', '*');
  ctx.set(
    'access-control-expose-headers',
    'ETag, Link, Location, Retry-After, X-GitHub-OTP, X-RateLimit-Limit, X-RateLimit-Remaining, X-RateLimit-Used, ' +
      'X-RateLimit-Resource, X-RateLimit-Reset, X-OAuth-Scopes, X-Accepted-OAuth-Scopes, X-Poll-Interval, ' +
      'X-GitHub-Media-Type, X-GitHub-SSO, X-GitHub-Request-Id, Deprecation, Sunset',
  );
  await next();
};

/** Renders `GitHubApiError`s (and anything unexpected, as GitHub's 500) as JSON. */
export const errorBodies: Middleware = async (ctx, next) => {
  try {
    await next();
  } catch (error) {
    if (error instanceof GitHubApiError) {
      ctx.status = error.status;
      ctx.set(error.headers);
      ctx.body = error.body;
      return;
    }
    ctx.status = 500;
    ctx.body = { message: `Server Error: ${error instanceof Error ? error.message : String(error)}` };
  }
};

/** Weak comparison of `If-None-Match` (a list, or `*`) with an ETag. */
const matchesEtag = (ifNoneMatch: string, etag: string) => {
  const opaque = (tag: string) => tag.trim().replace(/^W\//, '');
  return ifNoneMatch.split(',').some((tag) => tag.trim() === '*' || opaque(tag) === opaque(etag));
};

/**
 * `ETag` on successful GETs and `If-None-Match` → 304 without a body. The tag hashes the JSON, so it
 * changes exactly when the answer does. Not Koa's `ctx.fresh`: fetch adds `Cache-Control: no-cache` to
 * every conditional request, which `fresh` honours and GitHub does not.
 */
export const conditionalGet: Middleware = async (ctx, next) => {
  await next();
  if ((ctx.method !== 'GET' && ctx.method !== 'HEAD') || ctx.status !== 200) return;
  if (ctx.body === undefined || ctx.body === null || Buffer.isBuffer(ctx.body)) return;
  const json = typeof ctx.body === 'string' ? ctx.body : JSON.stringify(ctx.body);
  const etag = `W/"${createHash('sha256').update(json).digest('hex')}"`;
  ctx.set('etag', etag);
  ctx.set(
    'cache-control',
    `${ctx.state.identity.kind === 'token' ? 'private' : 'public'}, max-age=60, s-maxage=60`,
  );
  ctx.vary('Accept');
  ctx.vary('Authorization');
  const ifNoneMatch = ctx.get('if-none-match');
  if (ifNoneMatch && matchesEtag(ifNoneMatch, etag)) ctx.status = 304;
};

export async function readRaw(ctx: Ctx): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of ctx.req) chunks.push(Buffer.from(chunk as Uint8Array));
  return Buffer.concat(chunks);
}

/** The JSON body; GitHub answers 400 "Problems parsing JSON" to anything else. */
export async function readJson(ctx: Ctx, documentationUrl: string): Promise<unknown> {
  const raw = (await readRaw(ctx)).toString('utf8');
  if (raw.trim() === '') return {};
  try {
    return JSON.parse(raw) as unknown;
  } catch {
    throw new GitHubApiError(400, 'Problems parsing JSON', documentationUrl);
  }
}

/** A status with GitHub's body for it (`{"message":"Server Error"}`-like) unless one is given. */
export function respond(ctx: Ctx, status: number, body?: unknown) {
  ctx.status = status;
  ctx.body = body ?? { message: STATUS_CODES[status] ?? 'Error' };
}

const positiveInt = (value: unknown, fallback: number) => {
  const n = typeof value === 'string' ? Number.parseInt(value, 10) : NaN;
  return Number.isFinite(n) && n > 0 ? n : fallback;
};

/**
 * One page of `items` per `per_page` (default 30, at most 100) and `page`, with GitHub's `Link` header:
 * prev/next/last/first, in that order, on the `/repositories/{id}/...` form of the URL.
 */
export function paginate<T>(ctx: Ctx, items: T[], repo: RepoRecord, apiOrigin: string): T[] {
  const perPage = Math.min(positiveInt(ctx.query.per_page, 30), 100);
  const page = positiveInt(ctx.query.page, 1);
  const lastPage = Math.max(1, Math.ceil(items.length / perPage));
  const rest = ctx.path.split('/').slice(4).join('/');
  const base = new URL(`${apiOrigin}/repositories/${repo.id}/${rest}`);
  for (const [name, value] of Object.entries(ctx.query)) {
    if (typeof value === 'string') base.searchParams.set(name, value);
  }
  const link = (target: number, rel: string) => {
    base.searchParams.set('page', String(target));
    return `<${base.href}>; rel="${rel}"`;
  };
  const links: string[] = [];
  if (page > 1) links.push(link(page - 1, 'prev'));
  if (page < lastPage) links.push(link(page + 1, 'next'), link(lastPage, 'last'));
  if (page > 1) links.push(link(1, 'first'));
  if (items.length > 0 && links.length > 0) ctx.set('link', links.join(', '));
  return items.slice((page - 1) * perPage, page * perPage);
}

/** What every route module is given. */
export interface RouteEnv {
  state: EmulatorState;
  render: Renderer;
}
