import { createHash, createPrivateKey, createPublicKey, generateKeyPairSync, randomBytes } from 'node:crypto';
import { sign as edSign, verify as edVerify, type KeyObject } from 'node:crypto';
import { blake2b } from './blake2b.js';

/**
 * minisign's formats (https://jedisct1.github.io/minisign/), with Node's own Ed25519: public keys,
 * unencrypted secret keys, and detached signatures that `minisign -V` verifies. Signing uses minisign's
 * default "ED" algorithm (Ed25519 over the BLAKE2b-512 of the file); verification also accepts the legacy
 * "Ed" (Ed25519 over the file itself). Pure functions: callers read and write the files.
 */

/** A signature file is four short lines; anything much larger is not one (bounds the download). */
export const MAX_SIGNATURE_FILE_BYTES = 4096;

export interface PublicKey {
  /** 8 random bytes naming the key, as stored (little-endian). */
  keyId: Buffer;
  /** The raw 32-byte Ed25519 public key. */
  publicKey: Buffer;
}

export interface SecretKey extends PublicKey {
  /** The raw 32-byte Ed25519 seed. */
  seed: Buffer;
}

export interface Signature {
  /** `ED`: the BLAKE2b-512 of the file was signed; `Ed`: the file itself (legacy). */
  algorithm: 'ED' | 'Ed';
  keyId: Buffer;
  signature: Buffer;
  trustedComment: string;
  globalSignature: Buffer;
}

/** Thrown for text that is not a minisign key or signature; the message says what is wrong. */
export class MinisignFormatError extends Error {
  override name = 'MinisignFormatError';
}

/** The key id as minisign prints it (`minisign public key 5F3B...`): 16 upper-case hex digits. */
export function keyIdHex(keyId: Uint8Array): string {
  return Buffer.from(keyId).reverse().toString('hex').toUpperCase();
}

const ED = Buffer.from('Ed');
const ED_HASHED = Buffer.from('ED');
const BLAKE2B_CHECKSUM = Buffer.from('B2');
const NO_KDF = Buffer.alloc(2);
const SCRYPT = Buffer.from('Sc');

/** A new key pair with a random key id. */
export function generateKeyPair(): SecretKey {
  const { privateKey, publicKey } = generateKeyPairSync('ed25519');
  const jwk = privateKey.export({ format: 'jwk' });
  return {
    keyId: randomBytes(8),
    seed: Buffer.from(jwk.d!, 'base64url'),
    publicKey: Buffer.from(publicKey.export({ format: 'jwk' }).x!, 'base64url'),
  };
}

/** The public key file: an untrusted comment, then the base64 of `Ed` + key id + key. */
export function formatPublicKey(key: PublicKey): string {
  const payload = Buffer.concat([ED, key.keyId, key.publicKey]).toString('base64');
  return `untrusted comment: minisign public key ${keyIdHex(key.keyId)}\n${payload}\n`;
}

/**
 * Reads a public key: the file `minisign -G` writes (comment line + key line) or the bare key line
 * (`minisign -P RWQ...` form, as on a README).
 */
export function parsePublicKey(text: string): PublicKey {
  const lines = meaningfulLines(text);
  const line = lines.find((l) => !l.startsWith('untrusted comment:'));
  if (line === undefined) throw new MinisignFormatError('no key line (expected a base64 line starting RW)');
  const bytes = base64Exactly(line, 42, 'public key');
  if (!bytes.subarray(0, 2).equals(ED)) {
    throw new MinisignFormatError('not an Ed25519 minisign public key (its algorithm is not "Ed")');
  }
  return { keyId: bytes.subarray(2, 10), publicKey: bytes.subarray(10, 42) };
}

/**
 * The secret key file minisign reads, unencrypted (what `minisign -G -W` writes): `Ed`, no KDF, `B2`,
 * zeroed KDF parameters, then key id + seed + public key + BLAKE2b-256 checksum.
 */
