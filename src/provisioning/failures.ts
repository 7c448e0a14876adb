import {
  IdempotencyBusyError,
  IdempotencyKeyReusedError,
  IdempotencyKeysLostError,
  LockLostError,
  LockTimeoutError,
  StateUnavailableError,
} from '../state/index.ts';
import { UpstreamError, type UpstreamName } from '../upstreams/http.ts';

/**
 * The expected failures of a write, as values a client can branch on (each becomes a member of
 * its mutation's result union). Messages are the gateway's own: never an upstream body or a secret.
 */

export interface FieldProblem {
  /** The input field, as the client wrote it: `email`, `edge.memberships`. */
  field: string;
  message: string;
}

export class ValidationError extends Error {
  override readonly name = 'ValidationError';
  readonly fieldErrors: FieldProblem[];
  /**
   * Whether the same input is refused again whatever the upstreams come to hold: such a refusal is
   * kept under an idempotency key. One that depends on them (an organization gate has no member
   * of yet) is not: the key stays free for the input once it passes.
   */
  readonly lasting: boolean;
  constructor(fieldErrors: FieldProblem[], lasting = true) {
    super(`Invalid input: ${fieldErrors.map((problem) => `${problem.field} ${problem.message}`).join('; ')}`);
    this.fieldErrors = fieldErrors;
    this.lasting = lasting;
  }
}

export class NotFoundError extends Error {
  override readonly name = 'NotFoundError';
}

export class ConflictError extends Error {
  override readonly name = 'ConflictError';
}

/** The caller lacks a scope what it asked needs (`admin` for rights over a whole shared upstream): nothing was written. */
export class ForbiddenError extends Error {
  override readonly name = 'ForbiddenError';
  readonly requiredScope: string;
  readonly fields: string[];
  constructor(
    requiredScope: string,
    /** The input fields that need the scope, as the client wrote them; empty when the whole mutation does. */
    fields: string[],
    message: string,
  ) {
    super(message);
    this.requiredScope = requiredScope;
    this.fields = fields;
  }
}

/** An upstream (or Redis, which the gateway's locks and keys live on) refused or failed the write, and nothing was left behind by it. */
export class UpstreamFailure extends Error {
  override readonly name = 'UpstreamFailure';
  readonly upstream: UpstreamName | 'redis';
  readonly status: number | null;
  readonly retryable: boolean;
  constructor(
    upstream: UpstreamName | 'redis',
    message: string,
    status: number | null,
    /** Whether the same request may succeed later (no connection, a rate limit, 5xx); a 4xx won't. */
    retryable: boolean,
  ) {
    super(message);
    this.upstream = upstream;
    this.status = status;
    this.retryable = retryable;
  }
}

/** A write reached the upstream, its answer was lost, and reading back could not tell whether it landed. */
export class OutcomeUnknown extends Error {
  override readonly name = 'OutcomeUnknown';
  readonly upstream: UpstreamName;
  readonly mayStillLand: boolean;
  constructor(
    upstream: UpstreamName,
    message: string,
    /** No answer came at all: the write may still be on its way, so a read-back now proves nothing. */
    mayStillLand: boolean,
  ) {
    super(message);
    this.upstream = upstream;
    this.mayStillLand = mayStillLand;
  }
}

/**
 * Not started: what is left of the request's deadline is shorter than the write is expected to
 * take, and starting it could only leave it half done. Nothing was written.
 */
export class DeadlineTooShort extends Error {
  override readonly name = 'DeadlineTooShort';
  readonly neededMs: number;
  readonly remainingMs: number;
  constructor(
    neededMs: number,
    remainingMs: number,
  ) {
    super(
      `not started: about ${Math.ceil(neededMs)} ms are needed and ${Math.max(0, Math.floor(remainingMs))} ms are left of the request's deadline; nothing was written, send it again (in a request of its own)`,
    );
    this.neededMs = neededMs;
    this.remainingMs = remainingMs;
  }
}

/** A step of a provisioning failed; what it had done was undone, except the `leftovers`. */
export class ProvisioningFailed extends Error {
  override readonly name = 'ProvisioningFailed';
  readonly failedStep: string;
  readonly leftovers: string[];
  constructor(
    failedStep: string,
    leftovers: string[],
    message: string,
  ) {
    super(message);
    this.failedStep = failedStep;
    this.leftovers = leftovers;
  }
}

/** The idempotency key came with another input before: nothing was written. */
export class IdempotencyKeyReused extends Error {
  override readonly name = 'IdempotencyKeyReused';
}

/** The refusal of a key that is not this request's to use: the same whatever made it so. */
export const keyReused = () => new IdempotencyKeyReused('this idempotency key came with another input before; nothing was written');

/** The first request with this idempotency key is still running: its answer is not known yet. */
export class IdempotencyKeyBusy extends Error {
  override readonly name = 'IdempotencyKeyBusy';
}

/** Another change held the lock (on a balance, say) for longer than this one could wait: nothing was changed. */
export class LockTimeout extends Error {
  override readonly name = 'LockTimeout';
}

const NOT_ASKED_OR_NO_ANSWER = new Set(['UPSTREAM_UNREACHABLE', 'UPSTREAM_TIMEOUT', 'UPSTREAM_CIRCUIT_OPEN', 'UPSTREAM_OVERLOADED']);

const retryableStatus = (status: number) => status === 408 || status === 429 || status >= 500;

/** The typed failure an upstream or shared-state error stands for; anything else is left as it is (and masked). */
export function failureOf(error: unknown): unknown {
  if (error instanceof IdempotencyKeyReusedError) return keyReused();
  if (error instanceof IdempotencyBusyError) return new IdempotencyKeyBusy('the first request with this idempotency key is still running; ask again shortly for its answer');
  if (error instanceof LockTimeoutError) return new LockTimeout('another change of the same record held its lock too long; nothing was changed, try again');
  if (error instanceof LockLostError) return new LockTimeout('the lock on this record was lost before the write (Redis failed or restarted); nothing was changed, try again');
  if (error instanceof IdempotencyKeysLostError) return new UpstreamFailure('redis', `${error.message}; nothing was changed (the same write without an idempotency key is accepted)`, null, false);
  if (error instanceof StateUnavailableError) return new UpstreamFailure('redis', 'the Redis that holds the locks and idempotency keys did not answer; nothing was changed', null, true);
  if (!(error instanceof UpstreamError)) return error;
  if (error.answerLost) return new OutcomeUnknown(error.upstream, `${error.upstream} did not answer the write: it may or may not have landed`, true);
  switch (error.code) {
    case 'UPSTREAM_NOT_FOUND':
      return new NotFoundError(`${error.upstream} has no such record`);
    case 'UPSTREAM_CONFLICT':
      return new ConflictError(`${error.upstream} refused the write: it conflicts with the record's current state`);
    default: {
      const status = error.status ?? null;
      // No answer (none, none in time, or not asked: breaker open, bulkhead full): the same write may pass later.
      const retryable = status === null ? NOT_ASKED_OR_NO_ANSWER.has(error.code) : retryableStatus(status);
      return new UpstreamFailure(error.upstream, error.message, status, retryable);
    }
  }
}
