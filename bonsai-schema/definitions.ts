/**
 * The asset definitions the registry serves, built key by key so that JSON.stringify and the YAML dump
 * emit exactly this order.
 *
 * - Multi-build (`release_asset_builds`): sensu/bonsai `app/views/api/v1/release_assets/index.json.jbuilder`
 *   gives type, api_version, metadata {name, labels: nil, annotations}, spec {builds [{url, sha512,
 *   filters}]}; metadata.name is the asset (repository) name. COMPAT §5 (ours): the same metadata again at
 *   spec.metadata, after builds; builds in bonsai.yml order; `headers` only when a build has some.
 * - Single-build (`release_asset`): `app/views/api/v1/release_assets/show.json.jbuilder` gives metadata.name
 *   `<name>_<platform>_<arch>` and spec {url, sha512, filters}, byte for byte as COMPAT §5 states it: no
 *   spec.metadata here (the multi-build form is the one sensuctl fetches).
 * - No metadata.namespace anywhere (sensuctl would force it on the user's namespace).
 */
import type {
  DefinitionBuild,
  DefinitionMetadata,
  MultiBuildDefinition,
  SingleBuildDefinition,
} from './asset-types.js';

export interface DefinitionBuildInput {
  platform: string;
  arch: string;
  /** Where the agent downloads the archive (mirror or GitHub browser_download_url). */
  url: string;
  /** Lowercase hex. */
  sha512: string;
  filters: readonly string[];
  headers?: Readonly<Record<string, string>>;
}

export interface MultiBuildInput {
  /** The asset name (the repository name). */
  name: string;
  /** From bonsaiAnnotations. */
  annotations: Readonly<Record<string, string>>;
  /** In bonsai.yml order. */
  builds: readonly DefinitionBuildInput[];
}

export interface SingleBuildInput {
  name: string;
  annotations: Readonly<Record<string, string>>;
  build: DefinitionBuildInput;
}

function metadata(name: string, annotations: Readonly<Record<string, string>>): DefinitionMetadata {
  return { name, labels: null, annotations: { ...annotations } };
}

function definitionBuild(build: DefinitionBuildInput): DefinitionBuild {
  const out: DefinitionBuild = { url: build.url, sha512: build.sha512, filters: [...build.filters] };
  if (build.headers && Object.keys(build.headers).length > 0) out.headers = { ...build.headers };
  return out;
}

export function multiBuildDefinition(input: MultiBuildInput): MultiBuildDefinition {
  return {
    type: 'Asset',
    api_version: 'core/v2',
    metadata: metadata(input.name, input.annotations),
    spec: {
      builds: input.builds.map(definitionBuild),
      metadata: metadata(input.name, input.annotations),
    },
  };
}

/** Bonsai's single-build name: `<name>_<platform>_<arch>`. */
export function singleBuildName(name: string, platform: string, arch: string): string {
  return `${name}_${platform}_${arch}`;
}

export function singleBuildDefinition(input: SingleBuildInput): SingleBuildDefinition {
  const name = singleBuildName(input.name, input.build.platform, input.build.arch);
  return {
    type: 'Asset',
    api_version: 'core/v2',
    metadata: metadata(name, input.annotations),
    spec: definitionBuild(input.build),
  };
}