export function formatSecretKey(key: SecretKey): string {
  const sk = Buffer.concat([key.seed, key.publicKey]);
  const payload = Buffer.concat([
    ED,
    NO_KDF,
    BLAKE2B_CHECKSUM,
    Buffer.alloc(32 + 8 + 8), // salt, opslimit, memlimit: unused without a KDF
    key.keyId,
    sk,
    secretChecksum(key.keyId, sk),
  ]);
  return `untrusted comment: minisign secret key (unencrypted; keep it out of the repository)\n${payload.toString('base64')}\n`;
}

/** Reads an unencrypted minisign secret key (ours or `minisign -G -W`); encrypted ones are refused. */
export function parseSecretKey(text: string): SecretKey {
  const line = meaningfulLines(text).find((l) => !l.startsWith('untrusted comment:'));
  if (line === undefined) throw new MinisignFormatError('no key line (expected a base64 line starting RW)');
  const bytes = base64Exactly(line, 158, 'secret key');
  if (!bytes.subarray(0, 2).equals(ED)) {
    throw new MinisignFormatError('not an Ed25519 minisign secret key (its algorithm is not "Ed")');
  }
  const kdf = bytes.subarray(2, 4);
  if (kdf.equals(SCRYPT)) {
    throw new MinisignFormatError(
      'the secret key is password-protected; bonsai reads only unencrypted keys (bonsai keygen, minisign -G -W)',
    );
  }
  if (!kdf.equals(NO_KDF) || !bytes.subarray(4, 6).equals(BLAKE2B_CHECKSUM)) {
    throw new MinisignFormatError('unknown key derivation or checksum algorithm');
  }
  const keyId = bytes.subarray(54, 62);
  const sk = bytes.subarray(62, 126);
  if (!secretChecksum(keyId, sk).equals(bytes.subarray(126, 158))) {
    throw new MinisignFormatError('the secret key is damaged (its checksum does not match)');
  }
  const key = { keyId, seed: sk.subarray(0, 32), publicKey: sk.subarray(32, 64) };
  // The stored public half must be the seed's: a spliced key would sign with one and name another.
  const derived = Buffer.from(
    createPublicKey(privateKeyObject(key)).export({ format: 'jwk' }).x!,
    'base64url',
  );
  if (!derived.equals(key.publicKey)) throw new MinisignFormatError('the secret key is damaged');
  return key;
}

function secretChecksum(keyId: Buffer, sk: Buffer): Buffer {
  return blake2b(Buffer.concat([ED, keyId, sk]), 32);
}

/** The public half of a secret key. */
export function publicKeyOf(key: SecretKey): PublicKey {
  return { keyId: key.keyId, publicKey: key.publicKey };
}

/**
 * A detached signature of `message` in minisign's file form. The trusted comment (signed too) is
 * minisign's own: `timestamp:<unix seconds>\tfile:<name>\thashed`; Ed25519 is deterministic, so the same
 * key, bytes, name and timestamp give the same file.
 */
export function signMessage(
  message: Uint8Array,
  key: SecretKey,
  options: { fileName: string; timestamp: number },
): string {
  const trustedComment = `timestamp:${Math.floor(options.timestamp)}\tfile:${options.fileName}\thashed`;
  if (/[\r\n]/.test(trustedComment)) throw new MinisignFormatError('a file name cannot hold a line break');
  const privateKey = privateKeyObject(key);
  const signature = edSign(null, prehash(message), privateKey);
  const globalSignature = edSign(null, Buffer.concat([signature, Buffer.from(trustedComment)]), privateKey);
  return (
    `untrusted comment: signature from bonsai secret key ${keyIdHex(key.keyId)}\n` +
    `${Buffer.concat([ED_HASHED, key.keyId, signature]).toString('base64')}\n` +
    `trusted comment: ${trustedComment}\n` +
    `${globalSignature.toString('base64')}\n`
  );
}

