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

/** What a request's log line says (the same from Koa and from the fast path). */
export interface RequestLogFields {
  requestId: string;
  method: string;
  path: string;
  status: number;
  ms: number;
}

const SERVICE = 'bonsai-registry';

/** How each logger made by createLogger writes a request line it formatted itself. */
const requestWriters = new WeakMap<Logger, (line: string) => void>();

/**
 * The server's logger: JSON lines to `destination` (stdout in production, a capture in tests), or with
 * `pretty` one readable line per event (redaction happens before either). On stdout or stderr, request
 * lines are gathered and written together once per turn of the event loop (see logRequest).
 */
export function createLogger(
  level: string,
  destination: { write(line: string): unknown },
  format: LogFormat = 'json',
): Logger {
  const out =
    format === 'pretty'
      ? (text: string) => destination.write(prettyLines(text))
      : (text: string) => destination.write(text);
  const batch = destination === process.stdout || destination === process.stderr ? lineBatch(out) : undefined;
  const logger = pino(
    {
      level,
      base: { service: SERVICE },
      redact: { paths: REDACTED_PATHS, censor: '[redacted]' },
    },
    {
      // Request lines waiting in the batch were logged first: they are written first.
      write: (line: string) => {
        batch?.flush();
        out(line);
      },
    },
  );
  requestWriters.set(logger, batch ? batch.add : out);
  return logger;
}

/** pretty's rendering of one or more JSON lines. */
function prettyLines(text: string): string {
  const lines = text.split('\n');
  lines.pop();
  return lines.map((line) => prettyLine(`${line}\n`)).join('');
}

/** Batches holding lines, written at exit if their turn did not come (one listener for all). */
const unwritten = new Set<() => void>();
let exitHook = false;

/** Lines gathered and written with one call at the end of this turn of the event loop, or at exit. */
function lineBatch(out: (text: string) => void): { add(line: string): void; flush(): void } {
  let pending = '';
  let scheduled = false;
  const flush = () => {
    scheduled = false;
    unwritten.delete(flush);
    if (pending === '') return;
    const text = pending;
    pending = '';
    out(text);
  };
  if (!exitHook) {
    exitHook = true;
    process.once('exit', () => unwritten.forEach((write) => write()));
  }
  return {
    add(line) {
      pending += line;
      unwritten.add(flush);
      if (pending.length >= 65_536) flush();
      else if (!scheduled) {
        scheduled = true;
        setImmediate(flush);
      }
    },
    flush,
  };
}

/**
 * One line per request at `info`. The hottest log line is formatted here, exactly as pino would write it
 * (no secrets in its fields, so no redaction pass) and, on stdout, written in batches: the access log
 * costs little of a cached read's time (issue 12).
 */
export function logRequest(logger: Logger, fields: RequestLogFields): void {
  if (!logger.isLevelEnabled('info')) return;
  const write = requestWriters.get(logger);
  if (write === undefined) {
    logger.info(fields, 'request');
    return;
  }
  write(
    `{"level":30,"time":${Date.now()},"service":"${SERVICE}","requestId":${JSON.stringify(fields.requestId)},"method":${JSON.stringify(fields.method)},"path":${JSON.stringify(fields.path)},"status":${fields.status},"ms":${fields.ms},"msg":"request"}\n`,
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
