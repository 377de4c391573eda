import { pino, type Logger } from 'pino';

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
  'config.databaseUrl',
  'config.redisUrl',
  '*.token',
  '*.password',
  '*.secret',
];

/** The server's logger: JSON lines to `destination` (stdout in production, a capture in tests). */
export function createLogger(level: string, destination: { write(line: string): unknown }): Logger {
  return pino(
    {
      level,
      base: { service: 'bonsai-registry' },
      redact: { paths: REDACTED_PATHS, censor: '[redacted]' },
    },
    { write: (line: string) => destination.write(line) },
  );
}
