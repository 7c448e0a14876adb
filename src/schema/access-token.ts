import { z } from 'zod';
import { acceptedThenRead } from '../provisioning/confirmed-writes.ts';
import { personLock, withLocks } from '../provisioning/locks.ts';
import { removals } from '../provisioning/removals.ts';
import { createShownAccessToken, type NewAccessToken } from '../provisioning/access-tokens.ts';
import type { EdgeAccessToken } from '../upstreams/edge/types.ts';
import { isAddressable } from '../upstreams/http.ts';
import { builder } from './builder.ts';
import { PART_OF_WRITE_ANSWER } from './read-scope.ts';
import type { GatewayContext } from './context.ts';
import { addEdgeAccountList, edgeUserKeyFields, edgeUserNamed, EdgeUserRef } from './edge-user.ts';
import { addressableId, compositeId, decodeGlobalId, splitCompositeId } from './global-ids.ts';
import { namedByOne, optional, usernameInput } from './inputs.ts';
import { checkedInput, mutationResult, NotFoundError, payloadType, performMutation, ValidationError, writeFailures } from './results.ts';
import { settleNodes } from './nodes.ts';

/** An access token with the edge account it lives under (its id is only unique there). */
export type AccessTokenShape = EdgeAccessToken & { userId: string };

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

/** The connection of access tokens: every list of `AccessToken`s pages as one. */
export const AccessTokenConnectionRef = addEdgeAccountList({
  field: 'accessTokens',
  node: AccessTokenRef,
  name: 'AccessToken',
  description: "edge access tokens, in edge's order.",
  list: (context) => context.edge.accessTokens,
  toNode: (userId, tokens, index) => ({ ...(tokens[index] as EdgeAccessToken), userId }),
});

// ---- mutations: edge `/users/{id}/tokens/` ----

const CreateAccessTokenInput = builder.inputType('CreateAccessTokenInput', {
  description: 'A new API access token for an edge user, named by `edgeId` or `username`.',
  fields: (t) => ({ ...edgeUserKeyFields(t), title: t.string({ required: true }) }),
});
const AccessTokenIdInput = (name: string) =>
  builder.inputType(name, { fields: (t) => ({ id: t.id({ required: true, description: 'The global id of the access token (`AccessToken.id`).' }) }) });
const RevokeAccessTokenInput = AccessTokenIdInput('RevokeAccessTokenInput');
const DeleteAccessTokenInput = AccessTokenIdInput('DeleteAccessTokenInput');

const newAccessToken = namedByOne(
  z.object({
    edgeId: optional(z.string().refine(isAddressable, 'must be an edge user id')),
    username: optional(usernameInput),
    title: z.string().min(1, 'must not be empty').max(100, 'must be at most 100 characters'),
  }),
  'edgeId',
  'username',
);

/** The account and token a global AccessToken id names; one this API did not make is a ValidationError. */
function accessTokenKey(id: string): { userId: string; tokenId: string } {
  try {
    const { typename, id: local } = decodeGlobalId(id);
    if (typename !== 'AccessToken') throw new Error('not an access token');
    const [userId = '', tokenId = ''] = splitCompositeId(local, 2, 'AccessToken').map((part) => addressableId(part, 'AccessToken'));
    return { userId, tokenId };
  } catch {
    throw new ValidationError([{ field: 'id', message: 'must be the id of an access token of this API' }]);
  }
}

/** For a caller bound to an organization: the token's account must belong to one of its people, or the token is not there. */
async function requireCallersAccount(context: GatewayContext, userId: string): Promise<void> {
  if (!context.writeScope.bound) return;
  const missing = 'edge has no such access token';
  const account = await context.clients.edge.getUser(userId);
  if (!account) throw new NotFoundError(missing);
  await context.writeScope.requirePerson({ username: account.username }, missing);
}

export const CreatedAccessTokenRef = builder.objectRef<NewAccessToken>('CreatedAccessToken').implement({
  description: 'A new access token, and its plaintext: shown this once, and never again.',
  // The payload of createAccessToken: the writer that made the token gets its plaintext, read scope or not.
  extensions: PART_OF_WRITE_ANSWER,
  fields: (t) => ({
    accessToken: t.field({ type: AccessTokenRef, resolve: ({ token }) => token }),
    plaintext: t.string({
      nullable: true,
      description: 'The token itself, to hand to its user now: edge never shows it again. Null when the answer that held it was lost, or on an idempotent replay.',
      resolve: ({ plaintext }) => plaintext,
    }),
  }),
});

