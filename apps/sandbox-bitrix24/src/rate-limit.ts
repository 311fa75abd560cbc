// Bitrix24's leaky bucket: each request adds 1, the level drains `drainPerSec` per second, and a
// request that would push the level above `capacity` is refused (503 QUERY_LIMIT_EXCEEDED) without
// being added. One bucket per portal; a batch is one request.

export interface LeakyBucketOptions {
  capacity: number;
  drainPerSec: number;
  now?: () => number;
}

export class LeakyBucket {
  private capacity: number;
  private drainPerSec: number;
  private readonly now: () => number;
  private level = 0;
  private updatedAt: number;

  constructor(options: LeakyBucketOptions) {
    this.capacity = options.capacity;
    this.drainPerSec = options.drainPerSec;
    this.now = options.now ?? Date.now;
    this.updatedAt = this.now();
  }

  private drain(): void {
    const now = this.now();
    const elapsedSec = Math.max(0, now - this.updatedAt) / 1000;
    this.level = Math.max(0, this.level - elapsedSec * this.drainPerSec);
    this.updatedAt = now;
  }

  /** Adds one request if it fits; false means "reject with 503" (the level is unchanged). */
  tryTake(): boolean {
    this.drain();
    if (this.level + 1 > this.capacity) return false;
    this.level += 1;
    return true;
  }

  /** The current fill level (after draining). */
  currentLevel(): number {
    this.drain();
    return this.level;
  }

  configure(options: { capacity?: number; drainPerSec?: number }): void {
    this.drain();
    if (options.capacity !== undefined) this.capacity = options.capacity;
    if (options.drainPerSec !== undefined) this.drainPerSec = options.drainPerSec;
  }

  settings(): { capacity: number; drainPerSec: number } {
    return { capacity: this.capacity, drainPerSec: this.drainPerSec };
  }

  reset(): void {
    this.level = 0;
    this.updatedAt = this.now();
  }
}
