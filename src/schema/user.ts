import { z } from 'zod';
import type { AuditTrail } from '../provisioning/audit.ts';
import { confirmedWrite, shows } from '../provisioning/confirmed-writes.ts';
import { createNamed, renameLocks, withLocks } from '../provisioning/locks.ts';
import { removals } from '../provisioning/removals.ts';
import { requireNoOrphanAccounts } from '../provisioning/usernames.ts';
import type { GateClient, GateUserKey } from '../upstreams/gate/client.ts';
import type { GateUser, GateUserFields } from '../upstreams/gate/types.ts';
import { builder, type GatewaySchemaTypes } from './builder.ts';
import { IDENTIFIES_RECORD } from './read-scope.ts';
import type { GatewayContext } from './context.ts';
import { encodeGlobalId } from './global-ids.ts';
import { badUserInput, quoted } from './errors.ts';
import { emailInput, nameInput, namedByOne, newUsernameInput, notEmpty, optional, passwordInput, requiredNameInput, usernameInput } from './inputs.ts';
import { checkedInput, ConflictError, mutationResult, NotFoundError, payloadType, performMutation, ValidationError, writeFailures } from './results.ts';
import { settleNodes } from './nodes.ts';
import { connectionDescription, countedListReader, resolveConnection } from './pagination.ts';

export const UserRef = builder.objectRef<GateUser>('User');

builder.node(UserRef, {
  description:
    'A person, joined across the three upstreams by username. Core fields come from gate `/user/`; each relation is read lazily from its upstream.',
  id: { resolve: (user) => user.username },
  loadManyWithoutCache: (usernames, context) =>
    settleNodes(usernames, (username) => {
      if (!usernameInput.safeParse(username).success) throw badUserInput(`Not a User id this API made: ${quoted(username)}`);
      return context.gate.userByUsername.load(username);
    }),
  fields: (t) => ({
    gateId: t.exposeID('id', { description: "gate's own id of the user (the `parent` of its user extra)." }),
    username: t.exposeString('username', { extensions: IDENTIFIES_RECORD }),
    email: t.exposeString('email', { nullable: true }),
    organization: t.exposeString('organization', { nullable: true }),
    firstName: t.exposeString('firstName', { nullable: true }),
    lastName: t.exposeString('lastName', { nullable: true }),
    role: t.exposeString('role', { nullable: true }),
    createdAt: t.expose('createdAt', { type: 'DateTime', nullable: true }),
    updatedAt: t.expose('updatedAt', { type: 'DateTime', nullable: true }),
    lastLogin: t.expose('lastLogin', { type: 'DateTime', nullable: true }),
  }),
});

const UserFilter = builder.inputType('UserFilter', {
  description: 'Exact matches, as gate filters its users.',
  fields: (t) => ({
    username: t.string({ description: 'Exactly this username.', validate: nameInput }),
    organization: t.string({ description: 'Exactly this organization.', validate: nameInput }),
  }),
});

/** The connection of people: every list of `User`s pages as one. */
export const UserConnectionRef = builder.connectionObject({ type: UserRef, name: 'UserConnection' }, { name: 'UserEdge' });

builder.queryFields((t) => ({
  user: t.field({
    type: UserRef,
    nullable: true,
    description: 'The person with exactly this username, or null when gate has none.',
    args: { username: t.arg.string({ required: true, validate: usernameInput }) },
    resolve: (_root, { username }, context) => context.gate.userByUsername.load(username),
  }),
  users: t.connection(
    {
      type: UserRef,
      nullable: true,
      description: `Every person gate holds, in gate's order. ${connectionDescription}`,
      args: { filter: t.arg({ type: UserFilter }) },
      resolve: (_root, { filter, ...args }, context) => {
        const read = {
          filter: { username: filter?.username ?? undefined, organization: filter?.organization ?? undefined },
        };
        return resolveConnection(args, countedListReader((window) => context.gate.users.load({ ...read, window })));
      },
    },
    UserConnectionRef,
  ),
}));

// ---- mutations: gate `/user/` ----

const userFields = {
  email: optional(emailInput),
  password: optional(passwordInput),
  organization: optional(requiredNameInput),
  firstName: optional(nameInput),
  lastName: optional(nameInput),
  role: optional(nameInput),
};

const newUser = z.object({
  ...userFields,
  username: newUsernameInput,
  email: emailInput,
  password: passwordInput,
});

