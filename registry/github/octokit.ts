import { Octokit } from '@octokit/rest';
import { LRUCache } from 'lru-cache';
import type { Logger } from 'pino';
import { networkFailure } from '../../common/network-failure.js';
import { RegistryError, messageOf } from '../errors.js';
import { retries } from './retries.js';
import type { GitHub, Release, ReleaseFile, Repository, TagRef } from './port.js';
import { ArtifactRedirectRefusedError, checkRedirect } from './redirect-policy.js';
import { GitHubTimeoutError } from '../../common/idle-timeout-fetch.js';
import { fetchWatched, fetchWithTimeout } from './timeouts.js';

const USER_AGENT = 'sensu-bonsai-hub-registry';
/** GitHub's largest page. */
const PAGE_SIZE = 100;
/** How many times a rate-limited request waits and tries again before the job fails (and retries later). */
const RATE_LIMIT_RETRIES = 2;
/** Tries after the first for a request GitHub failed (no answer, 5xx), within one job attempt. */
const RETRIES = 3;
/** Requests in flight to GitHub at once, across all jobs. */
const MAX_CONCURRENT = 10;

export interface GitHubOptions {
  apiUrl: string;
  token: string | undefined;
  /** GITHUB_TIMEOUT: how long GitHub may stay silent before a request or a download is abandoned. */
  timeoutMs: number;
  logger: Logger;
  /** ARTIFACT_HOSTS: hosts besides GitHub's and the API host that artifact downloads may redirect to. */
  artifactHosts?: readonly string[];
  /** Told the status (0: no answer) and X-RateLimit-Remaining of every API request (metrics). */
  onAnswer?: (status: number, rateLimitRemaining: string | null) => void;
}

/** The fetch Octokit uses, reporting each answer to `onAnswer` first. */
function observedFetch(inner: typeof fetch, onAnswer: GitHubOptions['onAnswer']): typeof fetch {
  if (!onAnswer) return inner;
  return async (input, init) => {
    try {
      const res = await inner(input, init);
      onAnswer(res.status, res.headers.get('x-ratelimit-remaining'));
      return res;
    } catch (err) {
      onAnswer(0, null);
      throw err;
    }
  };
}

/** Redirects followed per download: GitHub uses one (API → CDN). */
const MAX_REDIRECTS = 5;

/**
 * The HTTP status GitHub answered; none when no answer came (a timeout, a refused connection, an unknown
 * host: Octokit reports those as 500).
 */
function statusOf(err: unknown): number | undefined {
  if ((err as { cause?: unknown }).cause instanceof GitHubTimeoutError) return undefined;
  if (networkFailure(err) !== undefined && (err as { response?: unknown }).response === undefined)
    return undefined;
  const status = (err as { status?: unknown }).status;
  return typeof status === 'number' ? status : undefined;
}

function failure(err: unknown, what: string): RegistryError {
  const status = statusOf(err);
  const network = status === undefined ? networkFailure(err) : undefined;
  if (network !== undefined) {
    // One way to name a failed connection everywhere (cli/network-failure.ts), never an invented status.
    const detail = network === 'timed out' ? `: ${messageOf(err)}` : '';
    return new RegistryError('GITHUB_FAILED', `GitHub ${what} failed (${network})${detail}`, {
      hint: 'GitHub may be down or unreachable at GITHUB_API_URL; queued jobs retry with backoff',
      cause: err,
    });
  }
  const hint =
    status === 401
      ? 'GitHub refused the token: check GITHUB_TOKEN'
      : status === 403 || status === 429
        ? 'the token lacks access to the repository, or the rate limit is spent; queued jobs retry with backoff'
        : 'GitHub may be down or unreachable at GITHUB_API_URL; queued jobs retry with backoff';
  return new RegistryError(
    'GITHUB_FAILED',
    `GitHub ${what} failed (${status ?? 'no answer'}): ${messageOf(err)}`,
    {
      hint,
      cause: err,
    },
  );
}

