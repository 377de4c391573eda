import { diagnostic, type Diagnostic } from './diagnostics.js';
import { verifyMessage, type PublicKey } from './minisign.js';
import { SIGNATURE_SUFFIX } from './signature-suffix.js';

export interface SignedChecksumFile {
  /** The checksum file's name (`sha_filename`). */
  fileName: string;
  /** Its exact bytes. */
  bytes: Uint8Array;
  /** The text of `<fileName>.minisig`, undefined when the release has none. */
  signature: string | undefined;
}

export interface SignatureCheck {
  /** SIGNATURE_MISSING / SIGNATURE_INVALID, one per checksum file that fails. */
  diagnostics: Diagnostic[];
  /** Each checksum file whose signature verified, with the key id (minisign's hex form). */
  verified: { fileName: string; signatureFile: string; keyId: string }[];
}

export const SIGNATURE_HINTS = {
  SIGNATURE_MISSING:
    'sign the checksum file at pack time (bonsai pack --sign KEY, or BONSAI_SIGNING_KEY) and upload ' +
    '<checksum file>.minisig with the release (bonsai publish does)',
  SIGNATURE_INVALID:
    'sign with a key registered for this namespace and not revoked (bonsai registry key list NS), over the ' +
    'exact checksum file of this release; re-pack with --sign and upload both files again',
} as const;

/**
 * Every checksum file must carry a minisign signature by one of `keys` over its exact bytes, whose
 * trusted comment (when it names a file) names that checksum file: a signature made for another
 * release's checksum file cannot be replayed under this one.
 */
export function checkSignatures(
  files: readonly SignedChecksumFile[],
  keys: readonly PublicKey[],
  /** Key ids revoked (by a registry): a signature by one says so. */
  revoked: readonly string[] = [],
): SignatureCheck {
  const result: SignatureCheck = { diagnostics: [], verified: [] };
  for (const file of files) {
    const signatureFile = file.fileName + SIGNATURE_SUFFIX;
    if (file.signature === undefined) {
      result.diagnostics.push({
        ...diagnostic(
          'SIGNATURE_MISSING',
          `${file.fileName} is not signed: the release has no ${signatureFile}, and a signature is required`,
          undefined,
          signatureFile,
        ),
        hint: SIGNATURE_HINTS.SIGNATURE_MISSING,
      });
      continue;
    }
    const outcome = verifyMessage(file.bytes, file.signature, keys);
    const problem = !outcome.ok
      ? outcome.keyId !== undefined && revoked.includes(outcome.keyId)
        ? `signed by key ${outcome.keyId}, which was revoked`
        : outcome.message
      : outcome.fileName !== undefined && outcome.fileName !== file.fileName
        ? `the signature by key ${outcome.keyId} was made for ${outcome.fileName}, not ${file.fileName}`
        : undefined;
    if (problem !== undefined || !outcome.ok) {
      result.diagnostics.push({
        ...diagnostic('SIGNATURE_INVALID', `${signatureFile}: ${problem}`, undefined, signatureFile),
        hint: SIGNATURE_HINTS.SIGNATURE_INVALID,
      });
      continue;
    }
    result.verified.push({ fileName: file.fileName, signatureFile, keyId: outcome.keyId });
  }
  return result;
}
