import type { EdgeAccessToken } from '../upstreams/edge/types.ts';
import { builder } from './builder.ts';
import { addEdgeAccountList, EdgeUserRef } from './edge-user.ts';
import { addressableId, compositeId, splitCompositeId } from './global-ids.ts';
import { settleNodes } from './nodes.ts';

/** An access token with the edge account it lives under (its id is only unique there). */
type AccessTokenShape = EdgeAccessToken & { userId: string };

export const AccessTokenRef = builder.objectRef<AccessTokenShape>('AccessToken');

builder.node(AccessTokenRef, {
  description: 'An edge API access token. Its secret is shown once, when created, and never by this API.',
  id: { resolve: (token) => compositeId(token.userId, token.id) },
  loadManyWithoutCache: (ids, context) =>
    settleNodes(ids, async (id) => {
      const [userId = '', tokenId = ''] = splitCompositeId(id, 2, 'AccessToken').map((part) => addressableId(part, 'AccessToken'));
      const token = await context.edge.accessTokenById.load({ userId, tokenId });
      return token && { ...token, userId };
    }),
  fields: (t) => ({
    edgeId: t.exposeID('id', { description: "edge's own id of the token." }),
    title: t.exposeString('title', { nullable: true }),
    active: t.exposeBoolean('active', { nullable: true }),
    createdAt: t.expose('createdAt', { type: 'DateTime', nullable: true }),
    updatedAt: t.expose('updatedAt', { type: 'DateTime', nullable: true }),
    lastUsedAt: t.expose('lastUsedAt', { type: 'DateTime', nullable: true }),
    expiresAt: t.expose('expiresAt', { type: 'DateTime', nullable: true }),
    owner: t.field({
      type: EdgeUserRef,
      nullable: true,
      description: 'The edge account the token belongs to.',
      resolve: (token, _args, context) => context.edge.userById.load(token.userId),
    }),
  }),
});

addEdgeAccountList({
  field: 'accessTokens',
  node: AccessTokenRef,
  name: 'AccessToken',
  description: "edge access tokens, in edge's order.",
  list: (context) => context.edge.accessTokens,
  toNode: (userId, tokens, index) => ({ ...(tokens[index] as EdgeAccessToken), userId }),
});