/** A user is named by gate's id or by username. */
const userKey = { gateId: optional(z.string().min(1, 'must not be empty').max(64, 'must be at most 64 characters')), username: optional(usernameInput) };
const keyOf = ({ gateId, username }: { gateId?: string; username?: string }): GateUserKey =>
  gateId !== undefined ? { id: gateId } : { username: username as string };

const updateUser = namedByOne(z.object({ ...userKey, changes: notEmpty(z.object({ ...userFields, username: optional(newUsernameInput) })) }), 'gateId', 'username');
const replaceUser = namedByOne(z.object({ ...userKey, user: z.object({ ...userFields, username: newUsernameInput, email: emailInput }) }), 'gateId', 'username');
const deleteUser = namedByOne(z.object(userKey), 'gateId', 'username');

/** The user a key names, as gate has it now: null when there is none this caller may change. */
async function userFound(context: GatewayContext, key: GateUserKey, gate: GateClient = context.clients.gate): Promise<GateUser | null> {
  return context.writeScope.owned(await ('id' in key ? gate.getUser(key.id) : gate.getUserByUsername(key.username)));
}

/** A PATCH or PUT of a gate user, read back when its answer is lost; later fields see the user as written. */
async function changeUser(
  context: GatewayContext,
  audit: AuditTrail,
  key: GateUserKey,
  fields: GateUserFields,
  write: (key: GateUserKey, fields: GateUserFields) => Promise<GateUser>,
): Promise<GateUser> {
  const { password: _unreadable, ...visible } = fields;
  // A rename holds the names, so that no create through the gateway takes one meanwhile.
  const user = await withLocks(context.writes, renameLocks('username' in key ? key.username : undefined, fields.username), async () => {
    // gate itself answers 404 for a user that is not there at all; one of another organization is checked first.
    if (context.writeScope.bound && !(await userFound(context, key))) throw new NotFoundError('gate has no such user');
    if (fields.username !== undefined) {
      const holder = await context.clients.gate.getUserByUsername(fields.username);
      const renamed = 'id' in key ? holder?.id !== key.id : fields.username !== key.username;
      if (holder && renamed) throw new ConflictError(`gate already has a user named ${fields.username}`);
      if (renamed) await requireNoOrphanAccounts(context.writeScope, context.clients, fields.username);
    }
    return confirmedWrite(() => write(key, fields), {
      clients: context.clients,
      readBack: (recovery) => userFound(context, fields.username === undefined ? key : { username: fields.username }, recovery.gate),
      landed: (current) => shows(current, visible),
    });
  });
  audit.changed.push({ record: 'gate.user', id: user.id });
  context.gate.wrote.userGone(key);
  context.gate.wrote.user(user);
  return user;
}

const UserFieldsInput = (name: string, description: string, required: 'new' | 'whole' | 'changes') =>
  builder.inputType(name, {
    description,
    fields: (t) => ({
      username: t.string({ required: required !== 'changes', description: 'Letters, digits and `@ . + - _`, at most 150.' }),
      email: t.string({ required: required !== 'changes' }),
      password: t.string({ required: required === 'new', description: 'At least 8 characters; never shown again.' }),
      organization: t.string(),
      firstName: t.string(),
      lastName: t.string(),
      role: t.string(),
    }),
  });

const CreateUserInput = UserFieldsInput('CreateUserInput', 'A new gate user.', 'new');
const UserChangesInput = UserFieldsInput('UserChangesInput', 'The fields to change; those left out (or null) stay as they are.', 'changes');
const UserReplacementInput = UserFieldsInput('UserReplacementInput', 'The user as a whole: what is left out is emptied (the password stays).', 'whole');

const userKeyFields = (t: PothosSchemaTypes.InputFieldBuilder<GatewaySchemaTypes, 'InputObject'>) => ({
  gateId: t.id({ description: "gate's id of the user (`User.gateId`); or give `username`." }),
  username: t.string({ description: 'The username of the user; or give `gateId`.' }),
});

const UpdateUserInput = builder.inputType('UpdateUserInput', {
  fields: (t) => ({ ...userKeyFields(t), changes: t.field({ type: UserChangesInput, required: true }) }),
});
const ReplaceUserInput = builder.inputType('ReplaceUserInput', {
  fields: (t) => ({ ...userKeyFields(t), user: t.field({ type: UserReplacementInput, required: true }) }),
});
const DeleteUserInput = builder.inputType('DeleteUserInput', { fields: (t) => userKeyFields(t) });

const UserPayload = (name: string) =>
  payloadType<{ user: GateUser }>(name, 'The user as gate now has it.', (t) => ({ user: t.field({ type: UserRef, resolve: ({ user }) => user }) }));

