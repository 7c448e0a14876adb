import { z } from 'zod';
import { confirmedCreate, confirmedWrite, shows } from '../provisioning/confirmed-writes.ts';
import { personLock, renameLocks, withLocks } from '../provisioning/locks.ts';
import { removals } from '../provisioning/removals.ts';
import type { GateUserToken } from '../upstreams/gate/types.ts';
import { builder, type GatewaySchemaTypes } from './builder.ts';
import { IDENTIFIES_RECORD } from './read-scope.ts';
import type { GatewayContext } from './context.ts';
import { encodeGlobalId, integerId } from './global-ids.ts';
import { countInput, emailInput, nameInput, namedByOne, newUsernameInput, notEmpty, optional, requiredNameInput, secondsInput, usernameInput } from './inputs.ts';
import { checkedInput, ConflictError, mutationResult, NotFoundError, payloadType, performMutation, ValidationError, writeFailures } from './results.ts';
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
    username: t.exposeString('username', { extensions: IDENTIFIES_RECORD }),
    email: t.exposeString('email', { nullable: true }),
    organization: t.exposeString('organization', { nullable: true }),
    isActive: t.exposeBoolean('isActive', { nullable: true }),
    token: t.exposeString('token', {
      nullable: true,
      description: 'The AAA token gate issued for this account: a secret, shown only to clients with the tokens:secret scope.',
      authScopes: { tokensSecret: true },
    }),
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

// ---- mutations: gate `/user_token/` ----

const tokenChanges = {
  email: optional(emailInput),
  organization: optional(requiredNameInput),
  isActive: optional(z.boolean()),
  maxSessions: optional(countInput),
  accessLevel: optional(nameInput),
};

const newToken = z.object({
  ...tokenChanges,
  username: newUsernameInput,
  email: emailInput,
  organization: requiredNameInput,
  initialBalanceSeconds: optional(secondsInput),
});

/** A user token is named by gate's id or by its username. */
const tokenKey = { gateId: optional(z.string().regex(/^\d{1,15}$/, 'must be a gate user token id')), username: optional(usernameInput) };
const updateToken = namedByOne(z.object({ ...tokenKey, changes: notEmpty(z.object({ ...tokenChanges, username: optional(newUsernameInput) })) }), 'gateId', 'username');
const deleteToken = namedByOne(z.object(tokenKey), 'gateId', 'username');

/** The token a key names, as gate has it now. */
async function tokenNamed(context: GatewayContext, key: { gateId?: string; username?: string }): Promise<GateUserToken> {
  const { gate } = context.clients;
  const token = key.gateId !== undefined ? await gate.getToken(key.gateId, false) : await gate.findTokenByUsername(key.username as string, false);
  return context.writeScope.found(token, 'gate has no such user token');
}

const tokenKeyFields = (t: PothosSchemaTypes.InputFieldBuilder<GatewaySchemaTypes, 'InputObject'>) => ({
  gateId: t.id({ description: "gate's id of the user token (`Token.gateId`); or give `username`." }),
  username: t.string({ description: 'The username of the user token; or give `gateId`.' }),
});

const CreateTokenInput = builder.inputType('CreateTokenInput', {
  description: "A person's new AAA account on gate, with its initial time balance.",
  fields: (t) => ({
    username: t.string({ required: true }),
    email: t.string({ required: true }),
    organization: t.string({ required: true }),
    isActive: t.boolean(),
    initialBalanceSeconds: t.int({ description: 'The balance it starts with, in seconds (sent as `initial_balance_seconds`).' }),
    maxSessions: t.int(),
    accessLevel: t.string(),
  }),
});

const TokenChangesInput = builder.inputType('TokenChangesInput', {
  description: 'The fields to change; those left out (or null) stay as they are. The balance changes with `setBalance` and `addBalance`.',
  fields: (t) => ({
    username: t.string(),
    email: t.string(),
    organization: t.string(),
    isActive: t.boolean(),
    maxSessions: t.int(),
    accessLevel: t.string(),
  }),
});

const UpdateTokenInput = builder.inputType('UpdateTokenInput', {
  fields: (t) => ({ ...tokenKeyFields(t), changes: t.field({ type: TokenChangesInput, required: true }) }),
});
const DeleteTokenInput = builder.inputType('DeleteTokenInput', { fields: (t) => tokenKeyFields(t) });

