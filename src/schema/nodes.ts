import { resolveNodes } from '@pothos/plugin-relay';
import { settleEach } from '../upstreams/batching.ts';
import { builder } from './builder.ts';
import { badUserInput } from './errors.ts';
import { assertNodeType, decodeGlobalId } from './global-ids.ts';

/** The most ids one `nodes(ids:)` takes: each may cost an upstream call. */
export const MAX_NODE_IDS = 100;

/**
 * Loads nodes one key at a time through the request's loaders (which batch and cache): values
 * come back resolved, as the relay plugin needs to tell their type. A failed key answers its
 * Error, which graphql-js raises on that node alone. (Not a rejected promise: one would wait
 * unhandled while nodes of other types load, and Node.js counts that an unhandled rejection.)
 */
export async function settleNodes<K, V>(keys: readonly K[], loadOne: (key: K) => Promise<V | null>): Promise<(V | null)[]> {
  return (await settleEach(keys, async (key) => loadOne(key))) as (V | null)[];
}

builder.queryField('nodes', (t) =>
  t.field({
    type: [builder.nodeInterfaceRef()],
    nullable: { list: false, items: true },
    description: `The nodes with these global ids, in order; at most ${MAX_NODE_IDS}. An id this API did not make fails its own item only.`,
    args: { ids: t.arg.idList({ required: true }) },
    resolve: async (_root, { ids }, context, info) => {
      if (ids.length > MAX_NODE_IDS) throw badUserInput(`\`ids\` may hold at most ${MAX_NODE_IDS} ids (got ${ids.length}).`);
      const decoded = ids.map((id) => {
        try {
          const globalId = decodeGlobalId(String(id));
          assertNodeType(globalId.typename, info);
          return globalId;
        } catch (error) {
          return error as Error;
        }
      });
      const nodes = await resolveNodes(builder, context, info, decoded.map((id) => (id instanceof Error ? null : id)));
      // graphql-js raises an Error item as that item's error.
      return decoded.map((id, index) => (id instanceof Error ? id : nodes[index])) as never;
    },
  }),
);
