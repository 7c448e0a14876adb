import type { SharedState } from '../state/index.ts';

/** What taking the write locks needs: where they live and how long to wait for one. */
export interface LockServices {
  state: SharedState;
  lockWaitMs: number;
}

/**
 * Runs `work` holding the lock of every named record (`person:<username>`, say), taken in one
 * order so that two writers that need the same two never wait for each other. Writes that create,
 * rename or remove what a name finds hold it: a read-back by that name then finds the gateway's
 * own write, never another writer's made meanwhile through the gateway.
 */
export function withLocks<T>(services: LockServices, keys: readonly string[], work: () => Promise<T>): Promise<T> {
  const ordered = [...new Set(keys)].sort();
  const hold = (index: number): Promise<T> => {
    const key = ordered[index];
    if (key === undefined) return work();
    return services.state.withLock(key, { waitMs: services.lockWaitMs }, () => hold(index + 1));
  };
  return hold(0);
}

export const personLock = (username: string) => `person:${username}`;
