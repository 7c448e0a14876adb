import { z } from 'zod';
import { acceptedThenRead, shows } from '../provisioning/confirmed-writes.ts';
import { createNamed, renameLocks, withLocks } from '../provisioning/locks.ts';
import { removals } from '../provisioning/removals.ts';
import type { EdgeUser } from '../upstreams/edge/types.ts';
import { isAddressable } from '../upstreams/http.ts';
import { builder, type GatewaySchemaTypes } from './builder.ts';
import { IDENTIFIES_RECORD } from './read-scope.ts';
import { addressableId, encodeGlobalId } from './global-ids.ts';
import { emailInput, nameInput, namedByOne, newUsernameInput, notEmpty, optional, passwordInput, requiredNameInput, usernameInput } from './inputs.ts';
import { checkedInput, ConflictError, ForbiddenError, mutationResult, NotFoundError, payloadType, performMutation, ValidationError, writeFailures } from './results.ts';
import { settleNodes } from './nodes.ts';
import type { ObjectRef } from '@pothos/core';
import type DataLoader from 'dataloader';
import type { GateUser } from '../upstreams/gate/types.ts';
import { PagedList, type PositionedList } from '../upstreams/paging.ts';
import type { GatewayContext } from './context.ts';
import { connectionDescription, itself, pagedListReader, resolveConnection } from './pagination.ts';
import { UserRef } from './user.ts';

export const EdgeUserRef = builder.objectRef<EdgeUser>('EdgeUser');

builder.node(EdgeUserRef, {
  description: 'A user account on edge.',
  id: { resolve: (user) => user.id },
  loadManyWithoutCache: (ids, context) => settleNodes(ids, (id) => context.edge.userById.load(addressableId(id, 'EdgeUser'))),
  fields: (t) => ({
    edgeId: t.exposeID('id', { description: "edge's own id of the user." }),
    username: t.exposeString('username', { extensions: IDENTIFIES_RECORD }),
    email: t.exposeString('email', { nullable: true }),
    firstName: t.exposeString('firstName', { nullable: true }),
    lastName: t.exposeString('lastName', { nullable: true }),
    description: t.exposeString('description', { nullable: true }),
    organization: t.exposeString('organization', { nullable: true }),
    isActive: t.exposeBoolean('isActive', { nullable: true }),
    isSuperuser: t.exposeBoolean('isSuperuser', { nullable: true }),
    isStaff: t.exposeBoolean('isStaff', { nullable: true }),
    canInbox: t.exposeBoolean('canInbox', { nullable: true }),
    allowRestAccess: t.exposeBoolean('allowRestAccess', { nullable: true }),
    memberships: t.exposeStringList('memberships', { nullable: true, description: "edge's membership levels (`WHITE`, ...); null for a client without users:read." }),
    preferences: t.expose('preferences', { type: 'JSON', nullable: true }),
    dateJoined: t.expose('dateJoined', { type: 'DateTime', nullable: true }),
    previousLoginDate: t.expose('previousLoginDate', { type: 'DateTime', nullable: true }),
    user: t.field({
      type: UserRef,
      nullable: true,
      description: 'The person with this username on gate, or null for an account only edge has.',
      resolve: (user, _args, context) => context.gate.userByUsername.load(user.username),
    }),
  }),
});

builder.objectField(UserRef, 'edgeAccount', (t) =>
  t.field({
    type: EdgeUserRef,
    nullable: true,
    description: "The person's edge account: exactly this username, case as stored (edge's own search is fuzzy).",
    resolve: (user, _args, context) => context.edge.userByUsername.load(user.username),
  }),
);

const EdgeUserFilter = builder.inputType('EdgeUserFilter', {
  description: "edge's filters: the string ones are case-insensitive substring matches, AND-ed together.",
  fields: (t) => ({
    usernameContains: t.string({ validate: nameInput }),
    firstNameContains: t.string({ validate: nameInput }),
    lastNameContains: t.string({ validate: nameInput }),
    emailContains: t.string({ validate: nameInput }),
    isActive: t.boolean({ description: 'Exactly this active state.' }),
  }),
});

