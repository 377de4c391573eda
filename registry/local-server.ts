import fs from 'node:fs/promises';
import path from 'node:path';
import type { RegistryConfig } from './config.js';
import { processAlive } from './process-alive.js';

/**
 * The embedded database has one process: while `serve` runs on it, the CLI's `add-repo`, `sync` and
 * `status` in the same DATA_DIR talk to that server instead. `serve` writes where it listens and a
 * random admin token into this file (mode 0600: only the user who runs it can read it) and removes it
 * when it stops.
 */
export const LOCAL_SERVER_FILE = 'serve.json';

export interface LocalServer {
  url: string;
  token: string;
  pid: number;
}

export async function writeLocalServerFile(dataDir: string, server: LocalServer): Promise<void> {
  const file = path.join(dataDir, LOCAL_SERVER_FILE);
  await fs.rm(file, { force: true });
  await fs.writeFile(file, JSON.stringify(server) + '\n', { mode: 0o600, flag: 'wx' });
}

/** Removes the file if it is still this server's (a newer serve may have replaced it). */
export async function removeLocalServerFile(dataDir: string, token: string): Promise<void> {
  const file = path.join(dataDir, LOCAL_SERVER_FILE);
  const current = await readServerFile(file);
  if (current?.token === token) await fs.rm(file, { force: true });
}

async function readServerFile(file: string): Promise<LocalServer | undefined> {
  try {
    const parsed = JSON.parse(await fs.readFile(file, 'utf8')) as Partial<LocalServer>;
    if (typeof parsed.url === 'string' && typeof parsed.token === 'string' && typeof parsed.pid === 'number')
      return { url: parsed.url, token: parsed.token, pid: parsed.pid };
  } catch {
    // absent or unreadable: no server to talk to
  }
  return undefined;
}

/** The `serve` running on this DATA_DIR's embedded database, if any (a crashed one's file is ignored). */
export async function findLocalServer(
  config: Pick<RegistryConfig, 'databaseUrl' | 'dataDir'>,
): Promise<LocalServer | undefined> {
  if (config.databaseUrl) return undefined;
  const server = await readServerFile(path.join(config.dataDir, LOCAL_SERVER_FILE));
  return server && processAlive(server.pid) ? server : undefined;
}
