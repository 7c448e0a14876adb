import { GraphQLError } from 'graphql';
import { maskError, type MaskError } from 'graphql-yoga';
import { UpstreamError } from '../upstreams/http.ts';

/**
 * graphql-js's refusal of a variable's value (`Variable "$first" got invalid value …`): the
 * client's input, found before anything runs (no path; at most a GraphQL error as its cause).
 */
function isVariableRefusal(error: GraphQLError): boolean {
  return (
    error.extensions['code'] === undefined &&
    error.path === undefined &&
    (error.originalError === undefined || error.originalError instanceof GraphQLError) &&
    /^Variable "\$/.test(error.message)
  );
}

/**
 * What the gateway answers with a code of its own (an upstream's failure, a variable refused):
 * answers, told by the upstream log and the request log, not faults of the gateway to log again.
 */
export function isCodedFailure(error: unknown): boolean {
  const original = error instanceof GraphQLError ? error.originalError : error;
  return original instanceof UpstreamError || (error instanceof GraphQLError && isVariableRefusal(error));
}

/** What an unexpected error (a fault of the gateway) says to the client: nothing more. */
export const UNEXPECTED_ERROR_MESSAGE = 'Unexpected error.';

/**
 * Upstream failures become GraphQL errors with a stable `extensions.code` and the upstream's
 * name (with its HTTP status, and `retryAfter` in seconds when it said when to ask again); a
 * variable whose value graphql-js refuses is `BAD_USER_INPUT`; anything unexpected is masked.
 * Never a stack trace, a credential or an upstream body: an upstream error's message is the
 * gateway's own. (`extensions.requestId` is added to every error by `useRequestId`.)
 */
export const maskGatewayError: MaskError = (error, message) => {
  const original = error instanceof GraphQLError ? error.originalError : error;
  if (original instanceof UpstreamError) {
    const at = error instanceof GraphQLError ? error : undefined;
    return new GraphQLError(original.message, {
      nodes: at?.nodes,
      source: at?.source,
      positions: at?.positions,
      path: at?.path,
      extensions: {
        code: original.code,
        upstream: original.upstream,
        ...(original.status ? { upstreamStatus: original.status } : {}),
        ...(original.retryAfterSeconds !== undefined ? { retryAfter: original.retryAfterSeconds } : {}),
      },
    });
  }
  if (error instanceof GraphQLError && isVariableRefusal(error)) {
    return new GraphQLError(error.message, {
      nodes: error.nodes,
      source: error.source,
      positions: error.positions,
      originalError: error.originalError,
      // A request error: 400, whichever executor found it (graphql-jit does not say).
      extensions: { ...error.extensions, code: 'BAD_USER_INPUT', http: { status: 400 } },
    });
  }
  return maskError(error, message, false);
};
