import { randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { IdempotencyBusyError, IdempotencyKeyReusedError, StateUnavailableError } from './errors.ts';
import { pollDelayMs, requireMs, settle, settleBefore } from './timing.ts';

/**
 * The few atomic operations the idempotency protocol needs from where records live, so that the
 * protocol itself is written once for memory and for Redis. Values are opaque strings (JSON records).
 */
export interface RecordStore {
  /** Stores `value` for `ttlMs` unless `key` is taken, in one step; gives back what is there, or undefined when the key is ours now. */
  claim(key: string, value: string, ttlMs: number): Promise<string | undefined>;
  /** Replaces the value only while it is still `expected`, so that a claim that ran out cannot overwrite the next claimant's. */
  replace(key: string, expected: string, value: string, ttlMs: number): Promise<boolean>;
  /** Deletes the key only while it still holds `expected`, for the same reason. */
  remove(key: string, expected: string): Promise<void>;
}

/**
 * What work gives back: `keep: true` answers later calls with the key from `result`; `keep: false`
 * (nothing happened upstream) lets a retry with the key run it again; `unsettled` (the work may
 * have written something whose outcome is not known) binds the key to that attempt, so that the
 * next call with the key settles it (`settleAttempt` of `remember`) instead of running the work again.
 * `replayed` marks a result that is the outcome of an earlier attempt, settled now.
 */
export type WorkOutcome<T> = { result: T; replayed?: boolean } & ({ keep: boolean } | { unsettled: unknown });

/** `replayed` tells the caller that this result came from an earlier (or concurrent) call with the key. */
export interface Remembered<T> {
  result: T;
  replayed: boolean;
}

export interface RememberOptions {
  /** How long the result answers later calls with the key. */
  ttlMs: number;
  /** How long a call waits for an earlier call with the key that is still running. */
  waitMs: number;
}

/**
 * A key is either being worked on (`running`, with a random claim that tells this claim from a later
 * one by the same request) or answered (`done`). The fingerprint on both lets any process refuse a
 * key reused for another request.
 */
type IdempotencyRecord =
  | { state: 'running'; fingerprint: string; claim: string; attempt?: unknown }
  | { state: 'done'; fingerprint: string; result: unknown }
  | { state: 'unsettled'; fingerprint: string; attempt: unknown };

/** Settles what an earlier attempt under the key left unknown: described by `attempt`, as its work gave it. */
export type Settle<T> = (attempt: unknown) => Promise<WorkOutcome<T>>;

interface InFlight {
  fingerprint: string;
  outcome: Promise<Remembered<unknown>>;
}

/** The part of the state's settings the protocol needs, so that it does not depend on how they are read. */
export interface IdempotencySettings {
  claimTtlMs: number;
  onBackgroundError: (error: Error) => void;
}

/** How often, and how long, a claim that may have been stored by a command that failed is asked to go. */
const RELEASE_RETRY_MS = 1_000;

/**
 * Runs work at most once per idempotency key (until its result expires). Callers in this process
 * share the first call's promise; other processes meet through the `RecordStore`: they wait while
 * the key is `running` and take the result once it is `done`.
 */
export class Idempotency {
  readonly #store: RecordStore;
  readonly #settings: IdempotencySettings;
  readonly #inFlight = new Map<string, InFlight>();

  constructor(store: RecordStore, settings: IdempotencySettings) {
    this.#store = store;
    this.#settings = settings;
  }

  async remember<T>(
    key: string,
    fingerprint: string,
    options: RememberOptions,
    work: () => Promise<WorkOutcome<T>>,
    settleAttempt: Settle<T> = () => work(),
  ): Promise<Remembered<T>> {
    requireMs('ttlMs', options.ttlMs, 1);
    requireMs('waitMs', options.waitMs, 0);
    const deadline = Date.now() + options.waitMs;
    const running = this.#inFlight.get(key);
    if (running) {
      if (running.fingerprint !== fingerprint) throw new IdempotencyKeyReusedError(key);
      const settled = await settleBefore(running.outcome, deadline);
      if (!settled) throw new IdempotencyBusyError(key, options.waitMs);
      // Same key and fingerprint: the same request, so the same result type.
      return { result: settled.value.result as T, replayed: true };
    }
    const outcome = this.#claimAndRun(key, fingerprint, options, deadline, work, settleAttempt);
    const entry: InFlight = { fingerprint, outcome };
    this.#inFlight.set(key, entry);
    try {
      return await outcome;
    } finally {
      if (this.#inFlight.get(key) === entry) this.#inFlight.delete(key);
    }
  }

  async #claimAndRun<T>(
    key: string,
    fingerprint: string,
    options: RememberOptions,
    deadline: number,
    work: () => Promise<WorkOutcome<T>>,
    settleAttempt: Settle<T>,
  ): Promise<Remembered<T>> {
    const claimId = randomUUID();
    const claim = encode({ state: 'running', fingerprint, claim: claimId });
    for (;;) {
      const existing = await this.#claimOrRelease(key, claim);
      if (existing === undefined) return this.#run(key, claim, fingerprint, options.ttlMs, work);
      const record = decode(existing);
      if (record.fingerprint !== fingerprint) throw new IdempotencyKeyReusedError(key);
      if (record.state === 'done') return { result: record.result as T, replayed: true };
      if (record.state === 'unsettled') {
        // The key stays bound to its first attempt: whoever takes it settles that attempt.
        const settling = encode({ state: 'running', fingerprint, claim: claimId, attempt: record.attempt });
        if (await this.#store.replace(key, existing, settling, this.#settings.claimTtlMs)) {
          return this.#run(key, settling, fingerprint, options.ttlMs, () => settleAttempt(record.attempt), record.attempt);
        }
        continue;
      }
      // Running in another process: look again until it is done, gone (then it is ours to run) or
      // the wait is over.
      const remaining = deadline - Date.now();
      if (remaining <= 0) throw new IdempotencyBusyError(key, options.waitMs);
      await sleep(Math.min(pollDelayMs(), remaining));
    }
  }

  /**
   * A claim whose command failed (Redis slow or gone) may still have been stored: left alone it
   * would keep the key busy for `claimTtlMs` after the caller was told nothing happened, so it is
   * asked to go until Redis answers (or the claim has run out by itself).
   */
  async #claimOrRelease(key: string, claim: string): Promise<string | undefined> {
    try {
      return await this.#store.claim(key, claim, this.#settings.claimTtlMs);
    } catch (error) {
      if (error instanceof StateUnavailableError) this.#releaseEventually(key, claim);
      throw error;
    }
  }

  #releaseEventually(key: string, claim: string): void {
    const giveUpAt = Date.now() + this.#settings.claimTtlMs;
    const attempt = () => {
      this.#store.remove(key, claim).catch(() => {
        if (Date.now() + RELEASE_RETRY_MS < giveUpAt) setTimeout(attempt, RELEASE_RETRY_MS).unref();
      });
    };
    attempt();
  }

  /**
   * Runs `work` on a claim we hold. Once work has run, its result goes to the caller even if it
   * cannot be recorded: failing the call would only invite a retry that runs the work again, while
   * an unrecorded claim runs out by itself after `claimTtlMs`. A claim taken over from an unsettled
   * attempt carries it (`attempt`), so that work failing outright leaves the attempt unsettled.
   */
  async #run<T>(
    key: string,
    claim: string,
    fingerprint: string,
    ttlMs: number,
    work: () => Promise<WorkOutcome<T>>,
    attempt?: unknown,
  ): Promise<Remembered<T>> {
    const { claimTtlMs } = this.#settings;
    // The claim is short so that a crashed process frees the key soon; a live one keeps it fresh.
    const heartbeat = setInterval(() => {
      void this.#confirm(key, this.#store.replace(key, claim, claim, claimTtlMs), 'ran out or was taken while its work ran');
    }, claimTtlMs / 3);
    heartbeat.unref();
    const settled = await settle(work);
    clearInterval(heartbeat);
    if (!settled.ok) {
      await this.#release(key, claim, fingerprint, ttlMs, attempt);
      throw settled.error;
    }
    const outcome = settled.value;
    const { result } = outcome;
    if ('unsettled' in outcome) {
      const unsettled = encode({ state: 'unsettled', fingerprint, attempt: outcome.unsettled });
      await this.#confirm(key, this.#store.replace(key, claim, unsettled, ttlMs), 'ran out before its work finished, so its unsettled attempt was not kept');
    } else if (outcome.keep) {
      // Encoded here, not in the background: a result that is not JSON is the caller's bug and fails loudly.
      const done = encode({ state: 'done', fingerprint, result });
      await this.#confirm(key, this.#store.replace(key, claim, done, ttlMs), 'ran out before its work finished, so the result was not kept');
    } else {
      await this.#release(key, claim, fingerprint, ttlMs, attempt);
    }
    return { result, replayed: outcome.replayed ?? false };
  }

  /** Frees the key for the next call, or hands it back unsettled when the claim carried an attempt. */
  async #release(key: string, claim: string, fingerprint: string, ttlMs: number, attempt: unknown): Promise<void> {
    if (attempt !== undefined) {
      const unsettled = encode({ state: 'unsettled', fingerprint, attempt });
      await this.#confirm(key, this.#store.replace(key, claim, unsettled, ttlMs), 'could not be handed back unsettled');
      return;
    }
    const released = this.#store.remove(key, claim).then(
      () => true,
      (error: unknown) => {
        if (error instanceof StateUnavailableError) this.#releaseEventually(key, claim);
        throw error;
      },
    );
    await this.#confirm(key, released, 'could not be released');
  }

  /**
   * Bookkeeping beside or after work cannot fail the call (see `#run`), so what went wrong goes to
   * `onBackgroundError`: `refused` says what a false answer means, a thrown error speaks for itself.
   */
  async #confirm(key: string, operation: Promise<boolean>, refused: string): Promise<void> {
    const { onBackgroundError } = this.#settings;
    try {
      if (!(await operation)) onBackgroundError(new Error(`the idempotency claim on "${key}" ${refused}`));
    } catch (error) {
      const reason = error instanceof Error ? error.message : String(error);
      onBackgroundError(new Error(`the idempotency record for "${key}" could not be written: ${reason}`, { cause: error }));
    }
  }
}

function encode(record: IdempotencyRecord): string {
  return JSON.stringify(record);
}

function decode(text: string): IdempotencyRecord {
  return JSON.parse(text) as IdempotencyRecord;
}

