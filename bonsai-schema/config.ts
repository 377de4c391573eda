import { diagnostic, errorsOf, hinted, type Diagnostic, type Position } from './diagnostics.js';
import { configTooLarge, MAX_ANNOTATION_VALUE_BYTES, MAX_CONFIG_FILE_BYTES } from './config-bounds.js';
import { judgeBuildFilters } from './filter-verdicts.js';
import { checkFilters } from './filters.js';
import { releaseFileNameProblem } from './file-names.js';
import { checkInterpolation } from './interpolate.js';
import { parseYaml, type YamlMapping, type YamlNode, type YamlScalar } from './yaml-source.js';

/** Where Bonsai looks for its configuration, first match wins (sensu/bonsai app/models/extension.rb). */
export const CONFIG_FILE_NAMES = ['bonsai.yml', 'bonsai.yaml', '.bonsai.yml', '.bonsai.yaml'] as const;

export const ANNOTATION_PREFIX = 'io.sensu.bonsai.';

export interface BuildConfig {
  /** 1-based, as Bonsai numbers builds in its messages ("build #2 ..."). */
  number: number;
  platform: string;
  arch: string;
  /** Templates: `#{repo}` and `#{version}` are not yet substituted. */
  assetFilename: string;
  shaFilename: string;
  filters: string[];
  /** Line of the build's mapping in bonsai.yml. */
  line: number;
  positions: {
    platform: Position;
    arch: Position;
    assetFilename: Position;
    shaFilename: Position;
    filters: Position[];
    /** Where each filter's first character is, when its YAML text maps one to one (for FILE:LINE:COL). */
    filterStarts: (Position | undefined)[];
  };
}

export interface BonsaiConfig {
  /** Raw, usually "#{repo}". */
  description: string | undefined;
  builds: BuildConfig[];
  /** Keys already prefixed with `io.sensu.bonsai.`, values strings, in file order. */
  annotations: Record<string, string>;
  /** Accepted for compatibility; Bonsai never emits them. */
  labels: Record<string, string>;
}

export interface ConfigResult {
  /** Present when there is no error (warnings allowed). */
  config: BonsaiConfig | undefined;
  diagnostics: Diagnostic[];
}

/** Picks the configuration file among the names found at the repository root (COMPAT §1). */
export function pickConfigFile(namesInRoot: readonly string[]): {
  name: string | undefined;
  diagnostics: Diagnostic[];
} {
  const present = CONFIG_FILE_NAMES.filter((name) => namesInRoot.includes(name));
  const [first, second] = present;
  if (!first) {
    return {
      name: undefined,
      diagnostics: [
        diagnostic(
          'CONFIG_NOT_FOUND',
          `cannot find a Bonsai configuration file (looked for ${CONFIG_FILE_NAMES.join(', ')} at the repository root)`,
        ),
      ],
    };
  }
  if (second) {
    return {
      name: undefined,
      diagnostics: [
        diagnostic(
          'CONFIG_AMBIGUOUS',
          `both ${present.join(' and ')} exist; Bonsai would silently read ${first}: keep only one`,
        ),
      ],
    };
  }
  return { name: first, diagnostics: [] };
}

const TOP_LEVEL_KEYS = ['description', 'builds', 'annotations', 'labels'];
const BUILD_KEYS = ['platform', 'arch', 'asset_filename', 'sha_filename', 'filter'];
// Bonsai checks sha_filename before asset_filename; keep its order so the first error matches.
const REQUIRED_BUILD_FIELDS = [
  ['platform', 'a'],
  ['arch', 'an'],
  ['sha_filename', 'a'],
  ['asset_filename', 'an'],
] as const;

