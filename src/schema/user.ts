import type { GateUser } from '../upstreams/gate/types.ts';
import { builder } from './builder.ts';
import { badUserInput, quoted } from './errors.ts';
import { nameInput, usernameInput } from './inputs.ts';
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
    username: t.exposeString('username'),
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
    { name: 'UserConnection' },
    { name: 'UserEdge' },
  ),
}));
