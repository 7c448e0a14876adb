import { GraphQLError } from 'graphql';

/** Bad input from the client: shown as is, with a stable code. */
export function badUserInput(message: string): GraphQLError {
  return new GraphQLError(message, { extensions: { code: 'BAD_USER_INPUT' } });
}
