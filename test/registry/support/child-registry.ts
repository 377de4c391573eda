import { spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { waitFor } from './wait.js';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');

export interface ChildRegistry {
  url: string;
  pid: number;
  /** Every line the process printed (JSON log lines). */
  lines: string[];
  /** SIGTERM: an orderly stop. SIGKILL: a crash. */
  stop(signal?: NodeJS.Signals): Promise<number | null>;
}

/** `bonsai registry serve` as its own process (from source, through tsx), configured by `env`. */
export async function spawnRegistry(env: Record<string, string>): Promise<ChildRegistry> {
  const child: ChildProcess = spawn(
    process.execPath,
    ['--import', 'tsx', 'cli/main.ts', 'registry', 'serve'],
    {
      cwd: ROOT,
      env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '', ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  const lines: string[] = [];
  let buffered = '';
  const collect = (chunk: Buffer) => {
    buffered += chunk.toString('utf8');
    const parts = buffered.split('\n');
    buffered = parts.pop() ?? '';
    lines.push(...parts.filter((l) => l.trim() !== ''));
  };
  child.stdout!.on('data', collect);
  child.stderr!.on('data', collect);
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  const url = await waitFor(
    'the registry process to listen',
    () => {
      if (child.exitCode !== null)
        throw new Error(`the registry exited with ${child.exitCode}:\n${lines.join('\n')}`);
      for (const line of lines) {
        try {
          const record = JSON.parse(line) as { msg?: string; url?: string };
          if (record.msg === 'registry listening' && record.url) return record.url;
        } catch {
          // not a log line
        }
      }
      return undefined;
    },
    60_000,
  );
  return {
    url,
    pid: child.pid!,
    lines,
    async stop(signal = 'SIGTERM') {
      if (child.exitCode === null) child.kill(signal);
      return exited;
    },
  };
}
