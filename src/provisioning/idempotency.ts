import { createHmac } from 'node:crypto';
import type { SharedState } from '../state/index.ts';
import { UpstreamError } from '../upstreams/http.ts';
import type { AuditTrail } from './audit.ts';
import { ConflictError, NotFoundError, OutcomeUnknown, ProvisioningFailed, ValidationError } from './failures.ts';

/** Where keys are kept, what keys their fingerprints, and how long a repeat waits for the first. */
export interface IdempotencyServices {
  state: SharedState;
  idempotencySecret: string;
  lockWaitMs: number;
}

/** Idempotency keys live this long. */
export const IDEMPOTENCY_TTL_MS = 24 * 60 * 60 * 1000;

/** JSON with its keys sorted, so that equal inputs give equal text whatever their key order. */
function canonical(value: unknown): string {
  return JSON.stringify(value, (_key, field: unknown) =>
    field !== null && typeof field === 'object' && !Array.isArray(field)
      ? Object.fromEntries(Object.entries(field).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)))
      : field,
  );
}

/**
 * What tells one request from another under the same key. Keyed with a secret the gateway's
 * replicas share, so that what is stored (in Redis, say) reveals nothing of the input: it may hold
 * a password.
 */
export function fingerprint(secret: string, input: unknown): string {
  return createHmac('sha256', secret).update(canonical(input)).digest('base64url');
}

// A stored result is JSON: dates, the error of a value an upstream sent that could not be served,
// and final refusals travel as tagged objects and come back as what they were.
const tags = { date: '$date', fault: '$fault', refusal: '$refusal', unknown: '$unknown', failed: '$failed' } as const;

const refusals = { ConflictError, NotFoundError, ValidationError } as const;
type Refusal = InstanceType<(typeof refusals)[keyof typeof refusals]>;

function isRefusal(error: unknown): error is Refusal {
  return error instanceof ConflictError || error instanceof NotFoundError || error instanceof ValidationError;
}

function store(value: unknown): string {
  return JSON.stringify(value, function (this: Record<string, unknown>, key, field: unknown) {
    const original = this[key];
    if (original instanceof Date) return { [tags.date]: original.getTime() };
    if (original instanceof UpstreamError) return { [tags.fault]: { upstream: original.upstream, code: original.code, message: original.message } };
    if (isRefusal(original)) {
      return { [tags.refusal]: { name: original.name, message: original.message, fieldErrors: original instanceof ValidationError ? original.fieldErrors : undefined } };
    }
    if (original instanceof OutcomeUnknown) return { [tags.unknown]: { upstream: original.upstream, message: original.message, mayStillLand: original.mayStillLand } };
    if (original instanceof ProvisioningFailed) return { [tags.failed]: { failedStep: original.failedStep, leftovers: original.leftovers, message: original.message } };
    return field;
  });
}

function revive(text: string): unknown {
  return JSON.parse(text, (_key, field: unknown) => {
    if (field === null || typeof field !== 'object') return field;
    const tagged = field as Record<string, any>;
    if (tags.date in tagged) return new Date(tagged[tags.date]);
    if (tags.fault in tagged) return new UpstreamError(tagged[tags.fault].upstream, tagged[tags.fault].code, tagged[tags.fault].message);
    if (tags.refusal in tagged) {
      const { name, message, fieldErrors } = tagged[tags.refusal];
      return name === 'ValidationError' ? new ValidationError(fieldErrors) : new refusals[name as 'ConflictError' | 'NotFoundError'](message);
    }
    if (tags.unknown in tagged) return new OutcomeUnknown(tagged[tags.unknown].upstream, tagged[tags.unknown].message, tagged[tags.unknown].mayStillLand);
    if (tags.failed in tagged) return new ProvisioningFailed(tagged[tags.failed].failedStep, tagged[tags.failed].leftovers, tagged[tags.failed].message);
    return field;
  });
}

/** An outcome unknown that carries what settles it later: the key stays bound to that attempt. */
export interface Unsettled {
  attempt: unknown;
}

function unsettledAttempt(error: unknown): unknown {
  return (error instanceof OutcomeUnknown || error instanceof ProvisioningFailed) && 'attempt' in error ? (error as Error & Unsettled).attempt : undefined;
}

/** What a settled attempt answers: its value, and whether it is the earlier attempt's (nothing written now). */
export interface SettledValue<T> {
  value: T;
  replayed: boolean;
}

/**
 * Runs `work` once per key (`scope` keeps mutations' keys apart, `caller` clients' keys: one
 * client's answer is never served to another): the same key with the same input
 * answers the first result without running again, also while the first is still running (in this
 * process or another sharing Redis); another input under the key is `IdempotencyKeyReusedError`.
 * Kept are answers and final refusals (a conflict, a missing record, a refused value, unless
 * it is not `lasting`); a failure
 * after which nothing is left upstream (an upstream down, a step undone) releases the key, so a
 * retry runs again. An outcome that is not known (`OutcomeUnknown` carrying its `attempt`) keeps
 * the key bound to that attempt: the next call with the key runs `settle` on it, which answers
 * the attempt's outcome or, once it is known not to have landed, runs the work then, once.
 * `forStorage` drops what must never be stored (a token's plaintext).
 */
export async function once<T>(
  services: IdempotencyServices,
  options: {
    scope: string;
    caller: string;
    key: string;
    input: unknown;
    work: () => Promise<T>;
    settle: (attempt: unknown) => Promise<SettledValue<T>>;
    forStorage: (value: T) => T;
    audit: AuditTrail;
  },
): Promise<T> {
  const { scope, key, work, settle, forStorage } = options;
  const { state } = services;
  let fresh: T | undefined;
  const outcomeOf = async (run: () => Promise<SettledValue<T>>) => {
    try {
      const settled = await run();
      fresh = settled.value;
      return { result: store({ value: forStorage(settled.value) }), keep: true, replayed: settled.replayed };
    } catch (error) {
      if (isRefusal(error) && !(error instanceof ValidationError && !error.lasting)) return { result: store({ refusal: error }), keep: true };
      const attempt = unsettledAttempt(error);
      if (attempt !== undefined) return { result: store({ refusal: error }), unsettled: attempt };
      throw error;
    }
  };
  const { result, replayed } = await state.remember<string>(
    `${scope}:${encodeURIComponent(options.caller)}:${key}`,
    fingerprint(services.idempotencySecret, { scope, input: options.input }),
    { ttlMs: IDEMPOTENCY_TTL_MS, waitMs: services.lockWaitMs },
    () => outcomeOf(async () => ({ value: await work(), replayed: false })),
    (attempt) => outcomeOf(() => settle(attempt)),
  );
  const stored = revive(result) as { value?: T; refusal?: Error };
  options.audit.replayed = replayed;
  if (stored.refusal) throw stored.refusal;
  // The first caller gets its own value, secrets included; replays get what was stored.
  return replayed || fresh === undefined ? (stored.value as T) : fresh;
}
