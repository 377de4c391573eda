import { diagnostic, type Diagnostic } from './diagnostics.js';

/**
 * Bounds of a bonsai.yml, the same in `bonsai lint`, `bonsai check` and the registry's ingest, so that
 * lint never calls valid what ingest refuses (issue 9). Real files are a few KB.
 */
export const MAX_CONFIG_FILE_BYTES = 1024 * 1024;
/** One annotation (or label) value: sensu-go stores them in etcd, where large values hurt every read. */
export const MAX_ANNOTATION_VALUE_BYTES = 64 * 1024;
/** Nesting of YAML collections; bonsai.yml needs 4. */
export const MAX_YAML_DEPTH = 64;
/** Nodes that aliases may add to the document beyond those written (an alias bomb adds billions). */
export const MAX_YAML_ALIAS_EXPANSION = 10_000;

export function configTooLarge(): Diagnostic {
  return diagnostic(
    'CONFIG_TOO_LARGE',
    `the Bonsai configuration file is larger than ${MAX_CONFIG_FILE_BYTES} bytes (the limit); a bonsai.yml ` +
      'lists builds and a few annotations: keep large text in the README',
  );
}

/**
 * The text of a bonsai.yml from its bytes (at most MAX_CONFIG_FILE_BYTES + 1 of them are needed: `size`
 * is the whole file's size when known): too large, or not UTF-8 text (a NUL byte, invalid sequences),
 * is a diagnostic rather than text.
 */
export function decodeConfigFile(
  bytes: Uint8Array,
  size: number = bytes.length,
): { text: string; diagnostics: [] } | { text: undefined; diagnostics: Diagnostic[] } {
  if (size > MAX_CONFIG_FILE_BYTES) return { text: undefined, diagnostics: [configTooLarge()] };
  const nul = bytes.indexOf(0);
  let text: string | undefined;
  try {
    text = nul === -1 ? new TextDecoder('utf-8', { fatal: true }).decode(bytes) : undefined;
  } catch {
    text = undefined;
  }
  if (text === undefined) {
    return {
      text: undefined,
      diagnostics: [
        diagnostic(
          'CONFIG_NOT_TEXT',
          `the Bonsai configuration file is not UTF-8 text (${nul === -1 ? 'an invalid byte sequence' : `a NUL byte at offset ${nul}`}); ` +
            'save it as UTF-8 YAML',
        ),
      ],
    };
  }
  return { text, diagnostics: [] };
}
