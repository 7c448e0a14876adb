import { setTimeout as sleep } from 'node:timers/promises';
import { UpstreamError } from '../upstreams/http.ts';
import { OutcomeUnknown, UpstreamFailure } from './failures.ts';

/**
 * Whether a write may have landed although no usable answer came: it reached the upstream and the
 * answer was lost, cut off or unreadable, or a proxy gave up waiting (502, 504).
 */
export function answerUnusable(error: unknown): error is UpstreamError {
  if (!(error instanceof UpstreamError)) return false;
  return (
    error.answerLost ||
    error.code === 'UPSTREAM_BAD_RESPONSE' ||
    error.code === 'UPSTREAM_RESPONSE_TOO_LARGE' ||
    error.status === 502 ||
    error.status === 504
  );
}

function unknownOutcome(error: UpstreamError): OutcomeUnknown {
  return new OutcomeUnknown(error.upstream, `${error.upstream} gave no usable answer to the write, and reading back failed too: it may or may not have landed`);
}

function didNotLand(error: UpstreamError): UpstreamFailure {
  return new UpstreamFailure(error.upstream, `${error.upstream} gave no usable answer to the write; reading back shows it did not land`, null, true);
}

/**
 * A write whose answer may be lost. Never retried blindly: a lost answer is settled by reading
 * back. A record found (showing the write, per `landed`) means it landed; none means it did not
 * (`UpstreamFailure`, retryable); a read-back that fails too leaves the outcome unknown.
 */
export async function confirmedWrite<T>(write: () => Promise<T>, readBack: () => Promise<T | null>, landed: (current: T) => boolean = () => true): Promise<T> {
  try {
    return await write();
  } catch (error) {
    if (!answerUnusable(error)) throw error;
    let current: T | null;
    try {
      current = await readBack();
    } catch {
      throw unknownOutcome(error);
    }
    if (current !== null && landed(current)) return current;
    throw didNotLand(error);
  }
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
    if (!answerUnusable(error)) throw error;
    let there: boolean;
    try {
      there = await stillThere();
    } catch {
      throw unknownOutcome(error);
    }
    if (there) throw didNotLand(error);
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
export async function retried(work: () => Promise<void>, pausesMs: readonly number[] = [100, 400]): Promise<{ ok: true } | { ok: false; error: unknown }> {
  for (let attempt = 0; ; attempt++) {
    try {
      await work();
      return { ok: true };
    } catch (error) {
      const pause = pausesMs[attempt];
      if (pause === undefined || !worthRetrying(error)) return { ok: false, error };
      await sleep(pause);
    }
  }
}
