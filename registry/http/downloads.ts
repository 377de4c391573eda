import type { Logger } from 'pino';
import type { Db } from '../db/port.js';
import { messageOf } from '../errors.js';
import { addDownloads } from '../store/assets.js';

/**
 * Counts definition downloads per asset (order=most_downloaded) in memory and writes them in batches, so
 * a read never waits for a write.
 */
export class DownloadCounter {
  private counts = new Map<number, number>();
  private timer: NodeJS.Timeout | undefined;

  constructor(
    private readonly db: Db,
    private readonly logger: Logger,
    private readonly flushEveryMs = 10_000,
  ) {}

  start(): void {
    this.timer = setInterval(() => void this.flush(), this.flushEveryMs);
    this.timer.unref();
  }

  count(assetId: number): void {
    this.counts.set(assetId, (this.counts.get(assetId) ?? 0) + 1);
  }

  async flush(): Promise<void> {
    if (this.counts.size === 0) return;
    const batch = this.counts;
    this.counts = new Map();
    try {
      await addDownloads(this.db, batch);
    } catch (err) {
      this.logger.warn({ err: messageOf(err) }, 'download counts not saved');
    }
  }

  async stop(): Promise<void> {
    clearInterval(this.timer);
    await this.flush();
  }
}