builder.queryField('edgeUsers', (t) =>
  t.connection(
    {
      type: EdgeUserRef,
      nullable: true,
      description: `Every edge user, in edge's order. ${connectionDescription}`,
      args: { filter: t.arg({ type: EdgeUserFilter }) },
      resolve: async (_root, { filter, ...args }, context) =>
        resolveConnection(
          args,
          pagedListReader(
            await context.edge.users.load({
              username: filter?.usernameContains ?? undefined,
              firstName: filter?.firstNameContains ?? undefined,
              lastName: filter?.lastNameContains ?? undefined,
              email: filter?.emailContains ?? undefined,
              isActive: filter?.isActive ?? undefined,
            }),
            itself,
          ),
        ),
    },
    { name: 'EdgeUserConnection' },
    { name: 'EdgeUserEdge' },
  ),
);

/** A person's edge account id and its list: an empty list when edge has no such account. */
async function accountListOf<T>(user: GateUser, context: GatewayContext, list: DataLoader<string, PositionedList<T>>) {
  const account = await context.edge.userByUsername.load(user.username);
  return { accountId: account?.id ?? '', list: account ? await list.load(account.id) : PagedList.of<T>([]) };
}

/**
 * A per-account edge list (access tokens, login history) as one connection type, served on
 * `EdgeUser` and on the person. Nullable: when edge fails, the rest of the answer stands. Answers
 * the connection type, for other lists of the same items.
 */
export function addEdgeAccountList<T, N>(options: {
  field: string;
  node: ObjectRef<GatewaySchemaTypes, N>;
  name: string;
  description: string;
  list: (context: GatewayContext) => DataLoader<string, PositionedList<T>>;
  /** Shapes an item of the served page as its node, knowing the account, its place in the list (`items`: those read, by position) and the list. */
  toNode: (accountId: string, items: readonly T[], index: number, list: PositionedList<T>) => N;
}) {
  const connection = builder.connectionObject({ type: options.node, name: `${options.name}Connection` }, { name: `${options.name}Edge` });
  const description = `${options.description} ${connectionDescription}`;
  builder.objectField(EdgeUserRef, options.field, (t) =>
    t.connection(
      {
        type: options.node,
        nullable: true,
        description,
        resolve: async (account, args, context) => {
          const list = await options.list(context).load(account.id);
          return resolveConnection(args, pagedListReader(list, (items, index) => options.toNode(account.id, items, index, list)));
        },
      },
      connection,
    ),
  );
  builder.objectField(UserRef, options.field, (t) =>
    t.connection(
      {
        type: options.node,
        nullable: true,
        description: `${description} Empty when the person has no edge account; null when edge fails.`,
        resolve: async (user, args, context) => {
          const { accountId, list } = await accountListOf(user, context, options.list(context));
          return resolveConnection(args, pagedListReader(list, (items, index) => options.toNode(accountId, items, index, list)));
        },
      },
      connection,
    ),
  );
  return connection;
}

// ---- mutations: edge `/users/` ----

const edgeUserFields = {
  firstName: optional(nameInput),
  lastName: optional(nameInput),
  email: optional(emailInput),
  description: optional(z.string().max(1000, 'must be at most 1000 characters')),
  isActive: optional(z.boolean()),
  isSuperuser: optional(z.boolean()),
  isStaff: optional(z.boolean()),
  canInbox: optional(z.boolean()),
  allowRestAccess: optional(z.boolean()),
  organization: optional(nameInput),
  memberships: optional(z.array(requiredNameInput).max(100, 'may hold at most 100 memberships')),
};

/**
 * edge's flags that give an account rights over all of edge (the docs' superuser belongs to no
 * organization and holds every membership): `admin`'s to set. On a new account `false`, edge's
 * default, grants nothing; on a change either value changes someone's edge-wide rights.
 */
const EDGE_WIDE_RIGHTS = ['isSuperuser', 'isStaff'] as const;

// edge requires a username, password, first and last name and email on creation.
const newEdgeUser = z.object({
  ...edgeUserFields,
  username: newUsernameInput,
  password: passwordInput,
  firstName: requiredNameInput,
  lastName: requiredNameInput,
  email: emailInput,
});

