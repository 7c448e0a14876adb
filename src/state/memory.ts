import { Idempotency, type RecordStore } from './idempotency.ts';
import type { HeldLock, Notes, SharedState, StateSettings } from './index.ts';
import { KeyedQueue } from './keyed-queue.ts';
import { memoryRateLimits } from './rate-limit.ts';

/** A lock in one process cannot be lost to another one. */
const heldForGood: HeldLock = { lost: new AbortController().signal, confirm: async () => {} };

/**
 * Records in a Map, each dropped by its own timer when its TTL runs out. Values are the same JSON
 * strings Redis would hold, so a result that does not survive JSON fails here too, not only with Redis.
 */
class MemoryRecordStore implements RecordStore, Notes {
  readonly #entries = new Map<string, { value: string; expiry: NodeJS.Timeout }>();

  async claim(key: string, value: string, ttlMs: number): Promise<string | undefined> {
    const existing = this.#entries.get(key);
    if (existing) return existing.value;
    this.#set(key, value, ttlMs);
    return undefined;
  }

  async replace(key: string, expected: string, value: string, ttlMs: number): Promise<boolean> {
    if (this.#entries.get(key)?.value !== expected) return false;
    this.#set(key, value, ttlMs);
    return true;
  }

  async remove(key: string, expected: string): Promise<void> {
    const entry = this.#entries.get(key);
    if (entry?.value !== expected) return;
    clearTimeout(entry.expiry);
    this.#entries.delete(key);
  }

  async read(key: string): Promise<string | undefined> {
    return this.#entries.get(key)?.value;
  }

  async write(key: string, value: string, ttlMs: number): Promise<void> {
    this.#set(key, value, ttlMs);
  }

  async drop(key: string): Promise<void> {
    clearTimeout(this.#entries.get(key)?.expiry);
    this.#entries.delete(key);
  }

  clear(): void {
    for (const { expiry } of this.#entries.values()) clearTimeout(expiry);
    this.#entries.clear();
  }

  #set(key: string, value: string, ttlMs: number): void {
    const previous = this.#entries.get(key);
    if (previous) clearTimeout(previous.expiry);
    // Unref'd: a day-long TTL must not keep a finished process alive.
    const expiry = setTimeout(() => this.#entries.delete(key), ttlMs).unref();
    this.#entries.set(key, { value, expiry });
  }
}

/** State for one process (a single replica, development, tests): the in-process halves alone. */
export function createMemoryState(settings: StateSettings): SharedState {
  const queue = new KeyedQueue();
  const records = new MemoryRecordStore();
  const notes = new MemoryRecordStore();
  const idempotency = new Idempotency(records, settings);
  const rateLimits = memoryRateLimits(settings.keyPrefix);
  return {
    withLock: (key, { waitMs }, work) => queue.run(key, waitMs, () => work(heldForGood)),
    remember: (key, fingerprint, options, work, settleAttempt) => idempotency.remember(key, fingerprint, options, work, settleAttempt),
    notes,
    countRequest: (client, options) => rateLimits.count(client, options),
    close: async () => {
      records.clear();
      notes.clear();
      rateLimits.clear();
    },
  };
}
