import { getNamedType, isLeafType, isObjectType, isUnionType, type GraphQLObjectType, type GraphQLSchema } from 'graphql';

/**
 * A selection of every field of `type` and of every object it reaches, to the given depth (a union
 * through each of its members): what the gateway can possibly answer there.
 */
export function selectionOf(type: GraphQLObjectType, pageSize: number, depth: number, without: readonly string[] = []): string {
  const parts: string[] = [];
  for (const field of Object.values(type.getFields())) {
    if (without.includes(field.name) || field.args.some((arg) => arg.type.toString().endsWith('!'))) continue;
    const named = getNamedType(field.type);
    const args = field.args.some((arg) => arg.name === 'first') ? `(first: ${pageSize})` : '';
    if (isLeafType(named)) parts.push(field.name);
    else if (isObjectType(named) && depth > 0) parts.push(`${field.name}${args} { ${selectionOf(named, pageSize, depth - 1)} }`);
    else if (isUnionType(named) && depth > 0) {
      const members = named.getTypes().map((member) => `... on ${member.name} { ${selectionOf(member, pageSize, depth - 1)} }`);
      parts.push(`${field.name}${args} { __typename ${members.join(' ')} }`);
    }
  }
  return parts.join(' ');
}

/**
 * A query selecting every field of every object reachable from the root lists, to the given depth: for checks that hold over the whole API.
 * `roots.given` asks root fields with required arguments too (`{ organization: '(name: "acme")' }`); `roots.without` leaves root fields out.
 */
export function selectEverything(
  schema: GraphQLSchema,
  pageSize: number,
  depth: number,
  roots: { given?: Readonly<Record<string, string>>; without?: readonly string[] } = {},
): string {
  const query = schema.getQueryType()!;
  const parts = [selectionOf(query, pageSize, depth, roots.without)];
  for (const [name, args] of Object.entries(roots.given ?? {})) {
    const named = getNamedType(query.getFields()[name]!.type);
    if (isObjectType(named)) parts.push(`${name}${args} { ${selectionOf(named, pageSize, depth - 1)} }`);
  }
  return `{ ${parts.join(' ')} }`;
}
