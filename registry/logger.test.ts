import { describe, expect, it } from 'vitest';
import { loadConfig } from './config.js';
import { localTime } from './log-pretty.js';
import { createLogger, logFormatFor, logRequest } from './logger.js';

function capture(format: 'json' | 'pretty') {
  const lines: string[] = [];
  const logger = createLogger('info', { write: (l: string) => lines.push(l) }, format);
  return { logger, lines };
}

describe('LOG_FORMAT=pretty', () => {
  it('writes one readable line per event, with local time, level, message and fields', () => {
    const { logger, lines } = capture('pretty');
    logger.info({ assets: 3, github: 'https://api.github.com' }, 'registry listening');
    logger.warn(
      { err: 'connect ECONNREFUSED', suppressed: 4 },
      'cache unavailable: answering from the database',
    );
    logger.error({ err: new Error('first line\nsecond line') }, 'request failed');
    expect(lines).toHaveLength(3);
    for (const line of lines) expect(line.match(/\n/g)).toHaveLength(1);
    expect(lines[0]).toMatch(
      /^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\.\d{3} INFO {2}registry listening assets=3 github=https:\/\/api\.github\.com\n$/,
    );
    expect(lines[1]).toContain(
      'WARN  cache unavailable: answering from the database err="connect ECONNREFUSED" suppressed=4',
    );
    expect(lines[2]).toContain('ERROR request failed err="first line\\nsecond line"');
  });

  it('shows a request as METHOD PATH STATUS TIME with its request id', () => {
    const { logger, lines } = capture('pretty');
    logger.info(
      { requestId: 'abc-1', method: 'GET', path: '/api/v1/assets', status: 200, ms: 1.234 },
      'request',
    );
    expect(lines[0]).toMatch(/ INFO {2}GET \/api\/v1\/assets 200 1\.2ms requestId=abc-1\n$/);
  });

  it('redacts secrets as the JSON format does', () => {
    for (const format of ['json', 'pretty'] as const) {
      const { logger, lines } = capture(format);
      logger.info({ config: { adminToken: 'sekrit-admin', metricsToken: 'sekrit-metrics' } }, 'settings');
      expect(lines.join('')).not.toContain('sekrit');
      expect(lines.join('')).toContain('[redacted]');
    }
  });

  it('prints the local time of the event', () => {
    const at = new Date(2026, 11, 3, 9, 5, 7, 42).getTime();
    expect(localTime(at)).toBe('2026-12-03 09:05:07.042');
  });

  it('is chosen by LOG_FORMAT, and by the terminal when auto (the default)', () => {
    expect(loadConfig({ env: {}, cwd: '/' }).logFormat).toBe('auto');
    expect(logFormatFor('auto', true)).toBe('pretty');
    expect(logFormatFor('auto', false)).toBe('json');
    expect(logFormatFor('auto', undefined)).toBe('json');
    expect(logFormatFor('json', true)).toBe('json');
    expect(logFormatFor('pretty', false)).toBe('pretty');
    expect(() => loadConfig({ env: { LOG_FORMAT: 'xml' }, cwd: '/' })).toThrow(
      /LOG_FORMAT \(--log-format\): must be 'auto', 'json' or 'pretty', got "xml"/,
    );
  });

  it('keeps JSON lines by default', () => {
    const { logger, lines } = capture('json');
    logger.info({ assets: 3 }, 'registry listening');
    expect(JSON.parse(lines[0]!)).toMatchObject({ level: 30, msg: 'registry listening', assets: 3 });
  });
});

describe('request lines', () => {
  const fields = { requestId: 'req-"1"', method: 'GET', path: '/api/v1/assets?q=a', status: 304, ms: 0.125 };

  it('are written exactly as pino writes the same record, in both formats', () => {
    for (const format of ['json', 'pretty'] as const) {
      const own = capture(format);
      const viaPino = capture(format);
      logRequest(own.logger, fields);
      viaPino.logger.info(fields, 'request');
      const withoutTime = (line: string) =>
        line.replace(/"time":\d+/, '').replace(/\d\d:\d\d:\d\d\.\d{3}/, '');
      expect(own.lines).toHaveLength(1);
      expect(withoutTime(own.lines[0]!)).toBe(withoutTime(viaPino.lines[0]!));
    }
  });

  it('are left out above info, and follow a child logger through pino', () => {
    const lines: string[] = [];
    logRequest(createLogger('warn', { write: (l: string) => lines.push(l) }), fields);
    expect(lines).toEqual([]);
    const { logger, lines: childLines } = capture('json');
    logRequest(logger.child({ part: 'web' }), fields);
    expect(JSON.parse(childLines[0]!)).toMatchObject({ part: 'web', ...fields, msg: 'request' });
  });

  it('on stdout are gathered into one write per turn of the event loop, in order with other lines', async () => {
    const writes: string[] = [];
    const write = process.stdout.write;
    process.stdout.write = ((chunk: string) => writes.push(chunk) > 0) as typeof process.stdout.write;
    try {
      const logger = createLogger('info', process.stdout);
      logRequest(logger, fields);
      logRequest(logger, { ...fields, status: 200 });
      expect(writes).toEqual([]);
      logger.warn('slow');
      expect(writes).toHaveLength(2);
      expect(writes[0]!.split('\n')).toHaveLength(3);
      logRequest(logger, fields);
      await new Promise((resolve) => setImmediate(resolve));
      expect(writes).toHaveLength(3);
    } finally {
      process.stdout.write = write;
    }
  });
});