const TokenPayload = (name: string) =>
  payloadType<{ token: GateUserToken }>(name, 'The user token as gate now has it.', (t) => ({ token: t.field({ type: TokenRef, resolve: ({ token }) => token }) }));

const CreateTokenResult = mutationResult('CreateTokenResult', TokenPayload('CreateTokenPayload'), [ValidationError, ConflictError, ...writeFailures]);
const UpdateTokenResult = mutationResult('UpdateTokenResult', TokenPayload('UpdateTokenPayload'), [ValidationError, NotFoundError, ConflictError, ...writeFailures]);
const DeleteTokenResult = mutationResult(
  'DeleteTokenResult',
  payloadType<{ deletedTokenId: string; username: string }>('DeleteTokenPayload', 'The user token that was deleted.', (t) => ({
    deletedTokenId: t.exposeID('deletedTokenId', { description: 'The global id the user token had.' }),
    username: t.exposeString('username'),
  })),
  [ValidationError, NotFoundError, ConflictError, ...writeFailures],
);

builder.mutationFields((t) => ({
  createToken: t.field({
    type: CreateTokenResult,
    description: 'Creates a user token (POST /user_token/), its balance sent as `initial_balance_seconds`. A taken username is a ConflictError.',
    args: { input: t.arg({ type: CreateTokenInput, required: true }) },
    resolve: (_root, { input }, context, info) =>
      performMutation(context, info, async (audit) => {
        const checked = checkedInput(newToken, input);
        const { writeScope } = context;
        const fields = { ...checked, organization: writeScope.organizationFor(checked.organization, 'organization') ?? checked.organization };
        await writeScope.requireOwnUsername(fields.username, 'username');
        const { gate } = context.clients;
        const { initialBalanceSeconds: _notShown, ...visible } = fields;
        const token = await withLocks(context.writes, [personLock(fields.username)], () =>
          confirmedCreate(() => gate.createToken(fields), {
            clients: context.clients,
            readBack: (recovery) => recovery.gate.findTokenByUsername(fields.username, false),
            landed: (current) => shows(current, visible),
            taken: `gate already has a user token named ${fields.username}`,
          }),
        );
        audit.created.push({ record: 'gate.userToken', id: String(token.id) });
        context.gate.wrote.token(token);
        return { token };
      }),
  }),
  updateToken: t.field({
    type: UpdateTokenResult,
    description: 'Changes some fields of a user token (PATCH); gate merges its profile (sessions, access level).',
    args: { input: t.arg({ type: UpdateTokenInput, required: true }) },
    resolve: (_root, { input }, context, info) =>
      performMutation(context, info, async (audit) => {
        const { changes, ...key } = checkedInput(updateToken, input);
        context.writeScope.checkOrganization(changes.organization, 'changes.organization');
        const previous = await tokenNamed(context, key);
        if (changes.username !== undefined) await context.writeScope.requireOwnUsername(changes.username, 'changes.username');
        const id = String(previous.id);
        const { gate } = context.clients;
        // A rename holds the names, so that no create through the gateway takes one meanwhile.
        const token = await withLocks(context.writes, renameLocks(previous.username, changes.username), async () => {
          if (changes.username !== undefined && changes.username !== previous.username && (await gate.findTokenByUsername(changes.username, false))) {
            throw new ConflictError(`gate already has a user token named ${changes.username}`);
          }
          return confirmedWrite(() => gate.updateToken(id, changes), {
            clients: context.clients,
            readBack: (recovery) => recovery.gate.getToken(id, false),
            landed: (current) => shows(current, changes),
          });
        });
        audit.changed.push({ record: 'gate.userToken', id });
        context.gate.wrote.tokenGone(previous);
        context.gate.wrote.token(token);
        return { token };
      }),
  }),
  deleteToken: t.field({
    type: DeleteTokenResult,
    description: 'Deletes a user token. gate refuses while the account has active sessions: a ConflictError.',
    args: { input: t.arg({ type: DeleteTokenInput, required: true }) },
    resolve: (_root, { input }, context, info) =>
      performMutation(context, info, async (audit) => {
        const token = await tokenNamed(context, checkedInput(deleteToken, input));
        const id = String(token.id);
        await removals(context.clients).gateUserToken(id);
        audit.removed.push({ record: 'gate.userToken', id });
        context.gate.wrote.tokenGone(token);
        return { deletedTokenId: encodeGlobalId('Token', id), username: token.username };
      }),
  }),
}));
