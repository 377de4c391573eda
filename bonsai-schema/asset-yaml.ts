/**
 * The two serialisations of a definition the registry stores and serves. Both keep the key order the
 * builders constructed.
 */
import { dump } from 'js-yaml';
import type { AssetDefinition, AssetResource } from './asset-types.js';

/** The exact bytes served for the JSON endpoints (compact, no final newline, as Bonsai's Rails views). */
export function toDefinitionJson(definition: AssetDefinition): string {
  return JSON.stringify(definition);
}

/**
 * A YAML document for `sensuctl create -f` and Bonsai's "download definition" button: starts with `---`,
 * never folds long URLs or filters (lineWidth -1), and writes the metadata that appears twice in full
 * rather than as an anchor and alias.
 */
export function toDefinitionYaml(definition: AssetDefinition | AssetResource): string {
  try {
    return `---\n${dump(definition, { lineWidth: -1, noRefs: true })}`;
  } catch (err) {
    // js-yaml's dumper overflows the stack on a multi-MB scalar; JSON is YAML too, so the definition
    // is still served, just in flow style.
    if (!(err instanceof RangeError)) throw err;
    return `---\n${JSON.stringify(definition, null, 2)}\n`;
  }
}
