import { randomUUID } from 'node:crypto';
import type { HeldLock, SharedState } from '../state/index.ts';
import type { GateUserToken } from '../upstreams/gate/types.ts';
import type { WriteClients } from '../upstreams/index.ts';
import { served } from '../upstreams/validation.ts';
import type { AuditTrail } from './audit.ts';
import { mayHaveLanded, writeFault } from './confirmed-writes.ts';
import { LockTimeout, OutcomeUnknown, UpstreamFailure, ValidationError } from './failures.ts';
import type { WriteScope } from './tenancy.ts';

export interface BalanceDependencies {
  clients: WriteClients;
  /** Whose balances may change. */
  scope: WriteScope;
  state: SharedState;
  /** How long a change waits for the lock on its user's balance before it gives up. */
  lockWaitMs: number;
  /** How long a write sent without an answer is taken to be still on its way. */
  settleMs: number;
  now: () => number;
}

/**
 * A balance write whose outcome is not known: what it was to change, so that whoever comes next
 * (a retry with its idempotency key, or any other change of the balance) can settle it by reading
 * the balance. `settleBy` (epoch ms): until then a write sent without an answer may still land.
 */
export interface BalanceAttempt {
  attempt: string;
  tokenId: string;
  before: number;
  after: number;
  settleBy: number;
}

/** An attempt's outcome once settled, kept for as long as its idempotency key lives. */
type Verdict = 'landed' | 'not-landed';

const DAY_MS = 24 * 60 * 60 * 1000;
const pendingNote = (tokenId: string) => `balance-pending:${tokenId}`;
const verdictNote = (attempt: string) => `write-verdict:${attempt}`;

/** A balance change whose outcome is unknown, with the attempt that settles it later. */
export class BalanceOutcomeUnknown extends OutcomeUnknown {
  readonly attempt: BalanceAttempt;
  constructor(
    message: string,
    mayStillLand: boolean,
    attempt: BalanceAttempt,
  ) {
    super('gate', message, mayStillLand);
    this.attempt = attempt;
  }
}

/** The user token whose balance the change is about, read fresh: its id keys the lock (a rename does not change it). */
async function tokenOf(dependencies: BalanceDependencies, username: string): Promise<GateUserToken> {
  const { clients, scope } = dependencies;
  return scope.found(await clients.gate.findTokenByUsername(username, true), `gate has no user token for ${username}`);
}

function withBalanceLock<T>(dependencies: BalanceDependencies, tokenId: string, work: (lock: HeldLock) => Promise<T>): Promise<T> {
  return dependencies.state.withLock(`balance:${tokenId}`, { waitMs: dependencies.lockWaitMs }, work);
}

async function readBalance(clients: WriteClients, tokenId: string): Promise<GateUserToken | null> {
  return clients.gate.getToken(tokenId, true);
}

/**
 * What became of an attempt, read from the balance: landed when it shows the attempt's value;
 * not landed when it does not and the write can no longer be on its way; undefined while it may.
 * The verdict is kept, so that the attempt's idempotency key still learns it after another change.
 */
async function settleAttempt(dependencies: BalanceDependencies, attempt: BalanceAttempt): Promise<Verdict | undefined> {
  const { state, clients, now } = dependencies;
  const kept = (await state.notes.read(verdictNote(attempt.attempt))) as Verdict | undefined;
  if (kept) return kept;
  const token = await readBalance(clients.recovery(), attempt.tokenId);
  const current = token ? (served(token.balanceSeconds) ?? 0) : undefined;
  const verdict: Verdict | undefined = current === attempt.after ? 'landed' : now() >= attempt.settleBy ? 'not-landed' : undefined;
  if (verdict) {
    await state.notes.write(verdictNote(attempt.attempt), verdict, DAY_MS);
    await state.notes.drop(pendingNote(attempt.tokenId));
  }
  return verdict;
}

/** Settles the balance's pending attempt, if it has one, before anything else changes it. */
async function settlePending(dependencies: BalanceDependencies, tokenId: string): Promise<void> {
  const note = await dependencies.state.notes.read(pendingNote(tokenId));
  if (!note) return;
  const attempt = JSON.parse(note) as BalanceAttempt;
  if ((await settleAttempt(dependencies, attempt)) === undefined) {
    const waitS = Math.ceil((attempt.settleBy - dependencies.now()) / 1000);
    throw new LockTimeout(`an earlier change of this balance got no answer and may still land; nothing was changed, try again in ${waitS} s`);
  }
}

/**
 * Writes `next` as the balance, holding its lock (confirmed right before the write). A lost answer
 * is read back: shown, it landed; not shown after an answer, it did not; otherwise the attempt is
 * noted for whoever comes next and the outcome is unknown.
 */
