import type { GateUserToken } from '../upstreams/gate/types.ts';
import { builder } from './builder.ts';
import { integerId } from './global-ids.ts';
import { nameInput } from './inputs.ts';
import { settleNodes } from './nodes.ts';
import { connectionDescription, countedListReader, resolveConnection } from './pagination.ts';
import { selectsPath } from './selection.ts';
import { UserRef } from './user.ts';

export const TokenRef = builder.objectRef<GateUserToken>('Token');

builder.node(TokenRef, {
  description: "A person's AAA account on gate (gate `/user_token/`): access level, sessions and its token.",
  id: { resolve: (token) => token.id },
  loadManyWithoutCache: (ids, context) =>
    settleNodes(ids, (id) => context.gate.tokenById.load({ key: integerId(id, 'Token'), detailed: false })),
  fields: (t) => ({
    gateId: t.exposeID('id', { description: "gate's own id of the user token." }),
    username: t.exposeString('username'),
    email: t.exposeString('email', { nullable: true }),
    organization: t.exposeString('organization', { nullable: true }),
    isActive: t.exposeBoolean('isActive', { nullable: true }),
    token: t.exposeString('token', { nullable: true, description: 'The AAA token gate issued for this account.' }),
    accessLevel: t.exposeString('accessLevel', { nullable: true }),
    maxSessions: t.exposeInt('maxSessions', { nullable: true }),
    createdAt: t.expose('createdAt', { type: 'DateTime', nullable: true }),
    updatedAt: t.expose('updatedAt', { type: 'DateTime', nullable: true }),
    lastLogin: t.expose('lastLogin', { type: 'DateTime', nullable: true }),
    user: t.field({
      type: UserRef,
      nullable: true,
      description: 'The person this account belongs to.',
      resolve: (token, _args, context) => context.gate.userByUsername.load(token.username),
    }),
  }),
});

builder.objectField(UserRef, 'token', (t) =>
  t.field({
    type: TokenRef,
    nullable: true,
    description: "The person's gate user token, or null when they have none.",
    // Read with the balance up front when the balance is selected below, saving a second read.
    resolve: (user, _args, context, info) =>
      context.gate.tokenByUsername.load({ key: user.username, detailed: selectsPath(info, ['balance']) }),
  }),
);

const TokenFilter = builder.inputType('TokenFilter', {
  description: 'Exact matches, as gate filters its user tokens.',
  fields: (t) => ({
    username: t.string({ description: 'Exactly this username.', validate: nameInput }),
    organization: t.string({ description: 'Exactly this organization.', validate: nameInput }),
  }),
});

builder.queryField('tokens', (t) =>
  t.connection(
    {
      type: TokenRef,
      nullable: true,
      description: `Every gate user token. ${connectionDescription}`,
      args: { filter: t.arg({ type: TokenFilter }) },
      resolve: (_root, { filter, ...args }, context, info) => {
        const read = {
          filter: { username: filter?.username ?? undefined, organization: filter?.organization ?? undefined },
          detailed: selectsPath(info, ['edges', 'node', 'balance']),
        };
        return resolveConnection(args, countedListReader((window) => context.gate.tokens.load({ ...read, window })));
      },
    },
    { name: 'TokenConnection' },
    { name: 'TokenEdge' },
  ),
);
