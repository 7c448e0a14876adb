import type { SharedState } from '../state/index.ts';
import type { GateClient } from '../upstreams/gate/client.ts';
import type { GateUserToken } from '../upstreams/gate/types.ts';
import { served } from '../upstreams/validation.ts';
import type { AuditTrail } from './audit.ts';
import { confirmedWrite } from './confirmed-writes.ts';
import { LockTimeout, ValidationError } from './failures.ts';
import type { WriteScope } from './tenancy.ts';

export interface BalanceDependencies {
  gate: GateClient;
  /** Whose balances may change. */
  scope: WriteScope;
  state: SharedState;
  /** How long a change waits for the lock on its user's balance before it gives up. */
  lockWaitMs: number;
}

/**
 * gate only sets a balance absolutely (`balance_seconds` on PATCH), so every change is a
 * read-modify-write: it runs holding the user's balance lock (across gateway processes when they
 * share Redis), reads the balance fresh from gate, and never proceeds unlocked.
 */
async function changeBalance(
  dependencies: BalanceDependencies,
  username: string,
  audit: AuditTrail,
  target: (current: number) => number,
): Promise<GateUserToken> {
  const { gate, scope, state, lockWaitMs } = dependencies;
  return state.withLock(`balance:${username}`, { waitMs: lockWaitMs }, async (lockLost) => {
    const token = scope.found(await gate.findTokenByUsername(username, true), `gate has no user token for ${username}`);
    const current = served(token.balanceSeconds) ?? 0;
    const next = target(current);
    if (next < 0) throw new ValidationError([{ field: 'seconds', message: `would take the balance of ${current} s below zero` }]);
    const id = String(token.id);
    // Without the lock another change may be under way: write nothing rather than overwrite it.
    if (lockLost.aborted) throw new LockTimeout('the lock on this balance was lost before it could be changed; nothing was changed, try again');
    // An absolute value under the lock: what reads back tells whether it landed.
    const updated = await confirmedWrite(
      () => gate.updateToken(id, { balanceSeconds: next }),
      () => gate.getToken(id, true),
      (current) => current.balanceSeconds === next,
    );
    audit.changed.push({ record: 'gate.userToken', id });
    return updated;
  });
}

/** A top-up, or a charge when `seconds` is negative; a charge past zero is refused. */
export function addBalance(dependencies: BalanceDependencies, username: string, seconds: number, audit: AuditTrail): Promise<GateUserToken> {
  return changeBalance(dependencies, username, audit, (current) => current + seconds);
}

/** Sets the balance outright, holding the same lock, so that it never interleaves with a top-up. */
export function setBalance(dependencies: BalanceDependencies, username: string, seconds: number, audit: AuditTrail): Promise<GateUserToken> {
  return changeBalance(dependencies, username, audit, () => seconds);
}
