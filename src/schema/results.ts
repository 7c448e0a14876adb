import type { FieldMap, ObjectRef } from '@pothos/core';
import type { GraphQLResolveInfo } from 'graphql';
import type { z } from 'zod';
import { AuditTrail } from '../provisioning/audit.ts';
import {
  ConflictError,
  DeadlineTooShort,
  failureOf,
  ForbiddenError,
  IdempotencyKeyBusy,
  IdempotencyKeyReused,
  LockTimeout,
  NotFoundError,
  OutcomeUnknown,
  ProvisioningFailed,
  UpstreamFailure,
  ValidationError,
  type FieldProblem,
} from '../provisioning/failures.ts';
import { builder, type GatewaySchemaTypes } from './builder.ts';
import type { GatewayContext } from './context.ts';
import { reportMutation } from './mutation-report.ts';
import { PART_OF_WRITE_ANSWER } from './read-scope.ts';

/** Every expected failure of a mutation: a member of its result union, queried with `... on Error { message }`. */
export const ErrorInterface = builder.interfaceRef<Error>('Error').implement({
  description: 'An expected failure of a mutation; its typename says which, its message what happened.',
  extensions: PART_OF_WRITE_ANSWER,
  fields: (t) => ({ message: t.exposeString('message') }),
});

const FieldErrorRef = builder.objectRef<FieldProblem>('FieldError').implement({
  description: 'One input field that was refused.',
  extensions: PART_OF_WRITE_ANSWER,
  fields: (t) => ({
    field: t.exposeString('field', { description: 'The input field, as written in the input: `email`, `edge.memberships`.' }),
    message: t.exposeString('message'),
  }),
});

builder.objectType(ValidationError, {
  name: 'ValidationError',
  description: 'The input was refused before any upstream was asked; each refused field is named.',
  interfaces: [ErrorInterface],
  fields: (t) => ({ fieldErrors: t.field({ type: [FieldErrorRef], resolve: (error) => error.fieldErrors }) }),
});

builder.objectType(NotFoundError, {
  name: 'NotFoundError',
  description: 'A record the mutation needs does not exist.',
  interfaces: [ErrorInterface],
});

builder.objectType(ConflictError, {
  name: 'ConflictError',
  description: 'The write conflicts with what exists: a taken username, a record already there, active sessions.',
  interfaces: [ErrorInterface],
});

builder.objectType(ForbiddenError, {
  name: 'ForbiddenError',
  description: 'The client lacks a scope this write needs; nothing was written.',
  interfaces: [ErrorInterface],
  fields: (t) => ({
    requiredScope: t.exposeString('requiredScope', { description: 'The scope that would allow it: `admin`, say.' }),
    fields: t.exposeStringList('fields', { description: 'The input fields that need it, as written in the input (`changes.isSuperuser`); empty when the whole mutation does.' }),
  }),
});

builder.objectType(UpstreamFailure, {
  name: 'UpstreamFailure',
  description: 'An upstream refused or failed the write, which did not land.',
  interfaces: [ErrorInterface],
  fields: (t) => ({
    upstream: t.exposeString('upstream'),
    status: t.exposeInt('status', { nullable: true, description: "The upstream's HTTP status; null when no answer came." }),
    retryable: t.exposeBoolean('retryable', { description: 'Whether the same request may succeed later.' }),
  }),
});

builder.objectType(OutcomeUnknown, {
  name: 'OutcomeUnknown',
  description: 'A write reached the upstream but its answer was lost, and reading back could not tell whether it landed.',
  interfaces: [ErrorInterface],
  fields: (t) => ({ upstream: t.exposeString('upstream') }),
});

builder.objectType(IdempotencyKeyReused, {
  name: 'IdempotencyKeyReused',
  description: 'This idempotency key came with another input before: nothing was written.',
  interfaces: [ErrorInterface],
});

builder.objectType(IdempotencyKeyBusy, {
  name: 'IdempotencyKeyBusy',
  description: 'A request with this idempotency key is still running; ask again a little later for its answer.',
  interfaces: [ErrorInterface],
});

