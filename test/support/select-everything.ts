import { getNamedType, isLeafType, isObjectType, type GraphQLObjectType, type GraphQLSchema } from 'graphql';

/**
 * A query selecting every field of every object reachable from the root lists, to the given
 * depth: what the gateway can possibly answer, for checks that hold over the whole API.
 */
export function selectEverything(schema: GraphQLSchema, pageSize: number, depth: number): string {
  const selectionOf = (type: GraphQLObjectType, remaining: number): string => {
    const parts: string[] = [];
    for (const field of Object.values(type.getFields())) {
      if (field.args.some((arg) => arg.type.toString().endsWith('!'))) continue;
      const named = getNamedType(field.type);
      const args = field.args.some((arg) => arg.name === 'first') ? `(first: ${pageSize})` : '';
      if (isLeafType(named)) parts.push(field.name);
      else if (isObjectType(named) && remaining > 0) parts.push(`${field.name}${args} { ${selectionOf(named, remaining - 1)} }`);
    }
    return parts.join(' ');
  };
  const query = schema.getQueryType()!;
  return `{ ${selectionOf(query, depth)} }`;
}
