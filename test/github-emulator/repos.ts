import type Router from '@koa/router';
import { accessTo, permissions, requireRepo } from './auth.js';
import { docs, GitHubApiError, notFound } from './errors.js';
import { paginate, type Middleware, type RequestState, type RouteEnv } from './http.js';
import type { RepoRecord } from './model.js';
import type { EmulatorState } from './state.js';

/** GitHub answers 409 to git questions about a repository without commits. */
function assertNotEmpty(repo: RepoRecord, documentationUrl: string) {
  if (repo.commits.size === 0) throw new GitHubApiError(409, 'Git Repository is empty.', documentationUrl);
}

const sortedRefs = (repo: RepoRecord) => [...repo.refs].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));

/** Repository, commits, git refs and tags. */
export function repoRoutes(router: Router<RequestState>, { state, render }: RouteEnv) {
  router.get('/repos/:owner/:repo', (ctx) => {
    const repo = requireRepo(ctx, state, 'read', docs.getRepo);
    const { identity } = ctx.state;
    ctx.body = render.repo(
      repo,
      identity.kind === 'token' ? permissions(accessTo(identity, repo)) : undefined,
    );
  });

  router.get('/repos/:owner/:repo/commits/*ref', (ctx) => {
    const repo = requireRepo(ctx, state, 'read', docs.getCommit);
    assertNotEmpty(repo, docs.getCommit);
    const ref = ctx.params.ref ?? '';
    const commit = state.resolveCommit(repo, ref);
    if (!commit) throw new GitHubApiError(422, `No commit found for SHA: ${ref}`, docs.getCommit);
    ctx.body = render.commit(repo, commit);
  });

  // The singular form answers one exact ref.
  router.get('/repos/:owner/:repo/git/ref/*ref', (ctx) => {
    const repo = requireRepo(ctx, state, 'read', docs.getRef);
    assertNotEmpty(repo, docs.getRef);
    const name = `refs/${ctx.params.ref}`;
    const target = repo.refs.get(name);
    if (!target) throw notFound(docs.getRef);
    ctx.body = render.ref(repo, name, target);
  });

  router.get('/repos/:owner/:repo/git/refs', (ctx) => {
    const repo = requireRepo(ctx, state, 'read', docs.getRef);
    assertNotEmpty(repo, docs.getRef);
    const refs = sortedRefs(repo).map(([name, target]) => render.ref(repo, name, target));
    ctx.body = paginate(ctx, refs, repo, render.origins.api);
  });

  // The older plural form: an exact match is one object, otherwise every ref it prefixes, as an array.
  router.get('/repos/:owner/:repo/git/refs/*ref', (ctx) => {
    const repo = requireRepo(ctx, state, 'read', docs.getRef);
    assertNotEmpty(repo, docs.getRef);
    const name = `refs/${ctx.params.ref}`;
    const exact = repo.refs.get(name);
    if (exact) {
      ctx.body = render.ref(repo, name, exact);
      return;
    }
    const matching = sortedRefs(repo).filter(([other]) => other.startsWith(name));
    if (matching.length === 0) throw notFound(docs.getRef);
    ctx.body = matching.map(([other, target]) => render.ref(repo, other, target));
  });

  router.get('/repos/:owner/:repo/git/matching-refs/*ref', (ctx) => {
    const repo = requireRepo(ctx, state, 'read', docs.listMatchingRefs);
    assertNotEmpty(repo, docs.listMatchingRefs);
    const prefix = `refs/${ctx.params.ref}`;
    const matching = sortedRefs(repo).filter(([name]) => name.startsWith(prefix));
    // Paginated like GitHub (per_page, Link): a repository may have thousands of tags.
    const refs = matching.map(([name, target]) => render.ref(repo, name, target));
    ctx.body = paginate(ctx, refs, repo, render.origins.api);
  });

  router.get('/repos/:owner/:repo/git/tags/:sha', (ctx) => {
    const repo = requireRepo(ctx, state, 'read', docs.getTag);
    const tag = repo.tagObjects.get(ctx.params.sha ?? '');
    if (!tag) throw notFound(docs.getTag);
    ctx.body = render.gitTag(repo, tag);
  });

  router.get('/repos/:owner/:repo/tags', (ctx) => {
    const repo = requireRepo(ctx, state, 'read', docs.listTags);
    const tags = sortedRefs(repo)
      .filter(([name]) => name.startsWith('refs/tags/'))
      .reverse()
      .map(([name, target]) => {
        const commitSha = repo.tagObjects.get(target)?.commitSha ?? target;
        return render.tag(repo, name.slice('refs/tags/'.length), commitSha);
      });
    ctx.body = paginate(ctx, tags, repo, render.origins.api);
  });
}

/**
 * GitHub's `Link` headers point at `/repositories/{id}/…`; this maps them back onto the `/repos/{o}/{r}/…`
 * routes, so a client that follows them verbatim (Octokit's paginate does) lands on the same handler.
 */
export const repositoriesAlias =
  (state: EmulatorState): Middleware =>
  async (ctx, next) => {
    const match = /^\/repositories\/(\d+)(\/.*)?$/.exec(ctx.path);
    if (match) {
      const repo = state.repoById(Number(match[1]));
      if (!repo) throw notFound(docs.root);
      ctx.path = `/repos/${repo.fullName}${match[2] ?? ''}`;
    }
    return next();
  };
