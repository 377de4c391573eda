import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import type Router from '@koa/router';
import { z } from 'zod';
import { accessTo, actorOf, canPush, requireRepo } from './auth.js';
import { docs, notFound, validationFailed } from './errors.js';
import { paginate, readJson, readRaw, type RequestState, type RouteCtx, type RouteEnv } from './http.js';
import type { AssetRecord, RepoRecord } from './model.js';
import { visibleRelease } from './releases.js';
import type { EmulatorState } from './state.js';
import { parseBody } from './validate.js';

/** Short-lived signed CDN links, like GitHub's: the CDN needs no token, only an unexpired signature. */
export class CdnSigner {
  private key = randomBytes(32);

  constructor(private cdnOrigin: string) {}

  private signature(assetId: number, expires: number) {
    return createHmac('sha256', this.key).update(`${assetId}:${expires}`).digest('hex');
  }

  url(asset: AssetRecord): string {
    const expires = Math.floor(Date.now() / 1000) + 300;
    const url = new URL(`${this.cdnOrigin}/releases/${asset.release.repo.id}/${asset.id}`);
    url.searchParams.set('expires', String(expires));
    url.searchParams.set('signature', this.signature(asset.id, expires));
    url.searchParams.set('filename', asset.name);
    return url.href;
  }

  verify(assetId: number, expires: number, signature: string): boolean {
    if (!(expires * 1000 > Date.now())) return false;
    const expected = Buffer.from(this.signature(assetId, expires));
    const given = Buffer.from(signature);
    return given.length === expected.length && timingSafeEqual(given, expected);
  }
}

export interface AssetEnv extends RouteEnv {
  cdn: CdnSigner;
}

const updateBody = z.object({ name: z.string().optional(), label: z.string().optional() });

function visibleAsset(ctx: RouteCtx, state: EmulatorState, repo: RepoRecord, docsUrl: string): AssetRecord {
  const asset = state.asset(Number(ctx.params.asset_id));
  if (!asset || asset.release.repo !== repo || (asset.release.draft && !canPush(ctx, repo))) {
    throw notFound(docsUrl);
  }
  return asset;
}

function redirectToCdn(ctx: RouteCtx, cdn: CdnSigner, asset: AssetRecord) {
  asset.downloadCount += 1;
  ctx.redirect(cdn.url(asset));
}

/** Asset metadata on the API origin; `Accept: application/octet-stream` redirects to the CDN. */
export function assetRoutes(router: Router<RequestState>, { state, render, cdn }: AssetEnv) {
  router.get('/repos/:owner/:repo/releases/:release_id/assets', (ctx) => {
    const repo = requireRepo(ctx, state, 'read', docs.listAssets);
    const release = visibleRelease(ctx, state, repo, docs.listAssets);
    ctx.body = paginate(ctx, release.assets, repo, render.origins.api).map((asset) => render.asset(asset));
  });

  router.get('/repos/:owner/:repo/releases/assets/:asset_id', (ctx) => {
    const repo = requireRepo(ctx, state, 'read', docs.getAsset);
    const asset = visibleAsset(ctx, state, repo, docs.getAsset);
    if (ctx.get('accept').includes('application/octet-stream')) return redirectToCdn(ctx, cdn, asset);
    ctx.body = render.asset(asset);
  });

  router.patch('/repos/:owner/:repo/releases/assets/:asset_id', async (ctx) => {
    const repo = requireRepo(ctx, state, 'write', docs.updateAsset);
    const asset = visibleAsset(ctx, state, repo, docs.updateAsset);
    const patch = parseBody(updateBody, await readJson(ctx, docs.updateAsset), docs.updateAsset);
    ctx.body = render.asset(state.updateAsset(asset, patch));
  });

  router.delete('/repos/:owner/:repo/releases/assets/:asset_id', (ctx) => {
    const repo = requireRepo(ctx, state, 'write', docs.deleteAsset);
    state.deleteAsset(visibleAsset(ctx, state, repo, docs.deleteAsset));
    ctx.status = 204;
  });
}