/** Runs a read that may answer 404 (or another `absent` status): that becomes undefined, 304 becomes `notModified`. */
/**
 * The body of an answer, parsed. Octokit would parse it with json-with-bigint, 6× slower than JSON.parse
 * on a page of releases (15 vs 2 ms): the client takes bodies unparsed (parseSuccessResponseBody: false).
 */
async function parsed(data: unknown): Promise<unknown> {
  return data instanceof ReadableStream ? JSON.parse(await new Response(data).text()) : data;
}

async function read<T extends { data: unknown }>(
  what: string,
  call: () => Promise<T>,
  absent: readonly number[] = [404],
): Promise<T | undefined | 'not-modified'> {
  try {
    const res = await call();
    return { ...res, data: await parsed(res.data) };
  } catch (err) {
    const status = statusOf(err);
    if (status !== undefined && absent.includes(status)) return undefined;
    if (status === 304) return 'not-modified';
    throw failure(err, what);
  }
}

function missingPage(what: string, page: number): RegistryError {
  return new RegistryError('GITHUB_FAILED', `GitHub ${what} failed: page ${page} is missing`, {
    hint: 'the repository may have been deleted or made private: check it and GITHUB_TOKEN',
  });
}

function nextPageExists(link: string | undefined): boolean {
  return link !== undefined && /rel="next"/.test(link);
}

const TAG_PREFIX = 'refs/tags/';
/** Repositories whose last tag listing is kept for conditional requests. */
const TAG_LISTINGS_KEPT = 1000;

interface ApiRef {
  ref: string;
  object: { sha: string; type: string };
}

/** One page of a tag listing as kept: its ETag, its refs (name, sha, type), whether another follows. */
interface TagListingPage {
  etag: string;
  refs: (readonly [string, string, string])[];
  next: boolean;
}

interface ApiRelease {
  id: number;
  tag_name: string;
  draft: boolean;
  prerelease: boolean;
  body?: string | null;
  assets: { id: number; name: string; size: number; updated_at: string; browser_download_url: string }[];
}

function toRelease(r: ApiRelease): Release {
  const files: ReleaseFile[] = r.assets.map((a) => ({
    id: a.id,
    name: a.name,
    size: a.size,
    updatedAt: a.updated_at,
    browserDownloadUrl: a.browser_download_url,
  }));
  const release: Release = { id: r.id, tag: r.tag_name, draft: r.draft, prerelease: r.prerelease, files };
  if (r.body) release.notes = r.body;
  return release;
}

