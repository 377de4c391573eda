/** The SQLSTATE of a database error (pg and PGlite both carry it as `code`), else undefined. */
function sqlStateOf(err: unknown): string | undefined {
  const code = (err as { code?: unknown } | null)?.code;
  return typeof code === 'string' && /^[0-9A-Z]{5}$/.test(code) ? code : undefined;
}

/** A unique index refused the row: another transaction wrote the same key first. */
export function isUniqueViolation(err: unknown): boolean {
  return sqlStateOf(err) === '23505';
}

/** SQLSTATEs of a database that cannot be reached or used now (beyond class 08 and 28). */
const UNAVAILABLE_STATES = new Set(['3D000', '53300', '57P01', '57P02', '57P03']);
const NETWORK_ERRORS = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ETIMEDOUT',
  'EPIPE',
  'ENOTFOUND',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'EAI_AGAIN',
]);
/** What the pg driver says, without a code, when it lost or could not get a connection. */
const LOST_CONNECTION = /Connection terminated|timeout exceeded when trying to connect|not queryable/;

/**
 * The database could not be reached or dropped the connection (network, shutdown, missing database,
 * refused login, too many connections), as opposed to a statement it refused.
 */
export function isConnectionFailure(err: unknown): boolean {
  if (!(err instanceof Error)) return false;
  const code = (err as { code?: unknown }).code;
  if (typeof code === 'string') {
    if (NETWORK_ERRORS.has(code) || UNAVAILABLE_STATES.has(code) || /^(08|28)[0-9A-Z]{3}$/.test(code))
      return true;
  }
  return LOST_CONNECTION.test(err.message);
}
