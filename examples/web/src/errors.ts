import { RequestRefused, type GraphQLError } from './client.ts';

/** Why a request got no answer, for people: the code is what a program would branch on. */
export function describeError(error: unknown): string {
  if (error instanceof RequestRefused) {
    if (error.code === 'UNAUTHENTICATED') return 'The gateway does not know this API key.';
    if (error.code === 'RATE_LIMITED' || error.code === 'OVERLOADED') return `The gateway is busy (${error.code}): try again in a moment.`;
    return `The gateway refused the request: ${error.message}`;
  }
  return `The gateway could not be reached: ${error instanceof Error ? error.message : String(error)}`;
}

/**
 * The code of the error that nulled the field at `path`, if one did: a field can be null because
 * there is nothing (no balance), or because its upstream failed (the rest of the answer stands).
 */
export function fieldFailure(errors: readonly GraphQLError[], ...path: (string | number)[]): string | undefined {
  const error = errors.find((candidate) => path.every((key, index) => candidate.path?.[index] === key));
  return error ? (error.extensions?.code ?? 'ERROR') : undefined;
}

export function isAbort(error: unknown): boolean {
  return error instanceof DOMException && error.name === 'AbortError';
}