builder.objectType(ProvisioningFailed, {
  name: 'ProvisioningFailed',
  description: 'A step failed; the steps done before it were undone, except the leftovers.',
  interfaces: [ErrorInterface],
  fields: (t) => ({
    failedStep: t.exposeString('failedStep', { description: 'The record the failed step was about: `gate.userToken`, `edge.user`, ….' }),
    leftovers: t.exposeStringList('leftovers', { description: 'What could not be undone and remains upstream; empty when nothing does.' }),
  }),
});

builder.objectType(DeadlineTooShort, {
  name: 'DeadlineTooShort',
  description:
    "Not started: what is left of the request's deadline is shorter than the write is expected to take (from the upstreams' recent latency), and starting it could leave it half done. Nothing was written; send it again, in a request of its own.",
  interfaces: [ErrorInterface],
  fields: (t) => ({
    neededMs: t.int({ description: 'About how long the write is expected to take, in ms.', resolve: (error) => Math.ceil(error.neededMs) }),
    remainingMs: t.int({ description: "What was left of the request's deadline, in ms.", resolve: (error) => Math.max(0, Math.floor(error.remainingMs)) }),
  }),
});

builder.objectType(LockTimeout, {
  name: 'LockTimeout',
  description: "Another change of the same balance held its lock too long: nothing was changed; try again.",
  interfaces: [ErrorInterface],
});

/** The failures every write can meet once it asks an upstream. */
export const writeFailures = [UpstreamFailure, OutcomeUnknown] as const;
export { ConflictError, DeadlineTooShort, ForbiddenError, IdempotencyKeyBusy, IdempotencyKeyReused, LockTimeout, NotFoundError, ProvisioningFailed, ValidationError };

/** An input checked with zod: a refused one is a `ValidationError` naming each field, and nothing is sent upstream. */
export function checkedInput<S extends z.ZodType>(schema: S, input: unknown): z.output<S> {
  const result = schema.safeParse(input);
  if (result.success) return result.data;
  throw new ValidationError(result.error.issues.map((issue) => ({ field: issue.path.join('.') || 'input', message: issue.message })));
}

/**
 * Runs one mutation field: upstream errors become its typed failures, one audit line says who did
 * what to which records and how it ended, and the request notes how the field was answered (a
 * failure, a replay: see `useIdempotentReplay` and the request summary).
 */
export async function performMutation<T>(context: GatewayContext, info: GraphQLResolveInfo, work: (audit: AuditTrail) => Promise<T>): Promise<T> {
  const audit = new AuditTrail(info.fieldName);
  const report = (outcome: string) => reportMutation(context, info, audit, outcome);
  try {
    const value = await work(audit);
    report('ok');
    return value;
  } catch (error) {
    const failure = failureOf(error);
    report(failure instanceof Error ? failure.name : 'error');
    throw failure;
  }
}

/** A mutation's payload: an object type holding the records it changed, each exposed as is. */
export function payloadType<Shape extends object>(
  name: string,
  description: string,
  fields: (t: PothosSchemaTypes.ObjectFieldBuilder<GatewaySchemaTypes, Shape>) => FieldMap,
) {
  return builder.objectRef<Shape>(name).implement({ description, fields, extensions: PART_OF_WRITE_ANSWER });
}

type FailureClass = new (...args: never[]) => Error;

/**
 * A mutation's result: a union of its payload and the failures it can give. Thrown or returned,
 * a listed failure answers as its member; anything else stays a (masked) GraphQL error. Every
 * union also holds `ForbiddenError`, for a caller whose scopes do not allow the mutation (the
 * builder's `errors.defaultTypes`).
 */
export function mutationResult<Shape extends object>(name: string, payload: ObjectRef<GatewaySchemaTypes, Shape>, failures: readonly FailureClass[]) {
  const payloadName = payload.name;
  return builder.errorUnion(name, { types: [payload, ...failures], resolveType: () => payloadName });
}