/** Reads a signature file (either algorithm). */
export function parseSignature(text: string): Signature {
  const lines = meaningfulLines(text);
  if (lines.length !== 4) {
    throw new MinisignFormatError(
      `expected 4 lines (comment, signature, trusted comment, global signature), found ${lines.length}`,
    );
  }
  const [untrusted, sigLine, trusted, globalLine] = lines as [string, string, string, string];
  if (!untrusted.startsWith('untrusted comment:'))
    throw new MinisignFormatError('line 1 is not an untrusted comment');
  if (!trusted.startsWith('trusted comment: '))
    throw new MinisignFormatError('line 3 is not a trusted comment');
  const bytes = base64Exactly(sigLine, 74, 'signature');
  const alg = bytes.subarray(0, 2);
  const algorithm = alg.equals(ED_HASHED) ? 'ED' : alg.equals(ED) ? 'Ed' : undefined;
  if (algorithm === undefined)
    throw new MinisignFormatError('unknown signature algorithm (expected ED or Ed)');
  return {
    algorithm,
    keyId: bytes.subarray(2, 10),
    signature: bytes.subarray(10, 74),
    trustedComment: trusted.slice('trusted comment: '.length),
    globalSignature: base64Exactly(globalLine, 64, 'global signature'),
  };
}

export type Verification =
  | { ok: true; keyId: string; trustedComment: string; fileName: string | undefined }
  | { ok: false; reason: 'malformed' | 'unknown-key' | 'bad-signature'; message: string; keyId?: string };

/**
 * Verifies a signature file over `message` against the first of `keys` whose id it names, as
 * `minisign -V` does: the signature over the file (or its BLAKE2b-512), then the global signature over
 * signature + trusted comment. `fileName` is the trusted comment's `file:` field, for the caller to match.
 */
export function verifyMessage(
  message: Uint8Array,
  signatureText: string,
  keys: readonly PublicKey[],
): Verification {
  let sig: Signature;
  try {
    sig = parseSignature(signatureText);
  } catch (err) {
    return { ok: false, reason: 'malformed', message: `not a minisign signature: ${(err as Error).message}` };
  }
  const keyId = keyIdHex(sig.keyId);
  const key = keys.find((k) => k.keyId.equals(sig.keyId));
  if (!key)
    return {
      ok: false,
      reason: 'unknown-key',
      message: `signed by key ${keyId}, which is not trusted here`,
      keyId,
    };
  const publicKey = publicKeyObject(key);
  const signed = sig.algorithm === 'ED' ? prehash(message) : message;
  if (!edVerify(null, signed, publicKey, sig.signature)) {
    return {
      ok: false,
      reason: 'bad-signature',
      message: `the signature by key ${keyId} does not match the file`,
    };
  }
  const global = Buffer.concat([sig.signature, Buffer.from(sig.trustedComment)]);
  if (!edVerify(null, global, publicKey, sig.globalSignature)) {
    return {
      ok: false,
      reason: 'bad-signature',
      message: `the trusted comment signed by key ${keyId} was changed`,
    };
  }
  const fileName = /(?:^|\t)file:([^\t]*)/.exec(sig.trustedComment)?.[1];
  return { ok: true, keyId, trustedComment: sig.trustedComment, fileName };
}

function prehash(message: Uint8Array): Buffer {
  return createHash('blake2b512').update(message).digest();
}

/** PKCS#8 DER of an Ed25519 seed (RFC 8410): the key is built from the seed alone, never from a stored public half. */
const PKCS8_ED25519_PREFIX = Buffer.from('302e020100300506032b657004220420', 'hex');

function privateKeyObject(key: { seed: Buffer }): KeyObject {
  return createPrivateKey({
    format: 'der',
    type: 'pkcs8',
    key: Buffer.concat([PKCS8_ED25519_PREFIX, key.seed]),
  });
}

function publicKeyObject(key: PublicKey): KeyObject {
  return createPublicKey({
    format: 'jwk',
    key: { kty: 'OKP', crv: 'Ed25519', x: key.publicKey.toString('base64url') },
  });
}

function meaningfulLines(text: string): string[] {
  return text
    .split(/\r?\n/)
    .map((l) => l.trimEnd())
    .filter((l) => l.trim() !== '');
}

function base64Exactly(line: string, length: number, what: string): Buffer {
  const trimmed = line.trim();
  if (!/^[A-Za-z0-9+/]+={0,2}$/.test(trimmed))
    throw new MinisignFormatError(`the ${what} line is not base64`);
  const bytes = Buffer.from(trimmed, 'base64');
  if (bytes.length !== length) {
    throw new MinisignFormatError(`the ${what} is ${bytes.length} bytes, not ${length}`);
  }
  return bytes;
}
