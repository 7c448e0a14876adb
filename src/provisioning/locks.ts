import type { SharedState } from '../state/index.ts';
import type { WriteClients } from '../upstreams/index.ts';
import { confirmedCreate, shows } from './confirmed-writes.ts';
import { ConflictError } from './failures.ts';

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

/**
 * The person locks a change holds: a rename holds the old name and the new one, so that no create
 * through the gateway takes either while the records move from one to the other; no rename, none.
 */
export function renameLocks(from: string | undefined, to: string | undefined): string[] {
  return to === undefined ? [] : [to, ...(from === undefined ? [] : [from])].map(personLock);
}

/**
 * A record named by a username, created once: under the person's lock, refused when the name is
 * taken already (or `vet` refuses it), and its lost answer settled by finding it again by name
 * (`confirmedCreate`: never adopting a record that does not show `sent`).
 */
export function createNamed<T>(
  services: LockServices,
  clients: WriteClients,
  named: {
    username: string;
    find: (clients: WriteClients) => Promise<T | null>;
    create: () => Promise<T>;
    sent: object;
    taken: string;
    /** Checks the free name further, under the lock: whether this writer may take it. */
    vet?: () => Promise<void>;
  },
): Promise<T> {
  const { username, find, create, sent, taken, vet } = named;
  return withLocks(services, [personLock(username)], async () => {
    if (await find(clients)) throw new ConflictError(taken);
    await vet?.();
    return confirmedCreate(create, { clients, readBack: find, landed: (current) => shows(current, sent), taken });
  });
}
