import { RegistryError } from '../errors.js';

/**
 * Bad bytes are refused at the door with INVALID_DATA (400), before any cache or database call: a NUL
 * reaches Postgres as "invalid byte sequence" (a 500), a control character ends up in logs and keys.
 */

/** C0 controls and DEL: never part of a name, tag, path segment or query value. */
// eslint-disable-next-line no-control-regex -- finding control characters is the point
const CONTROL = /[\u0000-\u001f\u007f]/;
/** In free text (descriptions, release notes) tab and newlines are fine; NUL and other controls are not. */
// eslint-disable-next-line no-control-regex -- finding control characters is the point
const TEXT_CONTROL = /[\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f]/;
/** A surrogate without its pair: JSON's `\ud800` escapes make strings no UTF-8 encoder can write. */
const LONE_SURROGATE = /[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/;
/** What may appear unencoded in a request target (RFC 3986 characters; anything else is percent-encoded). */
const RAW_TARGET = /^[\x21-\x7e]*$/;

export function invalidData(message: string): RegistryError {
  return new RegistryError('INVALID_DATA', message, {
    hint: 'percent-encode the request as UTF-8, without NUL or control characters',
  });
}

/** A short, printable rendering of a refused value for the error message. */
function shown(value: string): string {
  const cut = value.length > 60 ? `${value.slice(0, 60)}…` : value;
  return JSON.stringify(cut);
}

/** Why `value` is not acceptable as a name, tag or parameter, or undefined when it is. */
export function badName(value: string): string | undefined {
  if (CONTROL.test(value)) return 'a NUL or control character';
  if (LONE_SURROGATE.test(value)) return 'invalid UTF-8';
  return undefined;
}

/** Why `value` is not acceptable as free text, or undefined when it is. */
export function badText(value: string): string | undefined {
  if (TEXT_CONTROL.test(value)) return 'a NUL or control character';
  if (LONE_SURROGATE.test(value)) return 'invalid UTF-8';
  return undefined;
}

/** One percent-encoded component, decoded, or an error naming what is wrong with it. */
function decodeComponent(raw: string, where: string, plusIsSpace: boolean): string {
  let decoded: string;
  try {
    decoded = decodeURIComponent(plusIsSpace ? raw.replace(/\+/g, ' ') : raw);
  } catch {
    throw invalidData(`the ${where} ${shown(raw)} has bad percent-encoding or is not UTF-8`);
  }
  const bad = badName(decoded);
  if (bad) throw invalidData(`the ${where} ${shown(raw)} contains ${bad}`);
  return decoded;
}

/**
 * Checks a request target (`req.url`): printable ASCII only, every path segment and query key/value
 * decodable as UTF-8 without controls. Throws INVALID_DATA.
 */
export function assertCleanTarget(url: string): void {
  if (!RAW_TARGET.test(url)) throw invalidData('the request URL contains bytes that are not percent-encoded');
  if (!url.includes('%')) return;
  const query = url.indexOf('?');
  const path = query === -1 ? url : url.slice(0, query);
  for (const segment of path.split('/')) decodeComponent(segment, 'path segment', false);
  if (query === -1) return;
  for (const pair of url.slice(query + 1).split('&')) {
    for (const part of pair.split('=')) decodeComponent(part, 'query parameter', true);
  }
}

/** True when the fast path may handle `url` as is (the slow path answers everything else, errors too). */
export function isPlainTarget(url: string): boolean {
  return RAW_TARGET.test(url) && !url.includes('%');
}

/** A header the registry reads: printable ASCII, at most `max` characters. */
export function assertCleanHeader(name: string, value: string, max: number): void {
  if (value.length > max) throw invalidData(`the ${name} header is longer than ${max} characters`);
  if (!/^[\x20-\x7e]*$/.test(value))
    throw invalidData(`the ${name} header contains characters other than printable ASCII`);
}

/** Raw bytes of a JSON body as text: refused when they are not UTF-8. */
export function utf8Text(raw: Buffer, where: string): string {
  try {
    return new TextDecoder('utf-8', { fatal: true }).decode(raw);
  } catch {
    throw invalidData(`the ${where} is not valid UTF-8`);
  }
}

/**
 * Every string in a parsed JSON value (keys included): free text may hold newlines and tabs, never NUL,
 * other controls or lone surrogates. Iterative: a 64 KiB body can nest 30,000 levels deep.
 */
export function assertCleanJson(value: unknown, where: string): void {
  const pending: [unknown, string][] = [[value, '$']];
  while (pending.length > 0) {
    const [item, path] = pending.pop()!;
    if (typeof item === 'string') {
      const bad = badText(item);
      if (bad) throw invalidData(`${where}: ${path} contains ${bad}`);
    } else if (Array.isArray(item)) {
      item.forEach((child, i) => pending.push([child, `${path}[${i}]`]));
    } else if (item !== null && typeof item === 'object') {
      for (const [key, child] of Object.entries(item)) {
        const bad = badName(key);
        if (bad) throw invalidData(`${where}: a key of ${path} contains ${bad}`);
        pending.push([child, `${path}.${key}`]);
      }
    }
  }
}
