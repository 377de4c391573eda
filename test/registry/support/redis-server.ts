import { spawn, type ChildProcess } from 'node:child_process';
import { Redis } from 'ioredis';
import { freePort } from './ports.js';
import { waitFor } from './wait.js';

export interface OwnRedis {
  url: string;
  /** Stops this test's server (never the shared one on 6379). */
  stop(): Promise<void>;
  /** Starts it again on the same port (empty unless it persists). */
  start(): Promise<void>;
  /** Sends a signal to this test's server (SIGSTOP hangs it without closing its connections). */
  signal(signal: NodeJS.Signals): void;
}

/**
 * A redis-server of this test's own on a free port, so it can be stopped without touching anyone else's.
 * With `persistDir` it saves its data when stopped and loads it again at start (a restart keeps entries).
 */
export async function startOwnRedis(persistDir?: string): Promise<OwnRedis> {
  const port = await freePort();
  const url = `redis://127.0.0.1:${port}`;
  const persistence = persistDir ? ['--dir', persistDir, '--save', '3600 1'] : ['--save', ''];
  let child: ChildProcess | undefined;
  const start = async () => {
    child = spawn(
      'redis-server',
      ['--port', String(port), '--bind', '127.0.0.1', ...persistence, '--appendonly', 'no'],
      {
        stdio: 'ignore',
      },
    );
    await waitFor(`redis-server on port ${port}`, async () => {
      const client = new Redis(url, {
        lazyConnect: true,
        maxRetriesPerRequest: 0,
        retryStrategy: () => null,
      });
      client.on('error', () => undefined);
      try {
        await client.connect();
        return (await client.ping()) === 'PONG';
      } catch {
        return false;
      } finally {
        client.disconnect();
      }
    });
  };
  const stop = async () => {
    const running = child;
    if (!running || running.exitCode !== null) return;
    await new Promise<void>((resolve) => {
      running.once('exit', () => resolve());
      // A stopped (SIGSTOP) server must continue to handle SIGTERM.
      running.kill('SIGCONT');
      running.kill('SIGTERM');
    });
  };
  await start();
  return {
    url,
    stop,
    start,
    signal: (signal) => {
      if (child && child.exitCode === null) child.kill(signal);
    },
  };
}
