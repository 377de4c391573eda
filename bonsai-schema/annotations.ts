/**
 * The `io.sensu.bonsai.*` annotations every served definition carries (COMPAT §5). sensuctl reads
 * api_url, version, namespace and name back (`sensuctl asset outdated`, sensu-go `bonsai/bonsai.go`), so
 * they must be present and be strings. Key order is the one Bonsai emits (as seen in definitions
 * published by sensu, e.g. sensu-docs' asset examples): url, api_url, tier, version, namespace, name, tags.
 */
import { assetApiUrl, assetPageUrl } from './asset-urls.js';

export const DEFAULT_TIER = 'Community';

export interface AnnotationInput {
  /** The registry's public base URL. */
  baseUrl: string;
  namespace: string;
  name: string;
  /** The git tag, verbatim (a leading `v` included). */
  version: string;
  /** Bonsai's tier name; `Community` when absent. */
  tier?: string;
  tags?: readonly string[];
  /** bonsai.yml `annotations:`, keys already prefixed with `io.sensu.bonsai.`, in file order. */
  configAnnotations?: Readonly<Record<string, string>>;
}

/**
 * The annotations of one version, all strings.
 *
 * bonsai.yml annotations win (COMPAT §5). Order: the seven registry keys first, in Bonsai's order; a
 * bonsai.yml key that overrides one of them takes its value *in place* (so the documented order never
 * moves); every other bonsai.yml key follows, in file order.
 */
export function bonsaiAnnotations(input: AnnotationInput): Record<string, string> {
  const ref = { namespace: input.namespace, name: input.name };
  const annotations: Record<string, string> = {
    'io.sensu.bonsai.url': assetPageUrl(input.baseUrl, ref),
    'io.sensu.bonsai.api_url': assetApiUrl(input.baseUrl, ref),
    'io.sensu.bonsai.tier': input.tier ?? DEFAULT_TIER,
    'io.sensu.bonsai.version': input.version,
    'io.sensu.bonsai.namespace': input.namespace,
    'io.sensu.bonsai.name': input.name,
    'io.sensu.bonsai.tags': (input.tags ?? []).join(', '),
  };
  for (const [key, value] of Object.entries(input.configAnnotations ?? {})) {
    annotations[key] = String(value);
  }
  return annotations;
}
