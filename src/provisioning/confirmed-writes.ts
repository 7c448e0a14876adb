import { setTimeout as sleep } from 'node:timers/promises';
import { UpstreamError, writeFault, type UpstreamName, type WriteFault } from '../upstreams/errors.ts';
import type { WriteClients } from '../upstreams/index.ts';
import { ConflictError, NotFoundError, OutcomeUnknown, UpstreamFailure } from './failures.ts';

// How a failed write leaves its record is told where upstream errors are made: the cache needs it too.
export { writeFault, type WriteFault } from '../upstreams/errors.ts';

/** Whether a write that failed may have landed: only a read-back tells. */
export function mayHaveLanded(error: unknown): error is UpstreamError {
  return writeFault(error) !== 'refused';
}

function unknownOutcome(error: UpstreamError, fault: WriteFault, why: string): OutcomeUnknown {
  return new OutcomeUnknown(error.upstream, `${error.upstream} gave no usable answer to the write, and ${why}: it may or may not have landed`, fault === 'unanswered');
}

function didNotLand(error: UpstreamError): UpstreamFailure {
  return new UpstreamFailure(error.upstream, `${error.upstream} failed the write; reading back shows it did not land`, error.status ?? null, true);
}

/** What settling a write's lost answer needs: a fresh read of the record, under a budget of its own. */
interface ReadBack<T> {
  clients: WriteClients;
  /** The record as the upstream has it now, read with clients whose deadline is not the request's. */
  readBack: (recovery: WriteClients) => Promise<T | null>;
  /** Whether the record found shows this write. */
  landed?: (current: T) => boolean;
}

/** The record as read back, or the failure that tells the truth when it does not show the write. */
async function settleLostAnswer<T>(error: UpstreamError, { clients, readBack, landed = () => true }: ReadBack<T>): Promise<{ current: T | null; shows: boolean }> {
  const fault = writeFault(error);
  let current: T | null;
  try {
    current = await readBack(clients.recovery());
  } catch {
    throw unknownOutcome(error, fault, 'reading back failed too');
  }
  return { current, shows: current !== null && landed(current) };
}

/**
 * A write whose answer may be of no use (see `WriteFault`). Never retried blindly: it is read back.
 * The record showing the write (per `landed`) means it landed. Not showing it proves it did not
 * land only when the upstream had answered (`UpstreamFailure`, retryable); after no answer at all
 * the write may still be on its way (`OutcomeUnknown`), and so it is when reading back fails.
 */
export async function confirmedWrite<T>(write: () => Promise<T>, settling: ReadBack<T>): Promise<T> {
  try {
    return await write();
  } catch (error) {
    if (!mayHaveLanded(error)) throw error;
    const { current, shows } = await settleLostAnswer(error, settling);
    if (shows) return current as T;
    if (writeFault(error) === 'unanswered') throw unknownOutcome(error, 'unanswered', 'reading back does not show it yet');
    throw didNotLand(error);
  }
}

/**
 * A create of a record found again by its natural key (a username): as `confirmedWrite`, and a
 * record found that does not show what was sent (`landed`) is someone else's, never adopted: the
 * name is taken (`ConflictError`). So is a create refused as a bad request while a record of the
 * name now exists: another writer won the race for the name.
 */
export async function confirmedCreate<T>(create: () => Promise<T>, settling: ReadBack<T> & { taken: string }): Promise<T> {
  try {
    return await create();
  } catch (error) {
    if (error instanceof UpstreamError && error.code === 'UPSTREAM_BAD_REQUEST') {
      const holder = await settling.readBack(settling.clients.recovery()).catch(() => null);
      if (holder !== null) throw new ConflictError(settling.taken);
      throw error;
    }
    if (!mayHaveLanded(error)) throw error;
    const { current, shows } = await settleLostAnswer(error, settling);
    if (shows) return current as T;
    if (current !== null) throw new ConflictError(settling.taken);
    if (writeFault(error) === 'unanswered') throw unknownOutcome(error, 'unanswered', 'reading back does not show it yet');
    throw didNotLand(error);
  }
}

/**
 * A change the upstream accepts without showing the result (edge's PATCH answers 202 and no
 * body), then read back. Once accepted it is no longer "did not land": a read-back that fails, or
 * that does not show the change yet, leaves the outcome unknown, not refused. `accepted` hears the
 * acceptance (to audit the change whatever the read-back says).
 */
export function acceptedThenRead<T>(
  upstream: UpstreamName,
  accept: () => Promise<void>,
  settling: ReadBack<T> & { gone: string; accepted: () => void },
): Promise<T> {
  const { clients, readBack, landed = () => true, gone } = settling;
  return confirmedWrite(async () => {
    await accept();
    settling.accepted();
    let current: T | null;
    try {
      current = await readBack(clients.recovery());
    } catch {
      throw new OutcomeUnknown(upstream, `${upstream} accepted the change, but reading it back failed: it has most likely landed; read the record again`, false);
    }
    if (current === null) throw new NotFoundError(gone);
    if (!landed(current)) throw new OutcomeUnknown(upstream, `${upstream} accepted the change, but reading it back does not show it yet: read the record again`, true);
    return current;
  }, settling);
}

/**
 * A delete whose answer may be lost, settled the same way: gone means done. With
 * `alreadyGone: 'done'`, a record that is not there (404) counts as removed.
 */
export async function confirmedDelete(remove: () => Promise<void>, stillThere: () => Promise<boolean>, alreadyGone: 'done' | 'fail' = 'fail'): Promise<void> {
  try {
    await remove();
  } catch (error) {
    if (alreadyGone === 'done' && error instanceof UpstreamError && error.code === 'UPSTREAM_NOT_FOUND') return;
    if (!mayHaveLanded(error)) throw error;
    const fault = writeFault(error);
    let there: boolean;
    try {
      there = await stillThere();
    } catch {
      throw unknownOutcome(error, fault, 'reading back failed too');
    }
    if (!there) return;
    if (fault === 'unanswered') throw unknownOutcome(error, fault, 'the record is still there');
    throw didNotLand(error);
  }
}

/** Whether `current` shows every field of `wanted`: nested objects key by key (as gate merges them), lists whole. */
export function shows(current: unknown, wanted: unknown): boolean {
  if (Array.isArray(wanted)) {
    return Array.isArray(current) && current.length === wanted.length && wanted.every((item, index) => shows(current[index], item));
  }
  if (wanted !== null && typeof wanted === 'object') {
    if (current === null || typeof current !== 'object') return false;
    const record = current as Record<string, unknown>;
    return Object.entries(wanted).every(([key, value]) => value === undefined || shows(record[key], value));
  }
  return current === wanted;
}

/** Whether trying again may help: no answer, a rate limit or a server error; a refusal (4xx) will not change. */
function worthRetrying(error: unknown): boolean {
  if (error instanceof UpstreamFailure) return error.retryable;
  if (!(error instanceof UpstreamError)) return false;
  return error.status === undefined || error.status === 429 || error.status >= 500;
}

/** Runs `work`, again after a pause when it fails in a way that may pass; answers whether it succeeded at last. */
export async function retried<T>(work: () => Promise<T>, pausesMs: readonly number[] = [100, 400]): Promise<{ ok: true; value: T } | { ok: false; error: unknown }> {
  for (let attempt = 0; ; attempt++) {
    try {
      return { ok: true, value: await work() };
    } catch (error) {
      const pause = pausesMs[attempt];
      if (pause === undefined || !worthRetrying(error)) return { ok: false, error };
      await sleep(pause);
    }
  }
}
