import { GraphQLError, type GraphQLResolveInfo } from 'graphql';

/** Bad input from the client: shown as is, with a stable code. */
export function badUserInput(message: string): GraphQLError {
  return new GraphQLError(message, { extensions: { code: 'BAD_USER_INPUT' } });
}

/** A field the client's scopes do not let it see: null, with this error on the field. */
export function forbiddenField(info: Pick<GraphQLResolveInfo, 'parentType' | 'fieldName'>): GraphQLError {
  return new GraphQLError(`This client may not see ${info.parentType.name}.${info.fieldName}.`, { extensions: { code: 'FORBIDDEN' } });
}

const QUOTED_LENGTH = 40;

/** A value the client sent, as a message may show it: quoted, and never more than 40 characters of it. */
export function quoted(value: string): string {
  const characters = [...value];
  return JSON.stringify(characters.length > QUOTED_LENGTH ? `${characters.slice(0, QUOTED_LENGTH).join('')}…` : value);
}
