import { createHmac, timingSafeEqual } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import { RegistryError } from '../errors.js';
import { assertCleanJson, utf8Text } from './clean-input.js';

function tooLarge(limit: number): RegistryError {
  return new RegistryError('PAYLOAD_TOO_LARGE', `the request body is larger than ${limit} bytes`);
}

/** The declared Content-Length is over `limit`: refused before one byte of the body is read. */
export function assertDeclaredLength(req: IncomingMessage, limit: number): void {
  const declared = req.headers['content-length'];
  if (declared !== undefined && Number(declared) > limit) throw tooLarge(limit);
}

/**
 * The request body exactly as sent, at most `limit` bytes (chunked bodies included: reading stops at the
 * first byte over). With `hmac`, each chunk also feeds an HMAC-SHA256, so the signature is checked on
 * the bytes as they arrive, and nothing parses them before.
 */
export async function readRawBody(
  req: IncomingMessage,
  limit: number,
  hmac?: { secret: string; onDigest(digest: Buffer): void },
): Promise<Buffer> {
  assertDeclaredLength(req, limit);
  const mac = hmac && createHmac('sha256', hmac.secret);
  const chunks: Buffer[] = [];
  let size = 0;
  try {
    for await (const chunk of req) {
      const buffer = chunk as Buffer;
      size += buffer.length;
      // Leaving the loop stops reading; the answer closes the connection (see refuseUnread).
      if (size > limit) throw tooLarge(limit);
      mac?.update(buffer);
      chunks.push(buffer);
    }
  } catch (err) {
    if (err instanceof RegistryError) throw err;
    // The client went away mid-body (ECONNRESET, "aborted"): its request, not a failure of ours.
    throw new RegistryError('INVALID_DATA', 'the request body ended before it was complete', { cause: err });
  }
  if (mac) hmac.onDigest(mac.digest());
  return Buffer.concat(chunks);
}

/** `sha256=` and 64 hex digits, as GitHub sends X-Hub-Signature-256; undefined when malformed. */
export function signatureDigest(header: string): Buffer | undefined {
  const match = /^sha256=([0-9a-f]{64})$/i.exec(header.trim());
  return match ? Buffer.from(match[1]!, 'hex') : undefined;
}

export function sameDigest(a: Buffer, b: Buffer): boolean {
  return a.length === b.length && timingSafeEqual(a, b);
}

/** A small JSON body (admin routes), parsed after the caller is authenticated; strings checked. */
export async function readJsonBody(req: IncomingMessage, limit: number): Promise<unknown> {
  const raw = await readRawBody(req, limit);
  if (raw.length === 0) return {};
  const text = utf8Text(raw, 'request body');
  let value: unknown;
  try {
    value = JSON.parse(text) as unknown;
  } catch {
    throw new RegistryError('INVALID_DATA', 'the request body is not valid JSON');
  }
  assertCleanJson(value, 'the request body');
  return value;
}