/** Parses and validates a bonsai.yml (COMPAT §1), reporting every problem with its line and column. */
export function parseBonsaiConfig(text: string): ConfigResult {
  // Every caller (lint, check, ingest) gets the same bound, whoever read the file.
  if (Buffer.byteLength(text, 'utf8') > MAX_CONFIG_FILE_BYTES)
    return { config: undefined, diagnostics: [configTooLarge()] };
  const parsed = parseYaml(text);
  const diagnostics = [...parsed.diagnostics];
  const root = parsed.root;
  if (errorsOf(diagnostics).length > 0) return { config: undefined, diagnostics };
  if (!root || root.kind !== 'mapping') {
    const found = !root ? 'the file is empty' : `found a ${describe(root)}`;
    diagnostics.push(
      diagnostic(
        'CONFIG_NOT_MAPPING',
        `Bonsai configuration is invalid: the top level must be a mapping with 'builds' (and optionally ` +
          `'description', 'annotations'); ${found}`,
        root ?? { line: 1, column: 1 },
      ),
    );
    return { config: undefined, diagnostics };
  }

  const config: BonsaiConfig = { description: undefined, builds: [], annotations: {}, labels: {} };
  for (const entry of root.entries) {
    if (entry.name === 'filter' || entry.name === 'filters') {
      diagnostics.push(dedentedFilter(root, entry.key));
    } else if (!TOP_LEVEL_KEYS.includes(entry.name)) {
      diagnostics.push(
        diagnostic(
          'CONFIG_UNKNOWN_KEY',
          `unknown top-level key '${entry.name}' is ignored (known keys: ${TOP_LEVEL_KEYS.join(', ')})`,
          entry.key,
        ),
      );
    }
  }
  const description = lookup(root, 'description');
  if (description && !isNull(description)) {
    if (description.kind === 'scalar') config.description = description.text;
    else {
      diagnostics.push(
        diagnostic(
          'CONFIG_DESCRIPTION_NOT_STRING',
          `'description' must be a string (usually "#{repo}"), found a ${describe(description)}`,
          description,
        ),
      );
    }
  }
  config.builds = readBuilds(root, diagnostics, text.split('\n'));
  if (errorsOf(diagnostics).length === 0)
    for (const d of judgeBuildFilters(config.builds)) diagnostics.push(d);
  config.annotations = readStringMap(root, 'annotations', diagnostics, (key) =>
    key.startsWith(ANNOTATION_PREFIX) ? key : ANNOTATION_PREFIX + key,
  );
  config.labels = readStringMap(root, 'labels', diagnostics, (key) => key);
  return { config: errorsOf(diagnostics).length > 0 ? undefined : config, diagnostics };
}

/**
 * A `filter:` at the top level: a build's filter block lost its indentation, so that build has no filter
 * (and matches every machine). Names the build it most likely belonged to: the last one above it.
 */
function dedentedFilter(root: YamlMapping, key: YamlNode): Diagnostic {
  const builds = lookup(root, 'builds');
  const above = builds?.kind === 'sequence' ? builds.items.filter((item) => item.line < key.line) : [];
  const owner =
    above.length > 0 ? `build #${above.length} (line ${above[above.length - 1]!.line})` : undefined;
  return hinted(
    'BUILD_FILTER_DEDENTED',
    `'${key.kind === 'scalar' ? key.text : 'filter'}' at the top level is ignored: it is indented as a key of ` +
      `the file, not of a build` +
      (owner ? `, so ${owner} has no filter and matches every machine` : ''),
    `indent it under its build, level with 'platform:'${owner ? ` of ${owner}` : ''}`,
    key,
  );
}

function readBuilds(root: YamlMapping, diagnostics: Diagnostic[], lines: readonly string[]): BuildConfig[] {
  const node = lookup(root, 'builds');
  if (!node || isNull(node) || (node.kind === 'sequence' && node.items.length === 0)) {
    diagnostics.push(
      diagnostic(
        'CONFIG_NO_BUILDS',
        "Bonsai configuration has no 'builds' section (add a 'builds:' list with one item per platform/arch)",
        node ?? root,
      ),
    );
    return [];
  }
  if (node.kind !== 'sequence') {
    diagnostics.push(
      diagnostic(
        'CONFIG_BUILDS_NOT_LIST',
        `'builds' must be a list (each build starts with '- platform: ...'), found a ${describe(node)}`,
        node,
      ),
    );
    return [];
  }
  let builds: BuildConfig[] = [];
  const seen = new Map<string, BuildConfig>();
  node.items.forEach((item, index) => {
    const build = readBuild(item, index + 1, diagnostics, lines);
    if (!build) return;
    const key = `${build.platform}\u0000${build.arch}`;
    const earlier = seen.get(key);
    if (earlier) {
      // Bonsai keys a version's builds on (platform, arch): the last of a pair wins. Real repositories
      // served by bonsai.sensu.io do this, so it is served here the same way (COMPAT §1), with a warning.
      diagnostics.push(
        hinted(
          'BUILD_DUPLICATE_PLATFORM_ARCH',
          `build #${build.number} (line ${build.line}) has the same platform '${build.platform}' and arch ` +
            `'${build.arch}' as build #${earlier.number} (line ${earlier.line}); a version keys its builds on ` +
            `(platform, arch), so build #${earlier.number} is dropped and build #${build.number} served, as Bonsai does`,
          'give each build its own (platform, arch) pair, or remove the one that should not be served',
          build.positions.platform,
        ),
      );
      builds = builds.filter((b) => b !== earlier);
    }
    seen.set(key, build);
    builds.push(build);
  });
  return builds;
}

