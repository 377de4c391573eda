/**
 * What sensu checks before it accepts an Asset (COMPAT §7), with sensu's own messages
 * (sensu-go `api/core/v2/asset.go`: Validate, AssetBuild.Validate, ValidateAssetName; `js/js.go` for filters).
 *
 * Sensu stops at the first problem; we report all of them, in sensu's order (name, namespace, then per
 * build: sha512, url, filters). A build's messages start with `build #N: ` (1-based, as Bonsai numbers
 * builds) so the user knows which one; the rest of the text is sensu's.
 */
import type { AssetResource } from './asset-types.js';
import { diagnostic, type Diagnostic } from './diagnostics.js';
import { filterSyntaxError } from './filters.js';

/**
 * sensu-go `AssetNameRegex` (`^[\w\/\_\.\-\:]+$`: word characters, `/`, `.`, `-`, `:`); Go's `\w` is
 * ASCII-only, as JavaScript's is without the `u` flag.
 */
export const ASSET_NAME_PATTERN = /^[\w/.:-]+$/;

export const MIN_SHA512_LENGTH = 128;

export interface AssetValidationOptions {
  /**
   * The namespace the asset will be created in (sensuctl's current namespace). When given it must be
   * non-empty; when absent, metadata.namespace is checked if the resource carries one. The definitions the
   * registry serves carry none on purpose.
   */
  namespace?: string;
}

interface BuildFields {
  url?: string | undefined;
  sha512?: string | undefined;
  filters?: readonly string[] | null | undefined;
}

export function validateAssetName(name: string): Diagnostic[] {
  if (name === '') return [diagnostic('ASSET_INVALID_NAME', 'name cannot be empty')];
  if (!ASSET_NAME_PATTERN.test(name)) {
    return [
      diagnostic(
        'ASSET_INVALID_NAME',
        `name may only contain letters, forward slashes, underscores, dashes and numbers (name ${JSON.stringify(name)})`,
      ),
    ];
  }
  return [];
}

function validateBuild(build: BuildFields, prefix: string): Diagnostic[] {
  const problems: Diagnostic[] = [];
  const sha512 = build.sha512 ?? '';
  if (sha512 === '') {
    problems.push(diagnostic('ASSET_SHA512_INVALID', `${prefix}SHA-512 checksum cannot be empty`));
  } else if (sha512.length < MIN_SHA512_LENGTH) {
    problems.push(
      diagnostic(
        'ASSET_SHA512_INVALID',
        `${prefix}SHA-512 checksum must be at least ${MIN_SHA512_LENGTH} characters (got ${sha512.length})`,
      ),
    );
  }
  if ((build.url ?? '') === '') problems.push(diagnostic('ASSET_URL_EMPTY', `${prefix}URL cannot be empty`));
  (build.filters ?? []).forEach((expression, index) => {
    const error = filterSyntaxError(expression, index);
    if (error !== undefined) problems.push(diagnostic('FILTER_SYNTAX', `${prefix}${error}`));
  });
  return problems;
}

/** Every reason sensu would refuse this Asset; empty when `sensuctl create -f` would accept it. */
export function validateAsset(resource: AssetResource, options: AssetValidationOptions = {}): Diagnostic[] {
  const problems = validateAssetName(resource.metadata.name ?? '');
  const namespace = 'namespace' in options ? options.namespace : resource.metadata.namespace;
  if (namespace !== undefined && namespace === '') {
    problems.push(diagnostic('ASSET_NAMESPACE_EMPTY', 'namespace cannot be empty'));
  }
  const { spec } = resource;
  const builds = spec.builds ?? [];
  if (builds.length > 0) {
    builds.forEach((build, i) => problems.push(...validateBuild(build, `build #${i + 1}: `)));
  } else if (spec.url !== undefined || spec.sha512 !== undefined) {
    // The deprecated single-build form: the same checks on spec's own url/sha512/filters.
    problems.push(...validateBuild(spec, ''));
  } else {
    problems.push(
      diagnostic(
        'ASSET_NO_BUILDS',
        'SHA-512 checksum cannot be empty: the asset has no spec.builds and no top-level url and sha512',
      ),
    );
  }
  return problems;
}