/** An edge user is named by edge's id or by its exact username. */
const edgeUserKey = { edgeId: optional(z.string().refine(isAddressable, 'must be an edge user id')), username: optional(usernameInput) };
const updateEdgeUser = namedByOne(
  z.object({ ...edgeUserKey, changes: notEmpty(z.object({ ...edgeUserFields, username: optional(newUsernameInput) })) }),
  'edgeId',
  'username',
);
const deleteEdgeUser = namedByOne(z.object(edgeUserKey), 'edgeId', 'username');

/** The edge user a key names, as edge has it now: the caller's when its gate person is. */
export async function edgeUserNamed(context: GatewayContext, key: { edgeId?: string; username?: string }): Promise<EdgeUser> {
  const { edge } = context.clients;
  const missing = 'edge has no such user';
  if (key.username !== undefined) await context.writeScope.requirePerson({ username: key.username }, missing);
  const user = key.edgeId !== undefined ? await edge.getUser(key.edgeId) : await edge.findUserByUsername(key.username as string);
  if (!user) throw new NotFoundError(missing);
  if (key.edgeId !== undefined) await context.writeScope.requirePerson({ username: user.username }, missing);
  return user;
}

const edgeUserFieldsInput = (t: PothosSchemaTypes.InputFieldBuilder<GatewaySchemaTypes, 'InputObject'>) => ({
  firstName: t.string(),
  lastName: t.string(),
  email: t.string(),
  description: t.string(),
  isActive: t.boolean(),
  isSuperuser: t.boolean(),
  isStaff: t.boolean(),
  canInbox: t.boolean(),
  allowRestAccess: t.boolean(),
  organization: t.string(),
  memberships: t.stringList(),
});
export const edgeUserKeyFields = (t: PothosSchemaTypes.InputFieldBuilder<GatewaySchemaTypes, 'InputObject'>) => ({
  edgeId: t.id({ description: "edge's id of the user (`EdgeUser.edgeId`); or give `username`." }),
  username: t.string({ description: 'The exact username of the edge user; or give `edgeId`.' }),
});

const CreateEdgeUserInput = builder.inputType('CreateEdgeUserInput', {
  description: 'A new edge user: username, password, first and last name and email are required by edge.',
  fields: (t) => ({
    ...edgeUserFieldsInput(t),
    username: t.string({ required: true }),
    password: t.string({ required: true, description: 'At least 8 characters; never shown again.' }),
    firstName: t.string({ required: true }),
    lastName: t.string({ required: true }),
    email: t.string({ required: true }),
  }),
});
const EdgeUserChangesInput = builder.inputType('EdgeUserChangesInput', {
  description: 'The fields to change; those left out (or null) stay as they are.',
  fields: (t) => ({ ...edgeUserFieldsInput(t), username: t.string() }),
});
const UpdateEdgeUserInput = builder.inputType('UpdateEdgeUserInput', {
  fields: (t) => ({ ...edgeUserKeyFields(t), changes: t.field({ type: EdgeUserChangesInput, required: true }) }),
});
const DeleteEdgeUserInput = builder.inputType('DeleteEdgeUserInput', { fields: edgeUserKeyFields });

const EdgeUserPayload = (name: string) =>
  payloadType<{ edgeUser: EdgeUser }>(name, 'The edge user as edge now has it.', (t) => ({ edgeUser: t.field({ type: EdgeUserRef, resolve: ({ edgeUser }) => edgeUser }) }));

const CreateEdgeUserResult = mutationResult('CreateEdgeUserResult', EdgeUserPayload('CreateEdgeUserPayload'), [ValidationError, ConflictError, ...writeFailures, ForbiddenError]);
const UpdateEdgeUserResult = mutationResult('UpdateEdgeUserResult', EdgeUserPayload('UpdateEdgeUserPayload'), [
  ValidationError,
  NotFoundError,
  ConflictError,
  ...writeFailures,
  ForbiddenError,
]);
const DeleteEdgeUserResult = mutationResult(
  'DeleteEdgeUserResult',
  payloadType<{ deletedEdgeUserId: string; username: string }>('DeleteEdgeUserPayload', 'The edge user that was deleted.', (t) => ({
    deletedEdgeUserId: t.exposeID('deletedEdgeUserId', { description: 'The global id the edge user had.' }),
    username: t.exposeString('username'),
  })),
  [ValidationError, NotFoundError, ...writeFailures],
);