function readBuild(
  node: YamlNode,
  number: number,
  diagnostics: Diagnostic[],
  lines: readonly string[],
): BuildConfig | undefined {
  if (node.kind !== 'mapping') {
    diagnostics.push(
      diagnostic(
        'BUILD_MALFORMED',
        `build #${number} is malformed (perhaps missing indentation): expected a mapping with platform, ` +
          `arch, asset_filename, sha_filename, found a ${describe(node)}`,
        node,
      ),
    );
    return undefined;
  }
  const before = errorsOf(diagnostics).length;
  for (const entry of node.entries) {
    if (!BUILD_KEYS.includes(entry.name) && entry.name !== 'filters') {
      diagnostics.push(
        diagnostic(
          'BUILD_UNKNOWN_KEY',
          `build #${number}: unknown key '${entry.name}' is ignored (known keys: ${BUILD_KEYS.join(', ')})`,
          entry.key,
        ),
      );
    }
  }
  const fields: Partial<Record<(typeof REQUIRED_BUILD_FIELDS)[number][0], YamlScalar>> = {};
  for (const [field, article] of REQUIRED_BUILD_FIELDS) {
    const value = lookup(node, field);
    if (!value || isNull(value) || (value.kind === 'scalar' && value.text.trim() === '')) {
      diagnostics.push(
        diagnostic(
          'BUILD_MISSING_FIELD',
          `build #${number} is missing ${article} '${field}' value`,
          value ?? keyOf(node, field) ?? node,
        ),
      );
    } else if (value.kind !== 'scalar') {
      diagnostics.push(
        diagnostic(
          'BUILD_FIELD_NOT_STRING',
          `build #${number}: '${field}' must be a string, found a ${describe(value)}`,
          value,
        ),
      );
    } else {
      fields[field] = value;
    }
  }
  for (const field of ['asset_filename', 'sha_filename'] as const) {
    const value = fields[field];
    if (!value) continue;
    diagnostics.push(...checkInterpolation(value.text, `build #${number} '${field}'`, value));
    const problem = releaseFileNameProblem(value.text);
    if (problem) {
      diagnostics.push(
        diagnostic(
          'RELEASE_FILE_NAME_INVALID',
          `build #${number} '${field}' ('${value.text}') cannot name a release file: it ${problem}; ` +
            'release files have plain names (e.g. "#{repo}_#{version}_linux_amd64.tar.gz")',
          value,
        ),
      );
    }
  }
  const filters = readFilters(node, number, diagnostics);
  const { platform, arch, sha_filename, asset_filename } = fields;
  if (errorsOf(diagnostics).length > before || !platform || !arch || !sha_filename || !asset_filename) {
    return undefined;
  }
  return {
    number,
    platform: platform.text,
    arch: arch.text,
    assetFilename: asset_filename.text,
    shaFilename: sha_filename.text,
    filters: filters.map((f) => f.text),
    line: node.line,
    positions: {
      platform: at(platform),
      arch: at(arch),
      assetFilename: at(asset_filename),
      shaFilename: at(sha_filename),
      filters: filters.map(at),
      filterStarts: filters.map((f) => textStart(f, lines)),
    },
  };
}

/**
 * Where a filter's first character is in bonsai.yml: after the opening quote of a quoted scalar, at the
 * scalar for a plain one; undefined when the source line does not hold the text verbatim (escapes, folding).
 */
function textStart(scalar: YamlScalar, lines: readonly string[]): Position | undefined {
  const line = lines[scalar.line - 1];
  if (line === undefined || scalar.text.includes('\n')) return undefined;
  const first = line.slice(scalar.column - 1);
  const quoted = first.startsWith('"') || first.startsWith("'");
  const column = scalar.column + (quoted ? 1 : 0);
  return line.slice(column - 1).startsWith(scalar.text) ? { line: scalar.line, column } : undefined;
}

