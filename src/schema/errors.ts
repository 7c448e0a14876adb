import { GraphQLError } from 'graphql';

/** Bad input from the client: shown as is, with a stable code. */
export function badUserInput(message: string): GraphQLError {
  return new GraphQLError(message, { extensions: { code: 'BAD_USER_INPUT' } });
}

const QUOTED_LENGTH = 40;

/** A value the client sent, as a message may show it: quoted, and never more than 40 characters of it. */
export function quoted(value: string): string {
  const characters = [...value];
  return JSON.stringify(characters.length > QUOTED_LENGTH ? `${characters.slice(0, QUOTED_LENGTH).join('')}…` : value);
}
