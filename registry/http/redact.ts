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
 * Bare IPv4 addresses with a port elsewhere (`timeout connecting to 10.0.0.5:6379`); URLs are left alone
 * (they name public release files, which the status already links).
 */
const IPV4_PORT = /(?<![/@\w.])\d{1,3}(?:\.\d{1,3}){3}:\d{1,5}\b/g;
/** Stack frames: everything from the first `\n    at ` on. */
const STACK = /\n\s+at [\s\S]*$/;

export function hideAddresses(text: string): string {
  return text.replace(STACK, '').replace(AFTER_CODE, `$1 ${HIDDEN}`).replace(IPV4_PORT, HIDDEN);
}