/** `filter:` is a string or a list of strings; `filters:` is accepted as an alias (COMPAT §1, ours). */
function readFilters(build: YamlMapping, number: number, diagnostics: Diagnostic[]): YamlScalar[] {
  const singular = build.entries.find((e) => e.name === 'filter');
  const plural = build.entries.find((e) => e.name === 'filters');
  if (singular && plural) {
    diagnostics.push(
      diagnostic(
        'BUILD_FILTER_AND_FILTERS',
        `build #${number} has both 'filter' (line ${singular.key.line}) and 'filters' (line ` +
          `${plural.key.line}); Bonsai reads only 'filter': merge them into 'filter'`,
        plural.key,
      ),
    );
    return [];
  }
  if (plural) {
    diagnostics.push(
      diagnostic(
        'BUILD_FILTERS_ALIAS',
        `build #${number} uses 'filters', which Bonsai ignores (it reads only 'filter'), so on ` +
          `bonsai.sensu.io this build would match every machine; accepted here, but rename it to 'filter'`,
        plural.key,
      ),
    );
  }
  const entry = singular ?? plural;
  if (!entry || isNull(entry.value)) return [];
  const items = entry.value.kind === 'sequence' ? entry.value.items : [entry.value];
  const filters: YamlScalar[] = [];
  items.forEach((item, index) => {
    // An empty string is a filter sensu accepts (it never matches): FILTER_EMPTY warns about it.
    if (item.kind !== 'scalar' || isNull(item)) {
      const found = item.kind === 'scalar' ? 'an empty value' : `a ${describe(item)}`;
      diagnostics.push(
        diagnostic(
          'BUILD_FILTER_NOT_STRING',
          `build #${number}: filter ${index + 1} must be a JavaScript expression string, found ${found}`,
          item,
        ),
      );
    } else {
      filters.push(item);
    }
  });
  diagnostics.push(...checkFilters(filters.map((f) => ({ expression: f.text, position: at(f) }))));
  return filters;
}

/** `annotations:` / `labels:`: a mapping of strings; scalars that are not strings are stringified. */
function readStringMap(
  root: YamlMapping,
  section: 'annotations' | 'labels',
  diagnostics: Diagnostic[],
  keyOf: (key: string) => string,
): Record<string, string> {
  const node = lookup(root, section);
  const result: Record<string, string> = {};
  if (!node || isNull(node)) return result;
  const codes =
    section === 'annotations'
      ? ({
          notMap: 'ANNOTATIONS_NOT_MAPPING',
          stringified: 'ANNOTATION_VALUE_STRINGIFIED',
          invalid: 'ANNOTATION_VALUE_INVALID',
          tooLarge: 'ANNOTATION_VALUE_TOO_LARGE',
        } as const)
      : ({
          notMap: 'LABELS_NOT_MAPPING',
          stringified: 'LABEL_VALUE_STRINGIFIED',
          invalid: 'LABEL_VALUE_INVALID',
          tooLarge: 'LABEL_VALUE_TOO_LARGE',
        } as const);
  const noun = section === 'annotations' ? 'annotation' : 'label';
  if (node.kind !== 'mapping') {
    diagnostics.push(
      diagnostic(
        codes.notMap,
        `'${section}' must be a mapping of names to strings, found a ${describe(node)}`,
        node,
      ),
    );
    return result;
  }
  const origin = new Map<string, number>();
  for (const entry of node.entries) {
    const key = keyOf(entry.name);
    const earlier = origin.get(key);
    if (earlier !== undefined) {
      diagnostics.push(
        diagnostic(
          codes.invalid,
          `${noun} '${entry.name}' names the same ${noun} '${key}' as line ${earlier}: keep one`,
          entry.key,
        ),
      );
      continue;
    }
    origin.set(key, entry.key.line);
    const value = entry.value;
    if (value.kind !== 'scalar') {
      diagnostics.push(
        diagnostic(
          codes.invalid,
          `${noun} '${entry.name}' must have a string value, found a ${describe(value)} ` +
            `(sensu-go reads ${section} as strings)`,
          value,
        ),
      );
      continue;
    }
    const text = value.type === 'null' ? '' : value.text;
    const bytes = Buffer.byteLength(text, 'utf8');
    if (bytes > MAX_ANNOTATION_VALUE_BYTES) {
      diagnostics.push(
        diagnostic(
          codes.tooLarge,
          `${noun} '${entry.name}' is ${bytes} bytes long; the limit is ${MAX_ANNOTATION_VALUE_BYTES} ` +
            `(every agent and sensuctl reads ${section} with the asset): link to a document instead`,
          value,
        ),
      );
      continue;
    }
    if (value.type !== 'string') {
      diagnostics.push(
        diagnostic(
          codes.stringified,
          `${noun} '${entry.name}' has a ${value.type} value, served as the string "${text}" (sensu-go ` +
            `reads ${section} as strings): quote it in bonsai.yml`,
          value,
        ),
      );
    }
    result[key] = text;
  }
  return result;
}

function lookup(map: YamlMapping, key: string): YamlNode | undefined {
  return map.entries.find((e) => e.name === key)?.value;
}

function keyOf(map: YamlMapping, key: string): YamlNode | undefined {
  return map.entries.find((e) => e.name === key)?.key;
}

function isNull(node: YamlNode): boolean {
  return node.kind === 'scalar' && node.type === 'null';
}

function describe(node: YamlNode): string {
  if (node.kind === 'mapping') return 'mapping';
  if (node.kind === 'sequence') return 'list';
  return node.type === 'string' ? 'string' : `${node.type} scalar`;
}

function at(node: Position): Position {
  return { line: node.line, column: node.column };
}
