import type { Context } from 'koa';
import { REGISTRY_ERROR_CODES, type RegistryErrorCode } from '../errors.js';
import { ifNoneMatchHits } from './etags.js';

/** Reads may be kept by clients and proxies for a minute; they revalidate with the ETag after that. */
export const READ_CACHE_CONTROL = 'public, max-age=60';

export const JSON_TYPE = 'application/json; charset=utf-8';
export const YAML_TYPE = 'application/yaml; charset=utf-8';

/**
 * Bonsai's error body. Its 404 lists `error_messages` first (`render_404` in `api/v1_controller.rb`);
 * every other error puts `error_code` first. Clients compare these bodies byte for byte.
 */
export function errorBody(code: RegistryErrorCode, messages: readonly string[]): string {
  return code === 'NOT_FOUND'
    ? JSON.stringify({ error_messages: messages, error_code: code })
    : JSON.stringify({ error_code: code, error_messages: messages });
}

export function sendError(ctx: Context, code: RegistryErrorCode, messages: readonly string[]): void {
  ctx.status = REGISTRY_ERROR_CODES[code].status;
  ctx.set('Cache-Control', 'no-store');
  ctx.type = JSON_TYPE;
  ctx.body = errorBody(code, messages);
}

export function sendJson(ctx: Context, status: number, value: unknown, cacheControl = 'no-store'): void {
  ctx.status = status;
  ctx.set('Cache-Control', cacheControl);
  ctx.type = JSON_TYPE;
  ctx.body = JSON.stringify(value);
}

/**
 * The one rule for answering a stored render (Koa routes and the fast path alike): ETag and
 * Cache-Control always; 304 without a body when `If-None-Match` names the render, else 200.
 */
export function renderedAnswer(
  etag: string,
  ifNoneMatch: string | undefined,
): { status: 200 | 304; headers: readonly [string, string][] } {
  return {
    status: ifNoneMatchHits(ifNoneMatch, etag) ? 304 : 200,
    headers: [
      ['ETag', etag],
      ['Cache-Control', READ_CACHE_CONTROL],
    ],
  };
}

/** A stored render sent by Koa (see renderedAnswer). */
export function sendRendered(ctx: Context, rendered: { body: string; etag: string }, type: string): void {
  const answer = renderedAnswer(rendered.etag, ctx.get('If-None-Match') || undefined);
  for (const [name, value] of answer.headers) ctx.set(name, value);
  ctx.status = answer.status;
  if (answer.status === 304) return;
  ctx.type = type;
  ctx.body = rendered.body;
}
