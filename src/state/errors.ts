/**
 * Someone else held the lock for the whole wait. The work was not run, so the caller can answer "busy"
 * or retry without undoing anything.
 */
export class LockTimeoutError extends Error {
  override readonly name = 'LockTimeoutError';

  readonly key: string;
  readonly waitMs: number;
  constructor(
    key: string,
    waitMs: number,
  ) {
    super(`the lock on "${key}" was still held by someone else after waiting ${waitMs} ms`);
    this.key = key;
    this.waitMs = waitMs;
  }
}

/**
 * A client sent one idempotency key with two different requests: replaying the first one's result
 * would answer a question that was not asked, so the second is refused without running.
 */
export class IdempotencyKeyReusedError extends Error {
  override readonly name = 'IdempotencyKeyReusedError';

  readonly key: string;
  constructor(key: string) {
    super(`the idempotency key "${key}" was already used for a different request`);
    this.key = key;
  }
}

/**
 * The first call with this key was still running when the wait ran out: its outcome is not known
 * yet, so the caller can only ask the client to retry later (running it again could do it twice).
 */
export class IdempotencyBusyError extends Error {
  override readonly name = 'IdempotencyBusyError';

  readonly key: string;
  readonly waitMs: number;
  constructor(
    key: string,
    waitMs: number,
  ) {
    super(`the first request with the idempotency key "${key}" was still running after waiting ${waitMs} ms`);
    this.key = key;
    this.waitMs = waitMs;
  }
}

/**
 * Redis could not be reached or did not answer in time. Kept apart from the errors above so a caller
 * can answer "unavailable, retry" rather than blame the client; `cause` holds what ioredis said.
 */
export class StateUnavailableError extends Error {
  override readonly name = 'StateUnavailableError';
}

/**
 * The lock was no longer held when its holder came to write (an extension failed, or Redis
 * restarted and forgot it): another process may be writing, so nothing was written.
 */
export class LockLostError extends Error {
  override readonly name = 'LockLostError';

  readonly key: string;
  constructor(key: string) {
    super(`the lock on "${key}" was no longer held when its work came to write`);
    this.key = key;
  }
}

/**
 * Redis lost its data (it restarted empty) while gateways ran: the idempotency keys of before are
 * gone, so a retry with one of them could run its work a second time. Keyed work is refused until
 * every key that may have been lost would have expired anyway (`trustedFrom`, epoch ms).
 */
export class IdempotencyKeysLostError extends Error {
  override readonly name = 'IdempotencyKeysLostError';

  readonly trustedFrom: number;
  constructor(trustedFrom: number) {
    super(`Redis lost the idempotency keys (it restarted without its data); keyed writes are refused until ${new Date(trustedFrom).toISOString()}`);
    this.trustedFrom = trustedFrom;
  }
}
