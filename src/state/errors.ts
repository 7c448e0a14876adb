/**
 * Someone else held the lock for the whole wait. The work was not run, so the caller can answer "busy"
 * or retry without undoing anything.
 */
export class LockTimeoutError extends Error {
  override readonly name = 'LockTimeoutError';

  constructor(
    readonly key: string,
    readonly waitMs: number,
  ) {
    super(`the lock on "${key}" was still held by someone else after waiting ${waitMs} ms`);
  }
}

/**
 * A client sent one idempotency key with two different requests: replaying the first one's result
 * would answer a question that was not asked, so the second is refused without running.
 */
export class IdempotencyKeyReusedError extends Error {
  override readonly name = 'IdempotencyKeyReusedError';

  constructor(readonly key: string) {
    super(`the idempotency key "${key}" was already used for a different request`);
  }
}

/**
 * The first call with this key was still running when the wait ran out: its outcome is not known
 * yet, so the caller can only ask the client to retry later (running it again could do it twice).
 */
export class IdempotencyBusyError extends Error {
  override readonly name = 'IdempotencyBusyError';

  constructor(
    readonly key: string,
    readonly waitMs: number,
  ) {
    super(`the first request with the idempotency key "${key}" was still running after waiting ${waitMs} ms`);
  }
}

/**
 * Redis could not be reached or did not answer in time. Kept apart from the errors above so a caller
 * can answer "unavailable, retry" rather than blame the client; `cause` holds what ioredis said.
 */
export class StateUnavailableError extends Error {
  override readonly name = 'StateUnavailableError';
}
