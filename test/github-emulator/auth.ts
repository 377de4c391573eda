import { docs, GitHubApiError, notFound } from './errors.js';
import type { Ctx, Middleware, RouteCtx } from './http.js';
import type { RepoRecord, TokenGrant, UserRecord } from './model.js';
import type { Permissions } from './render.js';
import type { EmulatorState } from './state.js';

export type Identity = { kind: 'anonymous'; ip: string } | { kind: 'token'; grant: TokenGrant };

export type Access = 'none' | 'read' | 'write';

/** The token in `Authorization: token X`, `Bearer X` or Basic with the token as password, as GitHub takes. */
function tokenOf(header: string): string | undefined {
  const [scheme = '', value = ''] = header.trim().split(/\s+/, 2);
  switch (scheme.toLowerCase()) {
    case 'token':
    case 'bearer':
      return value;
    case 'basic': {
      const decoded = Buffer.from(value, 'base64').toString('utf8');
      return decoded.slice(decoded.indexOf(':') + 1);
    }
    default:
      return undefined;
  }
}

/**
 * Sets `ctx.state.identity`. An unknown token counts as anonymous for the rate limit (which runs next)
 * and is then refused by `refuseBadCredentials`, even for public data, as GitHub does.
 */
export const identify =
  (state: EmulatorState): Middleware =>
  async (ctx, next) => {
    const header = ctx.get('authorization');
    const grant = header ? state.grant(tokenOf(header) ?? '') : undefined;
    ctx.state.identity = grant ? { kind: 'token', grant } : { kind: 'anonymous', ip: ctx.ip };
    ctx.state.badCredentials = Boolean(header) && !grant;
    return next();
  };

export const refuseBadCredentials: Middleware = async (ctx, next) => {
  if (ctx.state.badCredentials) throw new GitHubApiError(401, 'Bad credentials', docs.root);
  return next();
};

export function accessTo(identity: Identity, repo: RepoRecord): Access {
  if (identity.kind === 'anonymous') return repo.private ? 'none' : 'read';
  const { grant } = identity;
  const listed = !grant.repos || grant.repos.has(repo.fullName.toLowerCase());
  if (!listed) return repo.private ? 'none' : 'read';
  return grant.write ? 'write' : 'read';
}

export function permissions(access: Access): Permissions {
  const push = access === 'write';
  return { admin: false, maintain: push, push, triage: push, pull: access !== 'none' };
}

/**
 * The repository if the caller may `need` it. Like GitHub: a repository you cannot see is 404 (never
 * 403, which would tell it exists); a write without a token is 401; a write with a token that can only
 * read is 403 and says which permission was wanted.
 */
export function requireRepo(
  ctx: RouteCtx,
  state: EmulatorState,
  need: 'read' | 'write',
  documentationUrl: string,
): RepoRecord {
  const { owner, repo: name } = ctx.params;
  const repo = state.findRepo(`${owner}/${name}`);
  const access = repo ? accessTo(ctx.state.identity, repo) : 'none';
  if (!repo || access === 'none') throw notFound(documentationUrl);
  if (need === 'write' && access !== 'write') {
    if (ctx.state.identity.kind === 'anonymous') {
      throw new GitHubApiError(401, 'Requires authentication', documentationUrl);
    }
    throw new GitHubApiError(403, 'Resource not accessible by personal access token', documentationUrl, {
      'x-accepted-github-permissions': 'contents=write',
    });
  }
  return repo;
}

/** Whether the caller sees drafts (GitHub shows them only to users with push access). */
export const canPush = (ctx: Ctx, repo: RepoRecord) => accessTo(ctx.state.identity, repo) === 'write';

/** The user a write is made as; writes always carry a token (requireRepo saw to it). */
export function actorOf(ctx: Ctx): UserRecord {
  const { identity } = ctx.state;
  if (identity.kind !== 'token') throw new Error('github-emulator: a write reached a route without a token');
  return identity.grant.user;
}
