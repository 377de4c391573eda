/** Fields every line has, shown in the fixed part of a pretty line (or not at all). */
const FIXED = new Set(['level', 'time', 'msg', 'pid', 'hostname', 'service', 'v']);
const LEVELS: Record<number, string> = {
  10: 'TRACE',
  20: 'DEBUG',
  30: 'INFO ',
  40: 'WARN ',
  50: 'ERROR',
  60: 'FATAL',
};

const pad = (n: number, width = 2) => String(n).padStart(width, '0');

/** Local time, to the millisecond: what a person at the terminal compares with their clock. */
export function localTime(epochMs: number): string {
  const d = new Date(epochMs);
  return (
    `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())} ` +
    `${pad(d.getHours())}:${pad(d.getMinutes())}:${pad(d.getSeconds())}.${pad(d.getMilliseconds(), 3)}`
  );
}

function shown(value: unknown): string {
  if (typeof value === 'string') return /^[^\s"=]+$/.test(value) ? value : JSON.stringify(value);
  if (value !== null && typeof value === 'object' && 'message' in value) {
    // A serialized error: its message (the stack stays in JSON logs).
    return JSON.stringify((value as { message: unknown }).message);
  }
  return JSON.stringify(value);
}

/**
 * One pino JSON line as one readable line: `2026-12-03 09:14:02.123 INFO  message key=value ...`; a
 * request line reads `GET /path 200 1.2ms id=...`. A line that is not JSON passes through unchanged.
 */
export function prettyLine(line: string): string {
  let record: Record<string, unknown>;
  try {
    record = JSON.parse(line) as Record<string, unknown>;
  } catch {
    return line;
  }
  const level = LEVELS[record.level as number] ?? String(record.level).padEnd(5);
  const time = typeof record.time === 'number' ? localTime(record.time) : '';
  let message = typeof record.msg === 'string' ? record.msg : '';
  const rest = { ...record };
  for (const key of FIXED) delete rest[key];
  if (message === 'request' && typeof rest.method === 'string') {
    const ms = typeof rest.ms === 'number' ? `${rest.ms.toFixed(1)}ms` : '';
    message = `${String(rest.method)} ${String(rest.path)} ${String(rest.status)} ${ms}`.trimEnd();
    delete rest.method;
    delete rest.path;
    delete rest.status;
    delete rest.ms;
  }
  const fields = Object.entries(rest).map(([k, v]) => `${k}=${shown(v)}`);
  return (
    [time, level, message, ...fields]
      .filter((p) => p !== '')
      .join(' ')
      .replace(/\n/g, '\\n') + '\n'
  );
}
