import type { IncomingMessage } from 'node:http';
import { RegistryError } from '../errors.js';

/**
 * The request body exactly as sent, for webhooks: the signature is an HMAC of these bytes, so it is
 * checked on them before anything parses them.
 */
export async function readRawBody(req: IncomingMessage, limit: number): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    const buffer = chunk as Buffer;
    size += buffer.length;
    if (size > limit) {
      req.resume();
      throw new RegistryError('PAYLOAD_TOO_LARGE', `the request body is larger than ${limit} bytes`);
    }
    chunks.push(buffer);
  }
  return Buffer.concat(chunks);
}

/** A small JSON body (admin routes), parsed after the caller is authenticated. */
export async function readJsonBody(req: IncomingMessage, limit: number): Promise<unknown> {
  const raw = await readRawBody(req, limit);
  if (raw.length === 0) return {};
  try {
    return JSON.parse(raw.toString('utf8')) as unknown;
  } catch {
    throw new RegistryError('INVALID_DATA', 'the request body is not valid JSON');
  }
}
