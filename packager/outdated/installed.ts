import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { loadAll } from 'js-yaml';
import type { Io } from '../../common/io.js';
import { PackagerError } from '../errors.js';

/** One asset as a Sensu backend holds it, and where it came from (its `io.sensu.bonsai.*` annotations). */
export interface InstalledAsset {
  /** The name in Sensu (the `--rename`d one when renamed). */
  name: string;
  /** The Sensu namespace, when the export says. */
  namespace: string | undefined;
  /** `NS/NAME` at the registry; undefined when the annotations do not say. */
  origin: { namespace: string; name: string } | undefined;
  version: string | undefined;
  /** The registry's API URL of the asset (`io.sensu.bonsai.api_url`). */
  apiUrl: string | undefined;
}

type Json = Record<string, unknown>;

/**
 * The assets in a `sensuctl asset list --format json` file (a JSON array of unwrapped assets), a
 * `sensuctl dump` file (wrapped `{type, api_version, metadata, spec}` resources, as concatenated JSON
 * objects or YAML documents), or a single resource. Resources of other types are skipped.
 * Throws a message (no code) when the text is none of these.
 */
export function readInstalledAssets(text: string): InstalledAsset[] {
  const values = parseDocuments(text);
  const items = values.flatMap((v) => (Array.isArray(v) ? v : [v]));
  const assets: InstalledAsset[] = [];
  for (const item of items) {
    if (item === null || item === undefined) continue;
    if (typeof item !== 'object' || Array.isArray(item)) throw new Error('an entry is not an object');
    const resource = item as Json;
    if (typeof resource.type === 'string' && resource.type !== 'Asset') continue;
    const metadata = resource.metadata as Json | undefined;
    if (typeof metadata !== 'object' || metadata === null || typeof metadata.name !== 'string') {
      throw new Error('an entry has no metadata.name: is this an export of Sensu assets?');
    }
    const annotations = (
      typeof metadata.annotations === 'object' && metadata.annotations !== null ? metadata.annotations : {}
    ) as Record<string, unknown>;
    const text = (key: string) => {
      const value = annotations[`io.sensu.bonsai.${key}`];
      return typeof value === 'string' && value !== '' ? value : undefined;
    };
    const ns = text('namespace');
    const name = text('name');
    assets.push({
      name: metadata.name,
      namespace: typeof metadata.namespace === 'string' ? metadata.namespace : undefined,
      origin: ns !== undefined && name !== undefined ? { namespace: ns, name } : undefined,
      version: text('version'),
      apiUrl: text('api_url'),
    });
  }
  return assets;
}

function parseDocuments(text: string): unknown[] {
  const trimmed = text.trim();
  if (trimmed === '') return [];
  try {
    return [JSON.parse(trimmed)];
  } catch {
    // not one JSON value: concatenated JSON (sensuctl dump --format json), else YAML
  }
  if (trimmed.startsWith('{')) {
    const values = concatenatedJson(trimmed);
    if (values !== undefined) return values;
  }
  return loadAll(text);
}

/** `{...}\n{...}`: splits at the end of each top-level object, strings taken into account. */
function concatenatedJson(text: string): unknown[] | undefined {
  const values: unknown[] = [];
  let depth = 0;
  let start = 0;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (inString) {
      if (c === '\\') i++;
      else if (c === '"') inString = false;
    } else if (c === '"') inString = true;
    else if (c === '{' || c === '[') depth++;
    else if (c === '}' || c === ']') {
      depth--;
      if (depth === 0) {
        try {
          values.push(JSON.parse(text.slice(start, i + 1)));
        } catch {
          return undefined;
        }
        start = i + 1;
      }
    }
  }
  return text.slice(start).trim() === '' ? values : undefined;
}

/** The text of an export file (relative to the user's folder), or OUTDATED_EXPORT_UNREADABLE. */
export async function readExport(io: Io, file: string): Promise<string> {
  try {
    return await readFile(path.resolve(io.cwd, file), 'utf8');
  } catch (err) {
    throw new PackagerError('OUTDATED_EXPORT_UNREADABLE', `cannot read ${file}: ${(err as Error).message}`, {
      hint: 'write one with: sensuctl asset list --format json > assets.json',
    });
  }
}

/** The assets of an export (or of the Sensu API's answer) read from `source`; OUTDATED_EXPORT_INVALID when it is none. */
export function installedAssetsOf(text: string, source: string): InstalledAsset[] {
  try {
    return readInstalledAssets(text);
  } catch (err) {
    throw new PackagerError(
      'OUTDATED_EXPORT_INVALID',
      `${source} is not a list of Sensu assets: ${(err as Error).message.split('\n')[0]}`,
      {
        hint: 'give the output of sensuctl asset list --format json, or of sensuctl dump assets (--format json or yaml)',
      },
    );
  }
}