builder.mutationFields((t) => ({
  createEdgeUser: t.field({
    type: CreateEdgeUserResult,
    description:
      'Creates an edge user (POST /users/). A taken username is a ConflictError; `isSuperuser` or `isStaff` true, rights over all of edge, needs `admin` (ForbiddenError).',
    args: { input: t.arg({ type: CreateEdgeUserInput, required: true }) },
    resolve: (_root, { input }, context, info) =>
      performMutation(context, info, async (audit) => {
        const fields = checkedInput(newEdgeUser, input);
        context.writeScope.checkOrganization(fields.organization, 'organization');
        context.writeScope.requireAdminFor(EDGE_WIDE_RIGHTS.filter((right) => fields[right] === true));
        await context.writeScope.requireOwnUsername(fields.username, 'username');
        const { password: _unreadable, ...sent } = fields;
        const edgeUser = await createNamed(context.writes, context.clients, {
          username: fields.username,
          find: (clients) => clients.edge.findUserByUsername(fields.username),
          create: () => context.clients.edge.createUser(fields),
          sent,
          taken: `edge already has a user named ${fields.username}`,
        });
        audit.created.push({ record: 'edge.user', id: edgeUser.id });
        context.edge.wrote.user(edgeUser);
        return { edgeUser };
      }),
  }),
  updateEdgeUser: t.field({
    type: UpdateEdgeUserResult,
    description:
      'Changes some fields of an edge user (PATCH). edge answers 202 with no body: the user is read back, and that is what is returned. Changing `isSuperuser` or `isStaff` needs `admin` (ForbiddenError).',
    args: { input: t.arg({ type: UpdateEdgeUserInput, required: true }) },
    resolve: (_root, { input }, context, info) =>
      performMutation(context, info, async (audit) => {
        const { changes, ...key } = checkedInput(updateEdgeUser, input);
        context.writeScope.checkOrganization(changes.organization, 'changes.organization');
        context.writeScope.requireAdminFor(EDGE_WIDE_RIGHTS.filter((right) => changes[right] !== undefined).map((right) => `changes.${right}`));
        const previous = await edgeUserNamed(context, key);
        if (changes.username !== undefined) await context.writeScope.requireOwnUsername(changes.username, 'changes.username');
        const { edge } = context.clients;
        // A rename holds the names, so that no create through the gateway takes one meanwhile.
        const edgeUser = await withLocks(context.writes, renameLocks(previous.username, changes.username), async () => {
          if (changes.username !== undefined && changes.username !== previous.username && (await edge.findUserByUsername(changes.username))) {
            throw new ConflictError(`edge already has a user named ${changes.username}`);
          }
          return acceptedThenRead('edge', () => edge.updateUser(previous.id, changes), {
            clients: context.clients,
            readBack: (recovery) => recovery.edge.getUser(previous.id),
            landed: (current) => shows(current, changes),
            gone: 'edge has no such user any more',
            accepted: () => audit.changed.push({ record: 'edge.user', id: previous.id }),
          });
        });
        context.edge.wrote.userGone(previous);
        context.edge.wrote.user(edgeUser);
        return { edgeUser };
      }),
  }),
  deleteEdgeUser: t.field({
    type: DeleteEdgeUserResult,
    description: 'Deletes an edge user.',
    args: { input: t.arg({ type: DeleteEdgeUserInput, required: true }) },
    resolve: (_root, { input }, context, info) =>
      performMutation(context, info, async (audit) => {
        const edgeUser = await edgeUserNamed(context, checkedInput(deleteEdgeUser, input));
        await removals(context.clients).edgeUser(edgeUser.id);
        audit.removed.push({ record: 'edge.user', id: edgeUser.id });
        context.edge.wrote.userGone(edgeUser);
        return { deletedEdgeUserId: encodeGlobalId('EdgeUser', edgeUser.id), username: edgeUser.username };
      }),
  }),
}));