const CreateUserResult = mutationResult('CreateUserResult', UserPayload('CreateUserPayload'), [ValidationError, ConflictError, ...writeFailures]);
const UpdateUserResult = mutationResult('UpdateUserResult', UserPayload('UpdateUserPayload'), [ValidationError, NotFoundError, ConflictError, ...writeFailures]);
const ReplaceUserResult = mutationResult('ReplaceUserResult', UserPayload('ReplaceUserPayload'), [ValidationError, NotFoundError, ConflictError, ...writeFailures]);

const DeleteUserResult = mutationResult(
  'DeleteUserResult',
  payloadType<{ deletedUserId: string; username: string }>('DeleteUserPayload', 'The user that was deleted.', (t) => ({
    deletedUserId: t.exposeID('deletedUserId', { description: 'The global id the user had.' }),
    username: t.exposeString('username'),
  })),
  [ValidationError, NotFoundError, ...writeFailures],
);

builder.mutationFields((t) => ({
  createUser: t.field({
    type: CreateUserResult,
    description:
      'Creates a gate user (POST /user/). A taken username is a ConflictError; so is, for a client bound to an organization, a username whose edge or switch account has no gate user (admin links such accounts by creating their gate user).',
    args: { input: t.arg({ type: CreateUserInput, required: true }) },
    resolve: (_root, { input }, context, info) =>
      performMutation(context, info, async (audit) => {
        const checked = checkedInput(newUser, input);
        const fields = { ...checked, organization: context.writeScope.organizationFor(checked.organization, 'organization') };
        const { password: _unreadable, ...sent } = fields;
        const user = await createNamed(context.writes, context.clients, {
          username: fields.username,
          find: (clients) => clients.gate.getUserByUsername(fields.username),
          create: () => context.clients.gate.createUser(fields),
          sent,
          taken: `gate already has a user named ${fields.username}`,
          vet: () => requireNoOrphanAccounts(context.writeScope, context.clients, fields.username),
        });
        audit.created.push({ record: 'gate.user', id: user.id });
        context.gate.wrote.user(user);
        return { user };
      }),
  }),
  updateUser: t.field({
    type: UpdateUserResult,
    description: 'Changes some fields of a gate user (PATCH); gate merges the profile (names, role).',
    args: { input: t.arg({ type: UpdateUserInput, required: true }) },
    resolve: (_root, { input }, context, info) =>
      performMutation(context, info, async (audit) => {
        const { changes, ...named } = checkedInput(updateUser, input);
        context.writeScope.checkOrganization(changes.organization, 'changes.organization');
        return { user: await changeUser(context, audit, keyOf(named), changes, (key, fields) => context.clients.gate.updateUser(key, fields)) };
      }),
  }),
  replaceUser: t.field({
    type: ReplaceUserResult,
    description: 'Replaces a gate user as a whole (PUT).',
    args: { input: t.arg({ type: ReplaceUserInput, required: true }) },
    resolve: (_root, { input }, context, info) =>
      performMutation(context, info, async (audit) => {
        const { user: whole, ...named } = checkedInput(replaceUser, input);
        const fields = { ...whole, organization: context.writeScope.organizationFor(whole.organization, 'user.organization') };
        return { user: await changeUser(context, audit, keyOf(named), fields, (key, replacement) => context.clients.gate.replaceUser(key, replacement)) };
      }),
  }),
  deleteUser: t.field({
    type: DeleteUserResult,
    description: 'Deletes a gate user (its user extra goes with it on gate; its user token does not: see `deprovisionUser`).',
    args: { input: t.arg({ type: DeleteUserInput, required: true }) },
    resolve: (_root, { input }, context, info) =>
      performMutation(context, info, async (audit) => {
        const key = keyOf(checkedInput(deleteUser, input));
        const user = await userFound(context, key);
        if (!user) throw new NotFoundError('gate has no such user');
        // gate deletes the user's extra with it: the audit names it among what was removed.
        const extra = await context.clients.gate.findExtraByParent(user.id, false);
        await removals(context.clients).gateUser(user.id);
        audit.removed.push({ record: 'gate.user', id: user.id });
        if (extra) {
          audit.removed.push({ record: 'gate.userExtra', id: String(extra.id) });
          context.gate.wrote.extraGone(extra);
        }
        context.gate.wrote.userGone({ id: user.id });
        context.gate.wrote.userGone({ username: user.username });
        return { deletedUserId: encodeGlobalId('User', user.username), username: user.username };
      }),
  }),
}));
