// Hive Gateway config (bench/peers.ts serves the supergraph composed from mesh.config.mjs with it).
// edge's joins need code: its search answers a bare array of fuzzy matches, which `@resolveTo`'s
// `result` path cannot index into, and the count of a login history is no field of any answer.
// These resolvers call edge through the gateway's in-context SDK (the subgraph's own operations,
// so the calls go through the gateway's REST transport, as `@resolveTo` calls do).
import { defineConfig } from '@graphql-hive/gateway';

/** Asked of edge for every list: it serves up to 100 items a page. */
const EDGE_LARGEST_PAGE = 100;

/** One edge search per person and request: edgeAccount and loginHistory both need it. */
const searchesByRequest = new WeakMap();

function exactEdgeAccount(root, context, info) {
  let searches = searchesByRequest.get(context);
  if (!searches) searchesByRequest.set(context, (searches = new Map()));
  let search = searches.get(root.username);
  if (!search) {
    // Only the first page (the largest edge serves): the transport does not follow `Link` headers.
    search = Promise.resolve(
      context.edge.Query.edgeUsers({ root, context, info, args: { username: root.username, pageSize: EDGE_LARGEST_PAGE }, selectionSet: '{ id username }' }),
    ).then((candidates) => candidates?.find((user) => user.username === root.username) ?? null);
    searches.set(root.username, search);
  }
  return search;
}

export const gatewayConfig = defineConfig({
  logging: 'error',
  additionalTypeDefs: /* GraphQL */ `
    type LoginHistoryCount {
      totalCount: Int
    }
    extend type GateUser {
      edgeAccount: EdgeUser
      loginHistory(first: Int): LoginHistoryCount
    }
  `,
  additionalResolvers: {
    GateUser: {
      edgeAccount: {
        selectionSet: '{ username }',
        resolve: (root, _args, context, info) => exactEdgeAccount(root, context, info),
      },
      loginHistory: {
        selectionSet: '{ username }',
        resolve: async (root, _args, context, info) => {
          const account = await exactEdgeAccount(root, context, info);
          if (!account) return { totalCount: 0 };
          // The length of the first page: the count across pages would need the `Link` header.
          const history = await context.edge.Query.edgeLoginHistory({ root, context, info, args: { id: account.id, pageSize: EDGE_LARGEST_PAGE }, selectionSet: '{ id }' });
          return { totalCount: history?.length ?? 0 };
        },
      },
    },
  },
});
