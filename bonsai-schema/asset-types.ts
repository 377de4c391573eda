/**
 * The shapes the registry serves, as plain data. Field names are the wire names (snake_case) because
 * the objects are serialised as they are: JSON.stringify / js-yaml dump keep the construction order.
 *
 * Sources (paths in the public repositories):
 * - core/v2 Asset resource: sensu-go `api/core/v2/asset.go` (Validate), `types/wrapper.go` (type,
 *   api_version, metadata, spec; spec decoded with unknown fields refused, so only Asset fields may appear).
 * - Bonsai views: sensu/bonsai `app/views/api/v1/release_assets/index.json.jbuilder` (multi-build),
 *   `app/views/api/v1/release_assets/show.json.jbuilder` (single-build),
 *   `app/views/api/v1/extensions/_extension.json.jbuilder`, `_extension_version.json.jbuilder` and
 *   `_release_asset.json.jbuilder` (API asset object), `app/views/api/v1/extensions/index.json.jbuilder` (list).
 */

/** core/v2 ObjectMeta, as far as assets use it. */
export interface ObjectMeta {
  name: string;
  namespace?: string;
  labels?: Record<string, string> | null;
  annotations?: Record<string, string> | null;
}

/** One build of a core/v2 Asset (`spec.builds[]`). */
export interface AssetBuild {
  url: string;
  sha512: string;
  filters?: string[] | null;
  headers?: Record<string, string> | null;
}

/** core/v2 Asset `spec`: either `builds`, or the deprecated single-build fields at the top. */
export interface AssetSpec {
  url?: string;
  sha512?: string;
  filters?: string[] | null;
  headers?: Record<string, string> | null;
  builds?: AssetBuild[] | null;
  metadata?: ObjectMeta;
}

/** A core/v2 Asset as `sensuctl create -f` reads it (the wrapped form). */
export interface AssetResource {
  type: 'Asset';
  api_version: 'core/v2';
  metadata: ObjectMeta;
  spec: AssetSpec;
}

/** Metadata as the registry emits it: no namespace (sensuctl would force it), labels always null. */
export interface DefinitionMetadata {
  name: string;
  labels: null;
  annotations: Record<string, string>;
}

/** A build inside a served definition: only the keys sensuctl knows, so it prints no warnings. */
export interface DefinitionBuild {
  url: string;
  sha512: string;
  filters: string[];
  headers?: Record<string, string>;
}

/** `GET /api/v1/assets/:ns/:name/:version/release_asset_builds`. */
export interface MultiBuildDefinition {
  type: 'Asset';
  api_version: 'core/v2';
  metadata: DefinitionMetadata;
  spec: { builds: DefinitionBuild[]; metadata: DefinitionMetadata };
}

/** `GET /api/v1/assets/:ns/:name/:version/:platform/:arch/release_asset` (and its YAML download). */
export interface SingleBuildDefinition {
  type: 'Asset';
  api_version: 'core/v2';
  metadata: DefinitionMetadata;
  spec: DefinitionBuild;
}

export type AssetDefinition = MultiBuildDefinition | SingleBuildDefinition;

/** A build inside the API asset object (`versions[].assets[]`); `filter` is singular there. */
export interface ApiAssetBuild {
  platform: string;
  arch: string;
  filter: string[];
  annotations: Record<string, string>;
  asset_sha: string;
  asset_url: string;
  last_modified: string;
  details_url: string;
}

export interface ApiAssetVersion {
  version: string;
  assets: ApiAssetBuild[];
}

/** `GET /api/v1/assets/:ns/:name`, and each item of the list. */
export interface ApiAsset {
  name: string;
  description: string;
  url: string;
  github_url: string;
  download_url: string;
  deprecated: boolean;
  versions: ApiAssetVersion[];
}

/** `GET /api/v1/assets`. */
export interface ApiAssetList {
  start: number;
  total: number;
  next?: string;
  assets: ApiAsset[];
}
