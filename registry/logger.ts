import { pino, type Logger } from 'pino';
import { prettyLine } from './log-pretty.js';

/** Paths pino blanks out wherever they appear in a log record (tokens, secrets, signatures). */
export const REDACTED_PATHS = [
  'req.headers.authorization',
  'req.headers["x-hub-signature-256"]',
  'req.headers["x-hub-signature"]',
  'req.headers.cookie',
  'headers.authorization',
  'headers["x-hub-signature-256"]',
  'config.githubToken',
  'config.webhookSecret',
  'config.adminToken',
  'config.metricsToken',
  'config.databaseUrl',
  'config.redisUrl',
  '*.token',
  '*.password',
  '*.secret',
];

export type LogFormat = 'json' | 'pretty';

/**
 * The server's logger: JSON lines to `destination` (stdout in production, a capture in tests), or with
 * `pretty` one readable line per event (redaction happens before either).
 */
export function createLogger(
  level: string,
  destination: { write(line: string): unknown },
  format: LogFormat = 'json',
): Logger {
  return pino(
    {
      level,
      base: { service: 'bonsai-registry' },
      redact: { paths: REDACTED_PATHS, censor: '[redacted]' },
    },
    {
      write:
        format === 'pretty'
          ? (line: string) => destination.write(prettyLine(line))
          : (line: string) => destination.write(line),
    },
  );
}

/** LOG_FORMAT: `auto` is pretty on a terminal, JSON otherwise (a file, a pipe, a log collector). */
export function logFormatFor(setting: 'auto' | LogFormat, isTTY: boolean | undefined): LogFormat {
  return setting === 'auto' ? (isTTY ? 'pretty' : 'json') : setting;
}

/**
 * A warning that may repeat thousands of times a second (every request while Redis is down): the first
 * is written at once, the next ones at most once per `intervalMs`, carrying how many were left out.
 */
export function throttledWarning(
  logger: Logger,
  message: string,
  intervalMs = 10_000,
  now: () => number = Date.now,
): (fields: Record<string, unknown>) => void {
  let lastAt = -Infinity;
  let suppressed = 0;
  return (fields) => {
    const at = now();
    if (at - lastAt < intervalMs) {
      suppressed++;
      return;
    }
    logger.warn(suppressed > 0 ? { ...fields, suppressed } : fields, message);
    lastAt = at;
    suppressed = 0;
  };
}