/** The uploads origin: `POST /repos/{o}/{r}/releases/{id}/assets?name=&label=` with the raw bytes. */
export function uploadRoutes(router: Router<RequestState>, { state, render }: RouteEnv) {
  router.post('/repos/:owner/:repo/releases/:release_id/assets', async (ctx) => {
    const repo = requireRepo(ctx, state, 'write', docs.uploadAsset);
    const release = visibleRelease(ctx, state, repo, docs.uploadAsset);
    const name = typeof ctx.query.name === 'string' ? ctx.query.name : '';
    if (name === '') {
      throw validationFailed(docs.uploadAsset, {
        resource: 'ReleaseAsset',
        code: 'missing_field',
        field: 'name',
      });
    }
    const data = await readRaw(ctx);
    const asset = state.addAsset(
      release,
      {
        name,
        data,
        contentType: ctx.get('content-type') || 'application/octet-stream',
        ...(typeof ctx.query.label === 'string' ? { label: ctx.query.label } : {}),
      },
      actorOf(ctx),
    );
    ctx.status = 201;
    ctx.body = render.asset(asset);
  });
}

const webNotFound = (ctx: RouteCtx) => {
  ctx.status = 404;
  ctx.body = 'Not Found';
};

/**
 * The web origin's `browser_download_url`s (and `/releases/latest/download/{name}`). The web side knows
 * no API tokens, so only published releases of public repositories are found here, as on github.com
 * without a session.
 */
export function webDownloadRoutes(router: Router<RequestState>, { state, cdn }: AssetEnv) {
  const publicRepo = (ctx: RouteCtx) => {
    const repo = state.findRepo(`${ctx.params.owner}/${ctx.params.repo}`);
    return repo && accessTo({ kind: 'anonymous', ip: ctx.ip }, repo) !== 'none' ? repo : undefined;
  };

  router.get('/:owner/:repo/releases/latest/download/:name', (ctx) => {
    const repo = publicRepo(ctx);
    const latest = repo && state.latestRelease(repo);
    const asset = latest?.assets.find((candidate) => candidate.name === ctx.params.name);
    if (!asset) return webNotFound(ctx);
    redirectToCdn(ctx, cdn, asset);
  });

  router.get('/:owner/:repo/releases/download/*file', (ctx) => {
    const repo = publicRepo(ctx);
    const file = ctx.params.file ?? '';
    const slash = file.lastIndexOf('/');
    const [tag, name] = [file.slice(0, slash), file.slice(slash + 1)];
    // A draft's files (under `untagged-…`) need a signed-in collaborator, which the web side never has.
    const release = repo?.releases.find((candidate) => !candidate.draft && candidate.tagName === tag);
    const asset = release?.assets.find((candidate) => candidate.name === name);
    if (!asset) return webNotFound(ctx);
    redirectToCdn(ctx, cdn, asset);
  });
}

/** The CDN origin: serves an asset's bytes to a correctly signed, unexpired link. */
export function cdnRoutes(router: Router<RequestState>, { state, cdn }: AssetEnv) {
  router.get('/releases/:repo_id/:asset_id', (ctx) => {
    const assetId = Number(ctx.params.asset_id);
    const expires = Number(ctx.query.expires);
    const signature = typeof ctx.query.signature === 'string' ? ctx.query.signature : '';
    if (!cdn.verify(assetId, expires, signature)) {
      ctx.status = 403;
      ctx.type = 'application/xml';
      ctx.body = '<?xml version="1.0" encoding="UTF-8"?><Error><Code>AccessDenied</Code></Error>';
      return;
    }
    const asset = state.asset(assetId);
    if (!asset) return webNotFound(ctx);
    ctx.type = 'application/octet-stream';
    ctx.attachment(asset.name);
    ctx.set('etag', `"${asset.digest.slice('sha256:'.length)}"`);
    ctx.lastModified = asset.updatedAt;
    ctx.body = asset.bytes;
  });
}
