/**
 * What anonymous callers may read of a failure: the registry's internal addresses (database, Redis,
 * GitHub Enterprise hosts) and stack traces stay in the log, under the request id.
 */

const HIDDEN = '[address hidden]';

/** `10.0.0.5:5432`, `[fd00::1]:5432`, `db.internal:5432`, with or without the port. */
const ADDRESS = String.raw`(?:\[[0-9a-fA-F:.]+\]|\d{1,3}(?:\.\d{1,3}){3}|[0-9a-fA-F]*:[0-9a-fA-F:]+|[A-Za-z0-9][A-Za-z0-9.-]*)(?::\d{1,5})?`;
/** Node's network errors name the peer after the code: `connect ECONNREFUSED 10.0.0.5:5432`. */
const AFTER_CODE = new RegExp(
  String.raw`\b(E(?:CONNREFUSED|CONNRESET|TIMEDOUT|HOSTUNREACH|NETUNREACH|ADDRNOTAVAIL|AI_AGAIN|NOTFOUND|PIPE))\s+${ADDRESS}`,
  'g',
);
/**
 * The host of a URL that names an IP address or a port (`http://10.0.0.5:8443/api/v3`, a GitHub
 * Enterprise or a database); public URLs (`https://github.com/...`) stay readable.
 */
const URL_HOST =
  /\b([a-z][a-z0-9+.-]*:\/\/)(?:[^/\s@]*@)?(?:\[[0-9a-fA-F:.]+\]|\d{1,3}(?:\.\d{1,3}){3}|[^/\s:?#]+:\d{1,5})(?::\d{1,5})?/gi;
/** Bare IPv4 addresses with a port (`timeout connecting to 10.0.0.5:6379`; a tag `1.2.3.4` has none). */
const IPV4 = /\b\d{1,3}(?:\.\d{1,3}){3}:\d{1,5}\b/g;
/** Stack frames: everything from the first `\n    at ` on. */
const STACK = /\n\s+at [\s\S]*$/;

export function hideAddresses(text: string): string {
  return text
    .replace(STACK, '')
    .replace(URL_HOST, `$1${HIDDEN}`)
    .replace(AFTER_CODE, `$1 ${HIDDEN}`)
    .replace(IPV4, HIDDEN);
}