async function writeBalance(dependencies: BalanceDependencies, lock: HeldLock, token: GateUserToken, next: number): Promise<GateUserToken> {
  const { clients, state, settleMs, now } = dependencies;
  const tokenId = String(token.id);
  const before = served(token.balanceSeconds) ?? 0;
  await lock.confirm();
  const attempt: BalanceAttempt = { attempt: randomUUID(), tokenId, before, after: next, settleBy: now() + settleMs };
  try {
    return await clients.gate.updateToken(tokenId, { balanceSeconds: next });
  } catch (error) {
    if (!mayHaveLanded(error)) throw error;
    const unanswered = writeFault(error) === 'unanswered';
    const current = await readBalance(clients.recovery(), tokenId).catch(() => undefined);
    if (current && served(current.balanceSeconds) === next) return current;
    if (current && !unanswered) throw new UpstreamFailure('gate', 'gate failed the change; reading back shows it did not land', error.status ?? null, true);
    // Noted for whoever changes the balance next, so that it settles this first: without the note
    // a later change would build on a balance this write may still overwrite, and this attempt's
    // key could no longer tell its own change from theirs. (Redis failing here too leaves only the
    // answer to say so.)
    const unknown = { ...attempt, settleBy: unanswered ? attempt.settleBy : now() };
    await state.notes.write(pendingNote(tokenId), JSON.stringify(unknown), DAY_MS).catch(() => {});
    const why = current ? 'reading back does not show it yet' : 'reading back failed too';
    throw new BalanceOutcomeUnknown(`gate gave no answer to the change, and ${why}: it may or may not have landed`, unanswered, unknown);
  }
}

/**
 * gate only sets a balance absolutely (`balance_seconds` on PATCH), so every change is a
 * read-modify-write: it runs holding the balance's lock (keyed by the token's id, across gateway
 * processes when they share Redis), settles a change before it whose outcome is unknown, reads the
 * balance fresh from gate, and never proceeds unlocked.
 */
async function changeBalance(
  dependencies: BalanceDependencies,
  token: GateUserToken,
  audit: AuditTrail,
  target: (current: number) => number,
  lock: HeldLock,
): Promise<GateUserToken> {
  const { clients, scope } = dependencies;
  const tokenId = String(token.id);
  await settlePending(dependencies, tokenId);
  const fresh = scope.found(await readBalance(clients, tokenId), `gate has no user token for ${token.username}`);
  const current = served(fresh.balanceSeconds) ?? 0;
  const next = target(current);
  if (next < 0) throw new ValidationError([{ field: 'seconds', message: `would take the balance of ${current} s below zero` }]);
  const updated = await writeBalance(dependencies, lock, fresh, next);
  audit.changed.push({ record: 'gate.userToken', id: tokenId });
  return updated;
}

export interface BalanceChange {
  token: GateUserToken;
  /** The outcome of an earlier attempt, settled now: nothing was written this time. */
  replayed: boolean;
}

/** A top-up, or a charge when `seconds` is negative; a charge past zero is refused. */
export async function addBalance(dependencies: BalanceDependencies, username: string, seconds: number, audit: AuditTrail): Promise<GateUserToken> {
  const token = await tokenOf(dependencies, username);
  return withBalanceLock(dependencies, String(token.id), (lock) => changeBalance(dependencies, token, audit, (current) => current + seconds, lock));
}

/** Sets the balance outright, holding the same lock, so that it never interleaves with a top-up. */
export async function setBalance(dependencies: BalanceDependencies, username: string, seconds: number, audit: AuditTrail): Promise<GateUserToken> {
  const token = await tokenOf(dependencies, username);
  return withBalanceLock(dependencies, String(token.id), (lock) => changeBalance(dependencies, token, audit, () => seconds, lock));
}

/**
 * A retry with the idempotency key of a top-up whose outcome was unknown: the attempt is settled
 * first. Landed, the retry answers the balance as it is (a replay: nothing written); not landed,
 * the top-up runs now, once; still unknown, the answer stays unknown and the key stays bound.
 */
export async function settleTopUp(
  dependencies: BalanceDependencies,
  attempt: BalanceAttempt,
  username: string,
  seconds: number,
  audit: AuditTrail,
): Promise<BalanceChange> {
  return withBalanceLock(dependencies, attempt.tokenId, async (lock) => {
    const verdict = await settleAttempt(dependencies, attempt);
    if (verdict === undefined) {
      throw new BalanceOutcomeUnknown('the first request with this key got no answer from gate and its change may still land; ask again later', true, attempt);
    }
    const token = dependencies.scope.found(await readBalance(dependencies.clients, attempt.tokenId), `gate has no user token for ${username}`);
    if (verdict === 'landed') return { token, replayed: true };
    return { token: await changeBalance(dependencies, token, audit, (current) => current + seconds, lock), replayed: false };
  });
}