/** The GitHub port on @octokit/rest with retries and rate-limit waits (retries.ts), GITHUB_API_URL as base. */
export function createGitHub(options: GitHubOptions): GitHub {
  const log = options.logger.child({ component: 'github' });
  const RetryingOctokit = Octokit.plugin(
    retries({
      retries: RETRIES,
      maxConcurrent: MAX_CONCURRENT,
      onRateLimit: (retryAfter, request, retryCount) => {
        log.warn({ url: request.url, retryAfter, retryCount }, 'GitHub rate limit reached');
        return retryCount < RATE_LIMIT_RETRIES;
      },
      onSecondaryRateLimit: (retryAfter, request, retryCount) => {
        log.warn({ url: request.url, retryAfter, retryCount }, 'GitHub secondary rate limit reached');
        return retryCount < RATE_LIMIT_RETRIES;
      },
    }),
  );
  const octokit = new RetryingOctokit({
    baseUrl: options.apiUrl,
    auth: options.token,
    userAgent: USER_AGENT,
    request: {
      fetch: observedFetch(fetchWithTimeout(options.timeoutMs), options.onAnswer),
      // Bodies are parsed by `read` (see `parsed`).
      parseSuccessResponseBody: false,
    },
    log: {
      debug: () => undefined,
      info: () => undefined,
      warn: (message: string) => log.warn(message),
      // Failed requests are retried, then reported by the caller with their context: details only.
      error: (message: string) => log.debug(message),
    },
  });

  // The last tag listing of each repository, asked again conditionally: an unchanged page costs a 304,
  // which GitHub does not count against the rate limit.
  const tagListings = new LRUCache<string, TagListingPage[]>({ max: TAG_LISTINGS_KEPT });
  const tagRefsPage = (owner: string, repo: string, page: number, etag?: string) =>
    // `tags`, not `tags/`: Octokit would encode the slash. Refs like `refs/tagsX` are dropped below.
    octokit.request('GET /repos/{owner}/{repo}/git/matching-refs/{ref}', {
      owner,
      repo,
      ref: 'tags',
      per_page: PAGE_SIZE,
      page,
      headers: etag ? { 'if-none-match': etag } : {},
    });

  const listPage = (owner: string, repo: string, page: number, etag?: string) =>
    octokit.request('GET /repos/{owner}/{repo}/releases', {
      owner,
      repo,
      per_page: PAGE_SIZE,
      page,
      headers: etag ? { 'if-none-match': etag } : {},
    });

  return {
    apiUrl: options.apiUrl,

    async getRepository(owner, repo): Promise<Repository | undefined> {
      const res = await read(`read of repository ${owner}/${repo}`, () =>
        octokit.rest.repos.get({ owner, repo }),
      );
      if (res === undefined || res === 'not-modified') return undefined;
      return { htmlUrl: res.data.html_url, description: res.data.description ?? '' };
    },

    async listReleases(owner, repo, etags) {
      const what = `list of releases of ${owner}/${repo}`;
      type Page = Awaited<ReturnType<typeof listPage>>;
      // Pages already read in full by the conditional pass (they changed) are not asked again.
      const known = new Map<number, Page>();
      if (etags && etags.length > 0) {
        for (const [i, etag] of etags.entries()) {
          const res = await read(what, () => listPage(owner, repo, i + 1, etag));
          if (res === undefined) throw missingPage(what, i + 1);
          if (res !== 'not-modified') known.set(i + 1, res);
        }
        if (known.size === 0) return { notModified: true };
      }
      const releases: Release[] = [];
      const pageEtags: string[] = [];
      for (let page = 1; ; page++) {
        const res = known.get(page) ?? (await read(what, () => listPage(owner, repo, page)));
        if (res === undefined || res === 'not-modified') throw missingPage(what, page);
        releases.push(...(res.data as ApiRelease[]).map(toRelease));
        pageEtags.push(res.headers.etag ?? '');
        if (!nextPageExists(res.headers.link)) break;
      }
      return { notModified: false, releases, etags: pageEtags };
    },

    async listTagRefs(owner, repo) {
      const what = `list of tags of ${owner}/${repo}`;
      const key = `${owner}/${repo}`.toLowerCase();
      const remembered = tagListings.get(key) ?? [];
      const pages: TagListingPage[] = [];
      for (let page = 1; ; page++) {
        const before = remembered[page - 1];
        // A repository without commits (409) or gone (404) has no tags: its releases' tags are not found.
        const res = await read(what, () => tagRefsPage(owner, repo, page, before?.etag), [404, 409]);
        if (res === undefined) break;
        const kept: TagListingPage | undefined =
          res === 'not-modified'
            ? before
            : {
                etag: res.headers.etag ?? '',
                refs: (res.data as ApiRef[]).map((r) => [r.ref, r.object.sha, r.object.type] as const),
                next: nextPageExists(res.headers.link),
              };
        if (kept === undefined) throw missingPage(what, page);
        pages.push(kept);
        if (!kept.next) break;
      }
      tagListings.set(key, pages);
      const tags = new Map<string, TagRef>();
      for (const { refs } of pages) {
        for (const [ref, sha, type] of refs) {
          if (ref.startsWith(TAG_PREFIX))
            tags.set(ref.slice(TAG_PREFIX.length), { sha, annotated: type === 'tag' });
        }
      }
      return tags;
    },

    async commitOfTagObject(owner, repo, sha) {
      const what = `read of tag object ${sha} in ${owner}/${repo}`;
      let object = { sha, type: 'tag' };
      // A tag may name another tag object: follow (a few) to the commit.
      for (let depth = 0; object.type === 'tag' && depth < 5; depth++) {
        const tagSha = object.sha;
        const tag = await read(what, () => octokit.rest.git.getTag({ owner, repo, tag_sha: tagSha }));
        if (tag === undefined || tag === 'not-modified') return undefined;
        object = tag.data.object;
      }
      return object.type === 'commit' ? object.sha : undefined;
    },

    async listRootFiles(owner, repo, ref) {
      const res = await read(`listing of ${owner}/${repo} at ${ref}`, () =>
        octokit.rest.repos.getContent({ owner, repo, path: '', ref }),
      );
      if (res === undefined || res === 'not-modified' || !Array.isArray(res.data)) return [];
      return res.data.filter((entry) => entry.type === 'file').map((entry) => entry.name);
    },

    async readFile(owner, repo, path, ref, maxBytes) {
      const res = await read(`read of ${path} in ${owner}/${repo} at ${ref}`, () =>
        octokit.rest.repos.getContent({ owner, repo, path, ref }),
      );
      if (
        res === undefined ||
        res === 'not-modified' ||
        Array.isArray(res.data) ||
        res.data.type !== 'file'
      ) {
        return undefined;
      }
      // GitHub inlines files up to 1 MB (larger ones come with encoding "none"); a file over the limit
      // is not decoded at all.
      const size = res.data.size;
      if (size > maxBytes) return { size, bytes: Buffer.alloc(0) };
      const content = 'content' in res.data ? res.data.content : '';
      return { size, bytes: Buffer.from(content, 'base64') };
    },

    async downloadReleaseFile(owner, repo, file) {
      // Through the API (works for private repositories too); GitHub answers with a redirect to its CDN,
      // which must be followed without the token.
      const url = `${options.apiUrl}/repos/${owner}/${repo}/releases/assets/${file.id}`;
      const what = `download of ${file.name} from ${owner}/${repo}`;
      try {
        // Only the API request carries the token; every redirect is checked against the policy first
        // (GitHub's hosts, the API host, ARTIFACT_HOSTS; no internal addresses) and followed by hand.
        let at = new URL(url);
        let { response, body } = await fetchWatched(
          at,
          {
            headers: {
              accept: 'application/octet-stream',
              'user-agent': USER_AGENT,
              ...(options.token ? { authorization: `token ${options.token}` } : {}),
            },
            redirect: 'manual',
          },
          options.timeoutMs,
        );
        for (let hops = 0; response.status >= 300 && response.status < 400; hops++) {
          const location = response.headers.get('location');
          await body?.cancel();
          if (!location) break;
          const next = new URL(location, at);
          if (hops >= MAX_REDIRECTS)
            throw new ArtifactRedirectRefusedError(next.href, `more than ${MAX_REDIRECTS} redirects`);
          await checkRedirect(next, { apiUrl: options.apiUrl, allowedHosts: options.artifactHosts ?? [] });
          at = next;
          ({ response, body } = await fetchWatched(
            at,
            { headers: { 'user-agent': USER_AGENT }, redirect: 'manual' },
            options.timeoutMs,
          ));
        }
        if (!response.ok || !body) {
          await body?.cancel();
          throw Object.assign(new Error(`HTTP ${response.status} from ${response.url || url}`), {
            status: response.status,
          });
        }
        return body;
      } catch (err) {
        if (err instanceof RegistryError || err instanceof ArtifactRedirectRefusedError) throw err;
        throw failure(err, what);
      }
    },
  };
}
