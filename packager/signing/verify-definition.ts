import {
  MAX_CHECKSUM_FILE_BYTES,
  MAX_SIGNATURE_FILE_BYTES,
  parseChecksums,
  SIGNATURE_SUFFIX,
  verifyMessage,
  type AssetResource,
  type PublicKey,
} from '../../bonsai-schema/index.js';
import { PackagerError } from '../errors.js';

/** The annotation the registry sets on a version whose checksum file signature it verified. */
export const SIGNATURE_URL_ANNOTATION = 'io.sensu.bonsai.signature_url';

export interface VerifiedDefinition {
  keyId: string;
  checksumFiles: string[];
}

/**
 * Trusts nothing the registry says but where to look: downloads each checksum file the definition names
 * (its `.minisig` URL, minus the suffix) and its signature, verifies the signature with the user's keys
 * (and that it was made for that checksum file), then requires every build's sha512 to be the one the
 * signed checksum file lists for the build's file. A registry serving another sha512 is refused.
 */
export async function verifyDefinition(
  resource: AssetResource,
  keys: readonly PublicKey[],
  timeoutMs: number,
): Promise<VerifiedDefinition> {
  const what = resource.metadata.name;
  const annotation = resource.metadata.annotations?.[SIGNATURE_URL_ANNOTATION];
  const signatureUrls = (annotation ?? '')
    .split(',')
    .map((u) => u.trim())
    .filter((u) => u !== '');
  if (signatureUrls.length === 0) {
    throw new PackagerError(
      'SIGNATURE_MISSING',
      `the registry's definition of ${what} names no signature (${SIGNATURE_URL_ANNOTATION}): it cannot be verified`,
      {
        hint:
          'the registry verifies and names signatures for namespaces with keys (bonsai registry key add); ask the ' +
          'publisher to sign (bonsai pack --sign), or leave out --verify-key',
      },
    );
  }
  const listed = new Map<string, string>();
  const digests = new Set<string>();
  let keyId = '';
  const checksumFiles: string[] = [];
  for (const signatureUrl of signatureUrls) {
    if (!signatureUrl.endsWith(SIGNATURE_SUFFIX)) {
      throw invalid(`${SIGNATURE_URL_ANNOTATION} ${signatureUrl} is not a ${SIGNATURE_SUFFIX} file`);
    }
    const checksumUrl = signatureUrl.slice(0, -SIGNATURE_SUFFIX.length);
    const checksumName = fileNameOf(checksumUrl);
    const [checksum, signature] = await Promise.all([
      download(checksumUrl, MAX_CHECKSUM_FILE_BYTES, timeoutMs),
      download(signatureUrl, MAX_SIGNATURE_FILE_BYTES, timeoutMs),
    ]);
    const outcome = verifyMessage(checksum, signature.toString('utf8'), keys);
    if (!outcome.ok) throw invalid(`${signatureUrl}: ${outcome.message}`);
    if (outcome.fileName !== undefined && outcome.fileName !== checksumName) {
      throw invalid(`${signatureUrl} was made for ${outcome.fileName}, not ${checksumName}`);
    }
    keyId = outcome.keyId;
    checksumFiles.push(checksumName);
    for (const entry of parseChecksums(checksum.toString('utf8'), checksumName).entries) {
      digests.add(entry.sha512);
      if (entry.name !== undefined) listed.set(baseName(entry.name), entry.sha512);
    }
  }

  const builds = resource.spec.builds ?? [];
  for (const build of builds) {
    const file = fileNameOf(build.url);
    const served = String(build.sha512).toLowerCase();
    const expected = listed.get(file);
    // Bonsai's rule: a file not listed by name is found by its digest (one-line checksum files).
    const ok = expected !== undefined ? expected === served : digests.has(served);
    if (!ok) {
      throw new PackagerError(
        'SIGNED_DIGEST_MISMATCH',
        `the registry serves sha512 ${served.slice(0, 16)}… for ${file}, but the checksum file signed by key ` +
          `${keyId} ${expected ? `lists ${expected.slice(0, 16)}…` : 'does not list it'}: refusing the definition`,
        {
          hint: 'the registry (or a proxy) changed the definition after the publisher signed it: do not install it; tell the registry operator',
        },
      );
    }
  }
  return { keyId, checksumFiles };
}

function invalid(message: string): PackagerError {
  return new PackagerError('SIGNATURE_INVALID', message, {
    hint: "check --verify-key is the publisher's public key; a signature that does not verify means the checksum file is not what the publisher signed",
  });
}

function fileNameOf(url: string): string {
  try {
    return decodeURIComponent(new URL(url).pathname.split('/').pop() ?? '');
  } catch {
    return url;
  }
}

function baseName(name: string): string {
  return name.slice(name.lastIndexOf('/') + 1);
}

async function download(url: string, maxBytes: number, timeoutMs: number): Promise<Buffer> {
  let response: Response;
  try {
    response = await fetch(url, { signal: AbortSignal.timeout(timeoutMs), redirect: 'follow' });
  } catch (err) {
    throw new PackagerError('REGISTRY_UNREACHABLE', `cannot download ${url}: ${(err as Error).message}`, {
      cause: err,
    });
  }
  if (response.status >= 400) {
    await response.body?.cancel();
    throw new PackagerError('REGISTRY_HTTP_ERROR', `downloading ${url} answered ${response.status}`);
  }
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of response.body ?? []) {
    size += (chunk as Uint8Array).length;
    if (size > maxBytes) {
      await response.body?.cancel().catch(() => undefined);
      throw invalid(`${url} is larger than ${maxBytes} bytes: it is not a checksum or signature file`);
    }
    chunks.push(Buffer.from(chunk as Uint8Array));
  }
  return Buffer.concat(chunks);
}
