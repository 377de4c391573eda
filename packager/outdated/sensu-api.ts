import { networkFailure } from '../../common/network-failure.js';
import { PackagerError, usageFailure } from '../errors.js';

/** How many assets each page asks for; the backend says with `Sensu-Continue` when there are more. */
const PAGE = 500;

export interface SensuCredentials {
  /** `Authorization: Key ...` (an API key: SENSU_API_KEY). */
  apiKey?: string | undefined;
  /** `Authorization: Bearer ...` (an access token: SENSU_ACCESS_TOKEN). */
  accessToken?: string | undefined;
}

/**
 * The assets of `namespaces` as the Sensu API lists them (`GET /api/core/v2/namespaces/NS/assets`, every
 * page), as the JSON text of one array: the same shape `sensuctl asset list --format json` prints.
 */
export async function fetchSensuAssets(
  sensuUrl: string,
  namespaces: readonly string[],
  credentials: SensuCredentials,
  timeoutMs: number,
): Promise<string> {
  if (!/^https?:\/\/[^/]/.test(sensuUrl)) {
    throw usageFailure(
      'SENSU_API_FAILED',
      `--sensu-url ${JSON.stringify(sensuUrl)} is not an http(s) URL`,
      'the backend API URL, e.g. --sensu-url http://sensu-backend:8080',
    );
  }
  const authorization =
    credentials.apiKey !== undefined && credentials.apiKey !== ''
      ? `Key ${credentials.apiKey}`
      : credentials.accessToken !== undefined && credentials.accessToken !== ''
        ? `Bearer ${credentials.accessToken}`
        : undefined;
  if (authorization === undefined) {
    throw usageFailure(
      'SENSU_API_FAILED',
      'no credentials for the Sensu API',
      'set SENSU_API_KEY (sensuctl api-key grant USER) or SENSU_ACCESS_TOKEN',
    );
  }
  const base = sensuUrl.replace(/\/+$/, '');
  const assets: unknown[] = [];
  for (const namespace of namespaces) {
    let next: string | undefined = '';
    while (next !== undefined) {
      const query = new URLSearchParams({ limit: String(PAGE), ...(next ? { continue: next } : {}) });
      const url = `${base}/api/core/v2/namespaces/${encodeURIComponent(namespace)}/assets?${query}`;
      let response: Response;
      let text: string;
      try {
        response = await fetch(url, {
          headers: { authorization, accept: 'application/json' },
          signal: AbortSignal.timeout(timeoutMs),
        });
        text = await response.text();
      } catch (err) {
        throw failed(
          `cannot reach the Sensu API at ${url} (${networkFailure(err) ?? (err as Error).message})`,
          err,
        );
      }
      if (response.status === 401 || response.status === 403) {
        throw usageFailure(
          'SENSU_API_FAILED',
          `the Sensu API refused the credentials (${response.status}) for ${url}`,
          'check SENSU_API_KEY / SENSU_ACCESS_TOKEN and that its user may list assets in that namespace',
        );
      }
      if (response.status !== 200) throw failed(`the Sensu API answered ${response.status} for ${url}`);
      let page: unknown;
      try {
        page = JSON.parse(text);
      } catch {
        page = undefined;
      }
      if (!Array.isArray(page))
        throw failed(`the Sensu API answered ${url} with something that is not a JSON array`);
      assets.push(...page);
      next = response.headers.get('sensu-continue') || undefined;
    }
  }
  return JSON.stringify(assets);
}

function failed(message: string, cause?: unknown): PackagerError {
  return new PackagerError('SENSU_API_FAILED', message, {
    hint: 'check --sensu-url (the backend API, port 8080 by default) and that the backend is running',
    cause,
  });
}