const CreateAccessTokenResult = mutationResult('CreateAccessTokenResult', CreatedAccessTokenRef, [ValidationError, NotFoundError, ...writeFailures]);
const RevokeAccessTokenResult = mutationResult(
  'RevokeAccessTokenResult',
  payloadType<{ accessToken: AccessTokenShape }>('RevokeAccessTokenPayload', 'The access token as edge now has it: inactive.', (t) => ({
    accessToken: t.field({ type: AccessTokenRef, resolve: ({ accessToken }) => accessToken }),
  })),
  [ValidationError, NotFoundError, ...writeFailures],
);
const DeleteAccessTokenResult = mutationResult(
  'DeleteAccessTokenResult',
  payloadType<{ deletedAccessTokenId: string }>('DeleteAccessTokenPayload', 'The access token that was deleted.', (t) => ({
    deletedAccessTokenId: t.exposeID('deletedAccessTokenId'),
  })),
  [ValidationError, NotFoundError, ...writeFailures],
);

builder.mutationFields((t) => ({
  createAccessToken: t.field({
    type: CreateAccessTokenResult,
    description: 'Creates an API access token for an edge user; its plaintext is in the answer, the only time it can ever be read.',
    args: { input: t.arg({ type: CreateAccessTokenInput, required: true }) },
    resolve: (_root, { input }, context, info) =>
      performMutation(context, info, async (audit) => {
        const { title, ...key } = checkedInput(newAccessToken, input);
        const account = await edgeUserNamed(context, key);
        // Under the account's lock no other create through the gateway adds a token meanwhile: a
        // token of this title that is new since `before` is this request's own.
        const created = await withLocks(context.writes, [personLock(account.username)], async () => {
          const before = new Set((await context.clients.edge.listAccessTokens(account.id).all()).map((token) => token.id));
          return createShownAccessToken(context.clients, account.id, title, before, audit);
        });
        audit.created.push({ record: 'edge.accessToken', id: created.token.id });
        context.edge.wrote.accessToken(account.id, created.token.id, created.token);
        return created;
      }),
  }),
  revokeAccessToken: t.field({
    type: RevokeAccessTokenResult,
    description: 'Revokes an access token (PATCH active = false); edge answers 202, so it is read back.',
    args: { input: t.arg({ type: RevokeAccessTokenInput, required: true }) },
    resolve: (_root, { input }, context, info) =>
      performMutation(context, info, async (audit) => {
        const { userId, tokenId } = accessTokenKey(String(input.id));
        await requireCallersAccount(context, userId);
        const { edge } = context.clients;
        const token = await acceptedThenRead('edge', () => edge.setAccessTokenActive(userId, tokenId, false), {
          clients: context.clients,
          readBack: (recovery) => recovery.edge.getAccessToken(userId, tokenId),
          landed: (current) => current.active === false,
          gone: 'edge has no such access token any more',
          accepted: () => audit.changed.push({ record: 'edge.accessToken', id: tokenId }),
        });
        context.edge.wrote.accessToken(userId, tokenId, token);
        return { accessToken: { ...token, userId } };
      }),
  }),
  deleteAccessToken: t.field({
    type: DeleteAccessTokenResult,
    description: 'Deletes an access token.',
    args: { input: t.arg({ type: DeleteAccessTokenInput, required: true }) },
    resolve: (_root, { input }, context, info) =>
      performMutation(context, info, async (audit) => {
        const { userId, tokenId } = accessTokenKey(String(input.id));
        await requireCallersAccount(context, userId);
        if (!(await context.clients.edge.getAccessToken(userId, tokenId))) throw new NotFoundError('edge has no such access token');
        await removals(context.clients).edgeAccessToken(userId, tokenId);
        audit.removed.push({ record: 'edge.accessToken', id: tokenId });
        context.edge.wrote.accessToken(userId, tokenId, null);
        return { deletedAccessTokenId: String(input.id) };
      }),
  }),
}));
