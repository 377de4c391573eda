import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import Router from '@koa/router';
import Koa from 'koa';
import { assetRoutes, CdnSigner, cdnRoutes, uploadRoutes, webDownloadRoutes } from './assets.js';
import { identify, refuseBadCredentials } from './auth.js';
import { contentRoutes, rawFileRoutes } from './contents.js';
import { EmulatorControl } from './control.js';
import { docs, notFound } from './errors.js';
import { Faults, type OriginName } from './faults.js';
import { conditionalGet, errorBodies, githubHeaders, type Middleware, type RequestState } from './http.js';
import { RateLimiter, type RateLimitConfig } from './rate-limit.js';
import { releaseRoutes } from './releases.js';
import { repoRoutes, repositoriesAlias } from './repos.js';
import { Renderer, type Origins } from './render.js';
import { EmulatorState } from './state.js';
import { hookRoutes, Webhooks } from './webhooks.js';

export interface GitHubEmulatorOptions {
  /** Loopback by default. */
  host?: string;
  /** The API origin's port; 0 (any free port) by default. */
  port?: number;
  /** Ports of the other origins; 0 each by default. */
  ports?: Partial<Record<Exclude<OriginName, 'api'>, number>>;
  rateLimit?: Partial<RateLimitConfig>;
  /** How long a webhook receiver may take to answer (GitHub: 10 s). */
  webhookTimeoutMs?: number;
}

/** One request any origin received, for tests that assert what a client did (or did not) ask. */
export interface RequestLogEntry {
  origin: OriginName;
  method: string;
  /** The path routed (`/repositories/{id}/…` links already mapped to `/repos/{o}/{r}/…`). */
  path: string;
  /** As sent, with its query. */
  url: string;
  /** 0 when the connection was reset by a fault. */
  status: number;
}

export interface GitHubEmulator {
  apiUrl: string;
  uploadsUrl: string;
  webUrl: string;
  cdnUrl: string;
  /** Arrange repositories, commits, tags, releases, assets, tokens and hooks directly. */
  state: EmulatorControl;
  faults: Faults;
  webhooks: Webhooks;
  rateLimit: RateLimiter;
  /** Every request received so far, oldest first. */
  readonly requests: readonly RequestLogEntry[];
  /** Forget everything: state, tokens, hooks and deliveries, faults, rate-limit counters, the request log. */
  reset(): void;
  close(): Promise<void>;
}

const ORIGINS: OriginName[] = ['api', 'uploads', 'web', 'cdn'];

function listen(host: string, port: number): Promise<Server> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(port, host, () => resolve(server));
  });
}

function closeServer(server: Server): Promise<void> {
  return new Promise((resolve) => {
    server.close(() => resolve());
    server.closeAllConnections();
  });
}

const notFoundJson: Middleware = () => {
  throw notFound(docs.root);
};

const notFoundText: Middleware = (ctx) => {
  ctx.status = 404;
  ctx.body = 'Not Found';
};

/**
 * Starts the emulated GitHub on four loopback origins: the REST API, the uploads host, the web host
 * (`browser_download_url`s) and a CDN the downloads redirect to.
 */
export async function startGitHubEmulator(options: GitHubEmulatorOptions = {}): Promise<GitHubEmulator> {
  const host = options.host ?? '127.0.0.1';
  const ports = { api: options.port ?? 0, uploads: 0, web: 0, cdn: 0, ...options.ports };
  const servers = await Promise.all(ORIGINS.map((name) => listen(host, ports[name])));
  const url = (server: Server) => `http://${host}:${(server.address() as AddressInfo).port}`;
  const [api, uploads, web, cdn] = servers.map(url) as [string, string, string, string];
  const origins: Origins = { api, uploads, web, cdn };

  const state = new EmulatorState();
  const render = new Renderer(origins);
  const faults = new Faults();
  const rateLimit = new RateLimiter({
    authenticated: 5000,
    anonymous: 60,
    windowSeconds: 3600,
    ...options.rateLimit,
  });
  const webhooks = new Webhooks(state, render, options.webhookTimeoutMs);
  const signer = new CdnSigner(cdn);
  const env = { state, render, cdn: signer };
  let requests: RequestLogEntry[] = [];

  const logRequests =
    (origin: OriginName): Middleware =>
    async (ctx, next) => {
      try {
        await next();
      } finally {
        const status = ctx.respond === false ? 0 : ctx.status;
        requests.push({ origin, method: ctx.method, path: ctx.path, url: ctx.originalUrl, status });
      }
    };

  const app = (origin: OriginName, stack: Middleware[], routes: (router: Router<RequestState>) => void) => {
    const koa = new Koa<RequestState>();
    koa.silent = true;
    koa.proxy = false;
    const router = new Router<RequestState>();
    routes(router);
    const front: Middleware[] = [logRequests(origin), identify(state)];
    for (const middleware of [...front, ...stack, router.routes() as Middleware]) koa.use(middleware);
    koa.use(origin === 'api' || origin === 'uploads' ? notFoundJson : notFoundText);
    return koa.callback();
  };

  const apiStack = [githubHeaders, errorBodies, repositoriesAlias(state), faults.middleware('api')];
  const handlers: Record<OriginName, ReturnType<typeof app>> = {
    api: app('api', [...apiStack, rateLimit.middleware(), refuseBadCredentials, conditionalGet], (router) => {
      repoRoutes(router, env);
      contentRoutes(router, env);
      releaseRoutes(router, env);
      assetRoutes(router, env);
      hookRoutes(router, env, webhooks);
    }),
    uploads: app(
      'uploads',
      [githubHeaders, errorBodies, faults.middleware('uploads'), refuseBadCredentials],
      (r) => uploadRoutes(r, env),
    ),
    web: app('web', [faults.middleware('web')], (router) => {
      webDownloadRoutes(router, env);
      rawFileRoutes(router, env);
    }),
    cdn: app('cdn', [faults.middleware('cdn')], (router) => cdnRoutes(router, env)),
  };
  ORIGINS.forEach((name, index) => servers[index]?.on('request', handlers[name]));

  return {
    apiUrl: api,
    uploadsUrl: uploads,
    webUrl: web,
    cdnUrl: cdn,
    state: new EmulatorControl(state, render),
    faults,
    webhooks,
    rateLimit,
    get requests() {
      return requests;
    },
    reset() {
      state.reset();
      faults.clear();
      webhooks.reset();
      rateLimit.reset();
      requests = [];
    },
    async close() {
      await webhooks.settled();
      await Promise.all(servers.map(closeServer));
    },
  };
}
