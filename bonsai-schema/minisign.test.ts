import { createHash, createPrivateKey, sign } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { blake2b } from './blake2b.js';
import {
  formatPublicKey,
  formatSecretKey,
  generateKeyPair,
  keyIdHex,
  MinisignFormatError,
  parsePublicKey,
  parseSecretKey,
  parseSignature,
  publicKeyOf,
  signMessage,
  verifyMessage,
} from './minisign.js';
import { checkSignatures } from './signatures.js';

describe('blake2b', () => {
  it('matches the RFC 7693 vector for BLAKE2b-512("abc") and the known BLAKE2b-256("abc")', () => {
    expect(blake2b(Buffer.from('abc'), 64).toString('hex')).toBe(
      'ba80a53f981c4d0d6a2797b69f12f6e94c212f14685ac4b74b12bb6fdbffa2d1' +
        '7d87c5392aab792dc252d5de4533cc9518d38aa8dbf1925ab92386edd4009923',
    );
    expect(blake2b(Buffer.from('abc'), 32).toString('hex')).toBe(
      'bddd813c634239723171ef3fee98579b94964e3bb1cb3e427262c8c068d52319',
    );
  });

  it("agrees with OpenSSL's blake2b512 across block boundaries", () => {
    for (const n of [0, 1, 127, 128, 129, 256, 1000]) {
      const data = Buffer.from(Array.from({ length: n }, (_, i) => (i * 31) & 255));
      expect(blake2b(data, 64).equals(createHash('blake2b512').update(data).digest())).toBe(true);
    }
    expect(() => blake2b(Buffer.alloc(0), 65)).toThrow(RangeError);
  });
});

describe('minisign formats', () => {
  const key = generateKeyPair();
  const message = Buffer.from('abc  x.tar.gz\n');

  it('round-trips keys and verifies its own signature, naming the key and file', () => {
    const secret = parseSecretKey(formatSecretKey(key));
    expect(secret.seed.equals(key.seed)).toBe(true);
    const pub = parsePublicKey(formatPublicKey(key));
    expect(formatPublicKey(key)).toContain(`minisign public key ${keyIdHex(key.keyId)}`);
    const sig = signMessage(message, secret, { fileName: 'sums.txt', timestamp: 5 });
    expect(parseSignature(sig).algorithm).toBe('ED');
    expect(verifyMessage(message, sig, [pub])).toEqual({
      ok: true,
      keyId: keyIdHex(key.keyId),
      trustedComment: 'timestamp:5\tfile:sums.txt\thashed',
      fileName: 'sums.txt',
    });
    // Deterministic: same key, bytes, name and time give the same file.
    expect(signMessage(message, secret, { fileName: 'sums.txt', timestamp: 5 })).toBe(sig);
    // The bare key line alone is a public key too.
    expect(parsePublicKey(formatPublicKey(key).split('\n')[1]!).keyId.equals(key.keyId)).toBe(true);
  });

  it('verifies the legacy "Ed" algorithm (the file itself signed)', () => {
    const privateKey = createPrivateKey({
      format: 'der',
      type: 'pkcs8',
      key: Buffer.concat([Buffer.from('302e020100300506032b657004220420', 'hex'), key.seed]),
    });
    const signature = sign(null, message, privateKey);
    const comment = 'timestamp:1\tfile:sums.txt';
    const global = sign(null, Buffer.concat([signature, Buffer.from(comment)]), privateKey);
    const text =
      'untrusted comment: legacy\n' +
      Buffer.concat([Buffer.from('Ed'), key.keyId, signature]).toString('base64') +
      `\ntrusted comment: ${comment}\n${global.toString('base64')}\n`;
    expect(verifyMessage(message, text, [publicKeyOf(key)])).toMatchObject({ ok: true });
    expect(verifyMessage(Buffer.from('other'), text, [publicKeyOf(key)])).toMatchObject({
      ok: false,
      reason: 'bad-signature',
    });
  });

  it('refuses changed files, changed trusted comments, unknown keys and malformed text', () => {
    const sig = signMessage(message, key, { fileName: 'sums.txt', timestamp: 5 });
    const pub = publicKeyOf(key);
    expect(verifyMessage(Buffer.from('abd  x.tar.gz\n'), sig, [pub])).toMatchObject({
      reason: 'bad-signature',
    });
    expect(verifyMessage(message, sig.replace('timestamp:5', 'timestamp:6'), [pub])).toMatchObject({
      reason: 'bad-signature',
      message: expect.stringContaining('trusted comment'),
    });
    expect(verifyMessage(message, sig, [publicKeyOf(generateKeyPair())])).toMatchObject({
      reason: 'unknown-key',
    });
    for (const bad of ['', 'hello', sig.split('\n').slice(0, 3).join('\n'), sig.replace(/^RU/m, 'R!')])
      expect(verifyMessage(message, bad, [pub])).toMatchObject({ ok: false, reason: 'malformed' });
    expect(() => parsePublicKey('untrusted comment: x\nRWQ=')).toThrow(MinisignFormatError);
    expect(() => parseSecretKey(formatPublicKey(key))).toThrow(MinisignFormatError);
    // One flipped byte of the secret key is caught by its checksum.
    const [comment, line] = formatSecretKey(key).split('\n') as [string, string];
    const bytes = Buffer.from(line, 'base64');
    bytes[100] = bytes[100]! ^ 1;
    expect(() => parseSecretKey(`${comment}\n${bytes.toString('base64')}\n`)).toThrow(/damaged/);
  });

  it('checkSignatures: missing, invalid, replayed under another name, and verified', () => {
    const pub = publicKeyOf(key);
    const sig = signMessage(message, key, { fileName: 'a.txt', timestamp: 1 });
    const result = checkSignatures(
      [
        { fileName: 'a.txt', bytes: message, signature: sig },
        { fileName: 'b.txt', bytes: message, signature: undefined },
        { fileName: 'c.txt', bytes: message, signature: sig },
      ],
      [pub],
    );
    expect(result.verified).toEqual([
      { fileName: 'a.txt', signatureFile: 'a.txt.minisig', keyId: keyIdHex(key.keyId) },
    ]);
    expect(result.diagnostics.map((d) => [d.code, d.file])).toEqual([
      ['SIGNATURE_MISSING', 'b.txt.minisig'],
      ['SIGNATURE_INVALID', 'c.txt.minisig'],
    ]);
    expect(result.diagnostics[1]!.message).toContain('made for a.txt, not c.txt');
    expect(result.diagnostics.every((d) => d.hint)).toBe(true);
  });
});
