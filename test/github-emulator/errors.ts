/**
 * GitHub's error answers: a status, a JSON body `{ message, documentation_url, status, errors? }` and
 * sometimes extra headers. The state and the routes throw `GitHubApiError`; the HTTP layer renders it.
 */

const DOCS = 'https://docs.github.com/rest';

/** Where GitHub's error bodies point, per operation (the `documentation_url` clients print). */
export const docs = {
  root: DOCS,
  getRepo: `${DOCS}/repos/repos#get-a-repository`,
  getRef: `${DOCS}/git/refs#get-a-reference`,
  listMatchingRefs: `${DOCS}/git/refs#list-matching-references`,
  getTag: `${DOCS}/git/tags#get-a-tag`,
  getCommit: `${DOCS}/commits/commits#get-a-commit`,
  listTags: `${DOCS}/repos/repos#list-repository-tags`,
  getContent: `${DOCS}/repos/contents#get-repository-content`,
  listReleases: `${DOCS}/releases/releases#list-releases`,
  getRelease: `${DOCS}/releases/releases#get-a-release`,
  getReleaseByTag: `${DOCS}/releases/releases#get-a-release-by-tag-name`,
  getLatestRelease: `${DOCS}/releases/releases#get-the-latest-release`,
  createRelease: `${DOCS}/releases/releases#create-a-release`,
  updateRelease: `${DOCS}/releases/releases#update-a-release`,
  deleteRelease: `${DOCS}/releases/releases#delete-a-release`,
  listAssets: `${DOCS}/releases/assets#list-release-assets`,
  getAsset: `${DOCS}/releases/assets#get-a-release-asset`,
  updateAsset: `${DOCS}/releases/assets#update-a-release-asset`,
  deleteAsset: `${DOCS}/releases/assets#delete-a-release-asset`,
  uploadAsset: `${DOCS}/releases/assets#upload-a-release-asset`,
  hooks: `${DOCS}/repos/webhooks`,
  rateLimits: `${DOCS}/overview/rate-limits-for-the-rest-api`,
  secondaryRateLimits: `${DOCS}/overview/rate-limits-for-the-rest-api#about-secondary-rate-limits`,
} as const;

export interface ValidationItem {
  resource: string;
  code: 'already_exists' | 'invalid' | 'missing_field' | 'custom';
  field: string;
  message?: string;
}

export interface GitHubErrorBody {
  message: string;
  documentation_url: string;
  status: string;
  errors?: ValidationItem[];
}

export class GitHubApiError extends Error {
  readonly body: GitHubErrorBody;

  constructor(
    readonly status: number,
    message: string,
    documentationUrl: string,
    readonly headers: Record<string, string> = {},
    errors?: ValidationItem[],
  ) {
    super(`${status} ${message}`);
    this.name = 'GitHubApiError';
    this.body = { message, documentation_url: documentationUrl, status: String(status) };
    if (errors) this.body.errors = errors;
  }
}

export const notFound = (documentationUrl: string, message = 'Not Found') =>
  new GitHubApiError(404, message, documentationUrl);

/** 422 "Validation Failed" with GitHub's `errors` array (e.g. a duplicate tag or asset name). */
export const validationFailed = (documentationUrl: string, ...errors: ValidationItem[]) =>
  new GitHubApiError(422, 'Validation Failed', documentationUrl, {}, errors);

/** 422 for a body that does not fit the operation's schema (GitHub's wording: "Invalid request."). */
export const invalidRequest = (documentationUrl: string, detail: string) =>
  new GitHubApiError(422, `Invalid request.\n\n${detail}`, documentationUrl);
