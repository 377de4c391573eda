import { createHash } from 'node:crypto';
import type Router from '@koa/router';
import { accessTo, requireRepo } from './auth.js';
import { docs, notFound } from './errors.js';
import type { RequestState, RouteCtx, RouteEnv } from './http.js';
import type { BlobRecord, CommitRecord, RepoRecord } from './model.js';
import type { EmulatorState } from './state.js';

type Entry = { name: string; path: string; blob?: BlobRecord; treeSha?: string };

/** The immediate children of a directory (`''` is the root), sorted by name; undefined if not a directory. */
function listDirectory(commit: CommitRecord, dir: string): Entry[] | undefined {
  const prefix = dir === '' ? '' : `${dir}/`;
  const children = new Map<string, Entry>();
  const subtrees = new Map<string, string[]>();
  for (const [path, blob] of commit.files) {
    if (!path.startsWith(prefix)) continue;
    const [name = '', ...rest] = path.slice(prefix.length).split('/');
    const childPath = `${prefix}${name}`;
    if (rest.length === 0) children.set(name, { name, path: childPath, blob });
    else subtrees.set(name, [...(subtrees.get(name) ?? []), `${blob.sha} ${rest.join('/')}`]);
  }
  for (const [name, listing] of subtrees) {
    const treeSha = createHash('sha1')
      .update(`tree\0${listing.sort().join('\n')}`)
      .digest('hex');
    children.set(name, { name, path: `${prefix}${name}`, treeSha });
  }
  if (children.size === 0) return dir === '' ? [] : undefined;
  return [...children.values()].sort((a, b) => (a.name < b.name ? -1 : 1));
}

function commitAt(state: EmulatorState, repo: RepoRecord, ref: string): CommitRecord {
  if (repo.commits.size === 0) throw notFound(docs.getContent, 'This repository is empty.');
  const commit = state.resolveCommit(repo, ref);
  if (!commit) throw notFound(docs.getContent, `No commit found for the ref ${ref}`);
  return commit;
}

const wantsRaw = (ctx: RouteCtx) => /application\/vnd\.github(\.v3)?\.raw/.test(ctx.get('accept'));

/** `GET /repos/{o}/{r}/contents/{path}?ref=`: a file (base64) or a directory listing (an array). */
export function contentRoutes(router: Router<RequestState>, { state, render }: RouteEnv) {
  router.get('/repos/:owner/:repo/contents{/*path}', (ctx) => {
    const repo = requireRepo(ctx, state, 'read', docs.getContent);
    const ref =
      typeof ctx.query.ref === 'string' && ctx.query.ref !== '' ? ctx.query.ref : repo.defaultBranch;
    const commit = commitAt(state, repo, ref);
    const path = (ctx.params.path ?? '').replace(/^\/+|\/+$/g, '');
    const blob = commit.files.get(path);
    if (blob && wantsRaw(ctx)) {
      ctx.set('x-github-media-type', 'github.v3; param=raw');
      ctx.type = 'text/plain; charset=utf-8';
      ctx.body = blob.bytes;
      return;
    }
    if (blob) {
      ctx.body = render.contentFile(repo, path, ref, blob);
      return;
    }
    const entries = listDirectory(commit, path);
    if (!entries) throw notFound(docs.getContent);
    ctx.body = entries.map((entry) =>
      render.contentEntry(repo, entry.path, ref, entry.blob ?? { treeSha: entry.treeSha ?? '' }),
    );
  });
}

/** The web origin's raw file URL (`download_url` of a content answer); public repositories only. */
export function rawFileRoutes(router: Router<RequestState>, { state }: RouteEnv) {
  router.get('/:owner/:repo/raw/:ref/*path', (ctx) => {
    const repo = state.findRepo(`${ctx.params.owner}/${ctx.params.repo}`);
    const visible = repo && accessTo({ kind: 'anonymous', ip: ctx.ip }, repo) !== 'none';
    const blob = visible
      ? state.resolveCommit(repo, ctx.params.ref ?? '')?.files.get(ctx.params.path ?? '')
      : undefined;
    if (!blob) {
      ctx.status = 404;
      ctx.body = '404: Not Found';
      return;
    }
    ctx.type = 'text/plain; charset=utf-8';
    ctx.body = blob.bytes;
  });
}
