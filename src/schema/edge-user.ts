import type { EdgeUser } from '../upstreams/edge/types.ts';
import { builder } from './builder.ts';
import { addressableId } from './global-ids.ts';
import { nameInput } from './inputs.ts';
import { settleNodes } from './nodes.ts';
import type { ObjectRef } from '@pothos/core';
import type DataLoader from 'dataloader';
import type { GateUser } from '../upstreams/gate/types.ts';
import { PagedList } from '../upstreams/paging.ts';
import type { GatewayContext } from '../server/context.ts';
import { connectionDescription, itself, pagedListReader, resolveConnection } from './pagination.ts';
import { UserRef } from './user.ts';

export const EdgeUserRef = builder.objectRef<EdgeUser>('EdgeUser');

builder.node(EdgeUserRef, {
  description: 'A user account on edge.',
  id: { resolve: (user) => user.id },
  loadManyWithoutCache: (ids, context) => settleNodes(ids, (id) => context.edge.userById.load(addressableId(id, 'EdgeUser'))),
  fields: (t) => ({
    edgeId: t.exposeID('id', { description: "edge's own id of the user." }),
    username: t.exposeString('username'),
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
    memberships: t.exposeStringList('memberships'),
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

type SchemaTypesOf<B> = B extends PothosSchemaTypes.SchemaBuilder<infer Types> ? Types : never;

/** A person's edge account id and its list: an empty list when edge has no such account. */
async function accountListOf<T>(user: GateUser, context: GatewayContext, list: DataLoader<string, PagedList<T>>) {
  const account = await context.edge.userByUsername.load(user.username);
  return { accountId: account?.id ?? '', list: account ? await list.load(account.id) : PagedList.of<T>([]) };
}

/**
 * A per-account edge list (access tokens, login history) as one connection type, served on
 * `EdgeUser` and on the person. Nullable: when edge fails, the rest of the answer stands.
 */
export function addEdgeAccountList<T, N>(options: {
  field: string;
  node: ObjectRef<SchemaTypesOf<typeof builder>, N>;
  name: string;
  description: string;
  list: (context: GatewayContext) => DataLoader<string, PagedList<T>>;
  /** Shapes an item of the served page as its node, knowing the account and its place in the list. */
  toNode: (accountId: string, items: readonly T[], index: number) => N;
}): void {
  const connection = builder.connectionObject({ type: options.node, name: `${options.name}Connection` }, { name: `${options.name}Edge` });
  const description = `${options.description} ${connectionDescription}`;
  builder.objectField(EdgeUserRef, options.field, (t) =>
    t.connection(
      {
        type: options.node,
        nullable: true,
        description,
        resolve: async (account, args, context) =>
          resolveConnection(
            args,
            pagedListReader(await options.list(context).load(account.id), (items, index) => options.toNode(account.id, items, index)),
          ),
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
          return resolveConnection(args, pagedListReader(list, (items, index) => options.toNode(accountId, items, index)));
        },
      },
      connection,
    ),
  );
}
