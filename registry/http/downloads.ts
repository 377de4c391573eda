import type { Logger } from 'pino';
import type { Db } from '../db/port.js';
import { messageOf } from '../errors.js';
import { addDownloads } from '../store/assets.js';

/**
 * Counts definition downloads per asset (order=most_downloaded) in memory and writes them in batches, so
 * a read never waits for a write. After a batch is written, `onSaved` runs (the pages in download order
 * are dropped from the cache); a batch that could not be written is kept for the next one.
 */
export class DownloadCounter {
  private counts = new Map<number, number>();
  private timer: NodeJS.Timeout | undefined;

  constructor(
    private readonly db: Db,
    private readonly logger: Logger,
    private readonly onSaved: () => Promise<void> = async () => undefined,
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
      for (const [assetId, n] of batch) this.counts.set(assetId, (this.counts.get(assetId) ?? 0) + n);
      this.logger.warn({ err: messageOf(err) }, 'download counts not saved yet: kept for the next write');
      return;
    }
    await this.onSaved().catch((err: unknown) =>
      this.logger.warn({ err: messageOf(err) }, 'pages in download order not dropped from the cache'),
    );
  }

  async stop(): Promise<void> {
    clearInterval(this.timer);
    await this.flush();
  }
}
