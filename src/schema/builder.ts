import SchemaBuilder from '@pothos/core';
import RelayPlugin from '@pothos/plugin-relay';
import { DateTimeResolver, JSONResolver } from 'graphql-scalars';
import { isObjectType, type GraphQLResolveInfo } from 'graphql';
import type { GatewayContext } from '../server/context.ts';
import { badUserInput } from './errors.ts';

/** A global id must name a type of this schema that implements Node. */
function assertNodeType(typename: string, info: GraphQLResolveInfo): void {
  const type = info.schema.getType(typename);
  if (!isObjectType(type) || !type.getInterfaces().some((implemented) => implemented.name === 'Node')) {
    throw badUserInput(`A global ID of this API names a Node type; ${typename} is none.`);
  }
}

export const builder = new SchemaBuilder<{
  Context: GatewayContext;
  Scalars: {
    ID: { Input: string; Output: string | number };
    DateTime: { Input: Date; Output: Date | string };
    JSON: { Input: unknown; Output: unknown };
  };
  Connection: { totalCount: () => Promise<number> };
  DefaultFieldNullability: false;
  DefaultEdgesNullability: false;
  DefaultNodeNullability: false;
}>({
  plugins: [RelayPlugin],
  // A field is non-null unless it says otherwise: what an upstream may lack is marked nullable.
  defaultFieldNullability: false,
  relay: {
    clientMutationId: 'omit',
    cursorType: 'String',
    edgesFieldOptions: { nullable: false },
    nodeFieldOptions: { nullable: false },
    // Local ids may hold any character (usernames, composite keys): split on the first colon only.
    encodeGlobalID: (typename, id) => Buffer.from(`${typename}:${id}`).toString('base64url'),
    nodeQueryOptions: {
      resolve: (_root, { id }, _context, info, resolveNode) => {
        assertNodeType(id.typename, info);
        return resolveNode(id);
      },
    },
    nodesQueryOptions: {
      resolve: (_root, { ids }, _context, info, resolveNodes) => {
        for (const id of ids) assertNodeType(id.typename, info);
        return resolveNodes(ids);
      },
    },
    decodeGlobalID: (globalID) => {
      const decoded = Buffer.from(globalID, 'base64url').toString();
      const colon = decoded.indexOf(':');
      if (colon <= 0 || colon === decoded.length - 1) throw badUserInput(`Invalid global ID: ${globalID}`);
      return { typename: decoded.slice(0, colon), id: decoded.slice(colon + 1) };
    },
  },
});

builder.addScalarType('DateTime', DateTimeResolver);
builder.addScalarType('JSON', JSONResolver);

builder.queryType({});

builder.globalConnectionField('totalCount', (t) =>
  t.int({
    description: 'How many items the whole list holds, across all pages.',
    resolve: (connection) => connection.totalCount(),
  }),
);
