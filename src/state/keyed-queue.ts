import { LockTimeoutError } from './errors.ts';
import { requireMs, settleBefore } from './timing.ts';

/**
 * Serializes work per key inside this process, first come first served. Both implementations start
 * here: without Redis it is the whole lock, with Redis it keeps this process's callers from
 * competing with each other for the Redis lock.
 */
export class KeyedQueue {
  /** Per key, a promise that resolves when the last caller in line has left. */
  readonly #tails = new Map<string, Promise<void>>();

  /**
   * Runs `work` once every earlier caller for `key` has left, or rejects with LockTimeoutError if
   * that takes longer than `waitMs`. `work` gets the deadline so that a second lock behind this one
   * can spend only what is left of the same wait.
   */
  async run<T>(key: string, waitMs: number, work: (deadline: number) => Promise<T>): Promise<T> {
    requireMs('waitMs', waitMs, 0);
    const deadline = Date.now() + waitMs;
    const previous = this.#tails.get(key) ?? Promise.resolve();
    let leave!: () => void;
    const left = new Promise<void>((resolve) => (leave = resolve));
    // The next caller waits for the one before us as well: giving up early never lets it in beside
    // a holder that is still running.
    const tail = previous.then(() => left);
    this.#tails.set(key, tail);
    void tail.then(() => {
      if (this.#tails.get(key) === tail) this.#tails.delete(key);
    });
    try {
      if (!(await settleBefore(previous, deadline))) throw new LockTimeoutError(key, waitMs);
      return await work(deadline);
    } finally {
      leave();
    }
  }
}
