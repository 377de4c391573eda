import type Router from '@koa/router';
import { z } from 'zod';
import { actorOf, canPush, requireRepo } from './auth.js';
import { docs, notFound, validationFailed } from './errors.js';
import { paginate, readJson, type RequestState, type RouteCtx, type RouteEnv } from './http.js';
import type { ReleaseRecord, RepoRecord } from './model.js';
import type { EmulatorState } from './state.js';
import { parseBody } from './validate.js';

const releaseFields = {
  tag_name: z.string(),
  target_commitish: z.string().optional(),
  name: z.string().nullable().optional(),
  body: z.string().nullable().optional(),
  draft: z.boolean().optional(),
  prerelease: z.boolean().optional(),
  make_latest: z.enum(['true', 'false', 'legacy']).optional(),
};
const createBody = z.object(releaseFields);
const updateBody = z.object(releaseFields).partial();

/** Git refuses these in a ref name; GitHub answers 422 before anything else. */
function assertValidTag(tag: string, documentationUrl: string) {
  const control = [...tag].some((char) => char.charCodeAt(0) < 0x20 || char === '\u007f');
  if (tag === '' || control || /[\s~^:?*[\\]|\.\.|@\{|^[./]|[./]$|\.lock$|\/\//.test(tag)) {
    throw validationFailed(documentationUrl, {
      resource: 'Release',
      code: 'custom',
      field: 'tag_name',
      message: 'tag_name is not a valid tag',
    });
  }
}

/** A release the caller may see: drafts only with push access, as on GitHub. */
export function visibleRelease(
  ctx: RouteCtx,
  state: EmulatorState,
  repo: RepoRecord,
  docsUrl: string,
): ReleaseRecord {
  const id = Number(ctx.params.release_id);
  const release = Number.isInteger(id) ? state.release(id) : undefined;
  if (!release || release.repo !== repo || (release.draft && !canPush(ctx, repo))) throw notFound(docsUrl);
  return release;
}

/** Releases: list, get (by id, by tag, latest), create, update, delete. */
export function releaseRoutes(router: Router<RequestState>, { state, render }: RouteEnv) {
  router.get('/repos/:owner/:repo/releases', (ctx) => {
    const repo = requireRepo(ctx, state, 'read', docs.listReleases);
    const releases = state.releases(repo, { drafts: canPush(ctx, repo) });
    ctx.body = paginate(ctx, releases, repo, render.origins.api).map((release) => render.release(release));
  });

  router.post('/repos/:owner/:repo/releases', async (ctx) => {
    const repo = requireRepo(ctx, state, 'write', docs.createRelease);
    const input = parseBody(createBody, await readJson(ctx, docs.createRelease), docs.createRelease);
    assertValidTag(input.tag_name, docs.createRelease);
    const release = state.createRelease(repo, input, actorOf(ctx));
    ctx.status = 201;
    ctx.set('location', render.release(release).url);
    ctx.body = render.release(release);
  });

  router.get('/repos/:owner/:repo/releases/latest', (ctx) => {
    const repo = requireRepo(ctx, state, 'read', docs.getLatestRelease);
    const release = state.latestRelease(repo);
    if (!release) throw notFound(docs.getLatestRelease);
    ctx.body = render.release(release);
  });

  router.get('/repos/:owner/:repo/releases/tags/*tag', (ctx) => {
    const repo = requireRepo(ctx, state, 'read', docs.getReleaseByTag);
    const release = state.releaseByTag(repo, ctx.params.tag ?? '');
    if (!release) throw notFound(docs.getReleaseByTag);
    ctx.body = render.release(release);
  });

  router.get('/repos/:owner/:repo/releases/:release_id', (ctx) => {
    const repo = requireRepo(ctx, state, 'read', docs.getRelease);
    ctx.body = render.release(visibleRelease(ctx, state, repo, docs.getRelease));
  });

  router.patch('/repos/:owner/:repo/releases/:release_id', async (ctx) => {
    const repo = requireRepo(ctx, state, 'write', docs.updateRelease);
    const release = visibleRelease(ctx, state, repo, docs.updateRelease);
    const patch = parseBody(updateBody, await readJson(ctx, docs.updateRelease), docs.updateRelease);
    if (patch.tag_name !== undefined) assertValidTag(patch.tag_name, docs.updateRelease);
    ctx.body = render.release(state.updateRelease(release, patch, actorOf(ctx)));
  });

  router.delete('/repos/:owner/:repo/releases/:release_id', (ctx) => {
    const repo = requireRepo(ctx, state, 'write', docs.deleteRelease);
    state.deleteRelease(visibleRelease(ctx, state, repo, docs.deleteRelease), actorOf(ctx));
    ctx.status = 204;
  });
}
