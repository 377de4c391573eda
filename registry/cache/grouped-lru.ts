import { LRUCache } from 'lru-cache';

const SEPARATOR = '\u0000';

/**
 * The LRU of the in-process caches (memory.ts, first-level.ts). Entries live in groups (one per asset,
 * the list pages: cache/names.ts) and each group knows its entries, so dropping one costs its own
 * entries, not a scan of the whole cache (an ingest drops five groups, in every process). Each drop moves
 * the group's generation, and a clear all of them: a load that straddles one is not stored (`set` with
 * the generation seen before loading).
 */
export class GroupedLru<V extends object | string> {
  private readonly lru: LRUCache<string, V>;
  private readonly members = new Map<string, Set<string>>();
  private readonly generations = new Map<string, number>();
  private epoch = 0;

  constructor(options: LRUCache.Options<string, V, unknown>) {
    this.lru = new LRUCache<string, V>({
      ...options,
      // Evicted, expired or deleted: no longer a member (a value replaced under its key still is).
      dispose: (_value, id, reason) => {
        if (reason !== 'set') this.unindex(id);
      },
    });
  }

  get size(): number {
    return this.lru.size;
  }

  /** What the entries weigh (`sizeCalculation`); 0 without one. */
  get calculatedSize(): number {
    return this.lru.calculatedSize;
  }

  get(group: string, key: string): V | undefined {
    return this.lru.get(group + SEPARATOR + key);
  }

  /** The group's generation now: given to `set`, a value loaded from now on is not stored after a drop. */
  generation(group: string): string {
    return `${this.epoch}:${this.generations.get(group) ?? 0}`;
  }

  /** Stores `value` unless the group moved since `before` (when given); returns whether it was stored. */
  set(group: string, key: string, value: V, before?: string): boolean {
    if (before !== undefined && this.generation(group) !== before) return false;
    const id = group + SEPARATOR + key;
    this.lru.set(id, value);
    // Refused as too large (lru-cache's maxEntrySize), which also removed what the key held.
    if (!this.lru.has(id)) {
      this.unindex(id);
      return false;
    }
    let ids = this.members.get(group);
    if (!ids) this.members.set(group, (ids = new Set()));
    ids.add(id);
    return true;
  }

  /** Drops every entry of `group`, and moves its generation. */
  drop(group: string): void {
    this.generations.set(group, (this.generations.get(group) ?? 0) + 1);
    const ids = this.members.get(group);
    if (!ids) return;
    this.members.delete(group);
    for (const id of ids) this.lru.delete(id);
  }

  /** Drops everything, and moves every generation. */
  clear(): void {
    this.epoch++;
    this.members.clear();
    this.lru.clear();
  }

  private unindex(id: string): void {
    const group = id.slice(0, id.indexOf(SEPARATOR));
    const ids = this.members.get(group);
    if (!ids) return;
    ids.delete(id);
    if (ids.size === 0) this.members.delete(group);
  }
}
