import { PackagerError } from '../errors.js';
import { networkFailure } from '../../common/network-failure.js';

import { DEFAULT_REGISTRY_URL, DEFAULT_TIMEOUT_MS } from './defaults.js';
const ASSETS_PATH = '/api/v1/assets';

export interface AssetVersions {
  /** `ns/name` as the registry spells it. */
  name: string;
  /** `versions[].version`, in the registry's order and spelling: all sensuctl reads. */
  versions: string[];
  /** How many `versions` items were not objects with a string `version` (sensuctl would crash on null). */
  skipped: number;
}

/**
 * A client of the Bonsai API v1 read side that makes exactly the requests sensuctl makes (COMPAT §6):
 * GETs with `Accept: application/json` under `<registry>/api/v1/assets`, and fails on any status ≥ 400.
 */
export class BonsaiApiClient {
  readonly assetsUrl: string;

  constructor(
    registryUrl: string,
    private readonly timeoutMs = DEFAULT_TIMEOUT_MS,
  ) {
    this.assetsUrl = assetsEndpoint(registryUrl);
  }

  async fetchAssetVersions(namespace: string, name: string): Promise<AssetVersions> {
    const body = await this.fetchAsset(namespace, name);
    const listed = Array.isArray(body.versions) ? body.versions : [];
    const versions = listed.flatMap((v) => (isObject(v) && typeof v.version === 'string' ? [v.version] : []));
    return {
      name: typeof body.name === 'string' ? body.name : `${namespace}/${name}`,
      versions,
      skipped: listed.length - versions.length,
    };
  }

  /** The whole API asset object (`GET /api/v1/assets/NS/NAME`), as one JSON object. */
  async fetchAsset(namespace: string, name: string): Promise<Record<string, unknown>> {
    const url = this.url(namespace, name);
    const body = await this.getJson(url, `asset ${namespace}/${name}`, 'ASSET_NOT_FOUND');
    if (!isObject(body)) throw notAnObject(url, body);
    return body;
  }

  /** The multi-build definition, as one JSON object (sensuctl refuses anything else). */
  async fetchDefinition(namespace: string, name: string, version: string): Promise<Record<string, unknown>> {
    const url = this.url(namespace, name, version, 'release_asset_builds');
    const body = await this.getJson(url, `version ${version} of ${namespace}/${name}`, 'REGISTRY_HTTP_ERROR');
    if (!isObject(body)) throw notAnObject(url, body);
    return body;
  }

  private url(...segments: string[]): string {
    return `${this.assetsUrl}/${segments.map(encodeURIComponent).join('/')}`;
  }

  private async getJson(
    url: string,
    what: string,
    notFoundCode: 'ASSET_NOT_FOUND' | 'REGISTRY_HTTP_ERROR',
  ): Promise<unknown> {
    let response: Response;
    let text: string;
    try {
      response = await fetch(url, {
        headers: { accept: 'application/json', 'content-type': 'application/json' },
        signal: AbortSignal.timeout(this.timeoutMs),
        redirect: 'follow',
      });
      text = await response.text();
    } catch (err) {
      throw transportError(url, err, this.timeoutMs);
    }
    if (response.status >= 400) {
      const reason = registryMessages(text);
      const detail = reason ? `: ${reason}` : '';
      if (response.status === 404 && notFoundCode === 'ASSET_NOT_FOUND') {
        throw new PackagerError('ASSET_NOT_FOUND', `${what} was not found at ${url} (404${detail})`, {
          hint: 'check the namespace (the GitHub owner) and the name (the repository), or the --registry it was published to',
        });
      }
      // sensuctl's wording; a listed version whose definition fails is the registry's fault (exit 3).
      throw new PackagerError(
        'REGISTRY_HTTP_ERROR',
        `bonsai api returned status code: ${response.status} for ${url}${detail}`,
      );
    }
    try {
      return JSON.parse(text);
    } catch {
      const type = response.headers.get('content-type') ?? 'none';
      throw new PackagerError(
        'REGISTRY_NOT_JSON',
        `the registry answered ${url} with something that is not JSON (content-type ${type}, starting ` +
          `${JSON.stringify(text.slice(0, 40))})`,
        {
          hint: `is this a Bonsai-compatible registry? Give its base URL (bonsai add appends ${ASSETS_PATH})`,
        },
      );
    }
  }
}

/** `https://hub.example.com` or `https://hub.example.com/api/v1/assets` → the assets endpoint. */
export function assetsEndpoint(registryUrl: string): string {
  let parsed: URL;
  try {
    parsed = new URL(registryUrl);
  } catch {
    parsed = new URL('invalid:');
  }
  if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:') {
    throw new PackagerError(
      'REGISTRY_URL_INVALID',
      `registry URL ${JSON.stringify(registryUrl)} is not an http(s) URL`,
      {
        hint: `e.g. --registry https://bonsai.example.com (default ${DEFAULT_REGISTRY_URL})`,
      },
    );
  }
  const base = `${parsed.origin}${parsed.pathname}`.replace(/\/+$/, '');
  return base.endsWith(ASSETS_PATH) ? base : base + ASSETS_PATH;
}

function transportError(url: string, err: unknown, timeoutMs: number): PackagerError {
  const name = err instanceof Error ? err.name : '';
  if (name === 'TimeoutError' || name === 'AbortError') {
    return new PackagerError(
      'REGISTRY_TIMEOUT',
      `the registry did not answer ${url} within ${timeoutMs / 1000} s`,
      {
        hint: 'try again later, or raise --timeout',
      },
    );
  }
  const cause = err instanceof Error && err.cause instanceof Error ? err.cause : err;
  const reason = networkFailure(err) ?? String((cause as Error)?.message ?? cause);
  return new PackagerError('REGISTRY_UNREACHABLE', `cannot reach the registry at ${url} (${reason})`, {
    hint: 'check --registry / BONSAI_REGISTRY_URL, and that the registry is running',
    cause: err,
  });
}

/** Bonsai's error body: `{"error_messages": [...], "error_code": "..."}`. */
function registryMessages(text: string): string | undefined {
  try {
    const body: unknown = JSON.parse(text);
    if (isObject(body) && Array.isArray(body.error_messages)) return body.error_messages.join('; ');
  } catch {
    // not JSON: the status alone says it
  }
  return undefined;
}

function notAnObject(url: string, body: unknown): PackagerError {
  const found = Array.isArray(body) ? 'a JSON array' : `JSON ${body === null ? 'null' : typeof body}`;
  return new PackagerError(
    'REGISTRY_NOT_JSON',
    `the registry answered ${url} with ${found}; sensuctl needs one JSON object`,
  );
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
