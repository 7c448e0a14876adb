import { GraphQLError } from 'graphql';
import { maskError, type MaskError } from 'graphql-yoga';
import { UpstreamError } from '../upstreams/http.ts';

/**
 * Upstream failures become GraphQL errors with a stable `extensions.code` and the upstream's
 * name; anything unexpected is masked. Never a stack trace, a credential or an upstream body.
 */
export const maskGatewayError: MaskError = (error, message) => {
  const original = error instanceof GraphQLError ? error.originalError : error;
  if (original instanceof UpstreamError) {
    return new GraphQLError(original.message, {
      nodes: error instanceof GraphQLError ? error.nodes : undefined,
      path: error instanceof GraphQLError ? error.path : undefined,
      extensions: {
        code: original.code,
        upstream: original.upstream,
        ...(original.status ? { upstreamStatus: original.status } : {}),
      },
    });
  }
  return maskError(error, message, false);
};
