/**
 * Whether a process with this pid exists on this host (signal 0 checks without sending anything;
 * EPERM means it exists but belongs to another user). Used to tell stale lock, partial and server
 * files left by a dead process from those of a live one.
 */
export function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}
