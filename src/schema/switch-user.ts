import { z } from 'zod';
import type { SwitchUser } from '../upstreams/switch/types.ts';
import { builder } from './builder.ts';
import { IDENTIFIES_RECORD } from './read-scope.ts';
import { integerId } from './global-ids.ts';
import { nameInput } from './inputs.ts';
import { settleNodes } from './nodes.ts';
import { connectionDescription, countedListReader, resolveConnection } from './pagination.ts';
import { UserRef } from './user.ts';

export const SwitchUserRef = builder.objectRef<SwitchUser>('SwitchUser');

/** The most ids a `userIds` filter takes: they travel in one URL (`user_id_in`). */
const MAX_USER_IDS = 100;

builder.node(SwitchUserRef, {
  description: 'A user of the carrier switch. Its password hash and CDR API token never leave the gateway.',
  id: { resolve: (user) => user.userId },
  loadManyWithoutCache: (ids, context) =>
    settleNodes(ids, (id) => context.switch.userById.load(Number(integerId(id, 'SwitchUser')))),
  fields: (t) => ({
    userId: t.exposeInt('userId', { description: "switch's own id of the user.", extensions: IDENTIFIES_RECORD }),
    name: t.exposeString('name', { description: 'The login name; equals the username of the person.', extensions: IDENTIFIES_RECORD }),
    userType: t.exposeString('userType', { nullable: true }),
    roleId: t.exposeInt('roleId', { nullable: true }),
    roleName: t.exposeString('roleName', { nullable: true }),
    carrierName: t.exposeString('carrierName', { nullable: true }),
    active: t.exposeBoolean('active', { nullable: true }),
    isOnline: t.exposeInt('isOnline', { nullable: true, description: "switch's online state code, as it sends it (e.g. `2`)." }),
    email: t.exposeString('email', { nullable: true }),
    firstName: t.exposeString('firstName', { nullable: true }),
    lastName: t.exposeString('lastName', { nullable: true }),
    fullName: t.exposeString('fullName', { nullable: true }),
    clientId: t.exposeInt('clientId', { nullable: true }),
    resellerId: t.exposeInt('resellerId', { nullable: true }),
    createTime: t.expose('createTime', { type: 'DateTime', nullable: true }),
    lastLoginTime: t.expose('lastLoginTime', { type: 'DateTime', nullable: true }),
    lastSeen: t.expose('lastSeen', { type: 'DateTime', nullable: true }),
    loginIp: t.exposeString('loginIp', { nullable: true }),
    authIps: t.exposeStringList('authIps', { description: 'Addresses allowed to authenticate as this user.' }),
    user: t.field({
      type: UserRef,
      nullable: true,
      description: 'The person with this username on gate, or null for a user only switch has.',
      resolve: (user, _args, context) => context.gate.userByUsername.load(user.name),
    }),
  }),
});

builder.objectField(UserRef, 'switchAccount', (t) =>
  t.field({
    type: SwitchUserRef,
    nullable: true,
    description: "The person's switch user: exactly this name (switch's own search is a substring match).",
    resolve: (user, _args, context) => context.switch.userByName.load(user.username),
  }),
);

const SwitchUserFilter = builder.inputType('SwitchUserFilter', {
  description: "switch's documented filters; the `…Contains` ones are substring matches.",
  fields: (t) => ({
    active: t.boolean(),
    carrierNameContains: t.string({ validate: nameInput }),
    isOnline: t.int({ description: "switch's online state code." }),
    nameContains: t.string({ validate: nameInput }),
    roleId: t.int(),
    userType: t.string({ description: 'E.g. `client`, `carrier`, `agent`.', validate: nameInput }),
    createdAfter: t.field({ type: 'DateTime' }),
    createdBefore: t.field({ type: 'DateTime' }),
    lastLoginAfter: t.field({ type: 'DateTime' }),
    lastLoginBefore: t.field({ type: 'DateTime' }),
    neverLoggedIn: t.boolean({ description: 'true: only users who never logged in; false: only those who did.' }),
    userIds: t.intList({
      description: `Only these user ids; at most ${MAX_USER_IDS}.`,
      validate: z.array(z.number()).max(MAX_USER_IDS, `may hold at most ${MAX_USER_IDS} ids`),
    }),
  }),
});

const SwitchUserOrderField = builder.enumType('SwitchUserOrderField', {
  values: {
    USER_ID: { value: 'user_id' },
    NAME: { value: 'name' },
    USER_TYPE: { value: 'user_type' },
    ROLE_ID: { value: 'role_id' },
    CARRIER_NAME: { value: 'carrier_name' },
    CREATE_TIME: { value: 'create_time' },
    LAST_LOGIN_TIME: { value: 'last_login_time' },
  } as const,
});

const OrderDirection = builder.enumType('OrderDirection', {
  values: { ASC: { value: 'asc' }, DESC: { value: 'desc' } } as const,
});

const SwitchUserOrder = builder.inputType('SwitchUserOrder', {
  fields: (t) => ({
    field: t.field({ type: SwitchUserOrderField, required: true }),
    direction: t.field({ type: OrderDirection, defaultValue: 'asc' }),
  }),
});

/** The connection of switch users: every list of `SwitchUser`s pages as one. */
export const SwitchUserConnectionRef = builder.connectionObject({ type: SwitchUserRef, name: 'SwitchUserConnection' }, { name: 'SwitchUserEdge' });

const isoOrUndefined = (date: Date | null | undefined) => date?.toISOString();

builder.queryField('switchUsers', (t) =>
  t.connection(
    {
      type: SwitchUserRef,
      nullable: true,
      description: `Every switch user, in the order asked for (switch's default: by user id). ${connectionDescription}`,
      args: { filter: t.arg({ type: SwitchUserFilter }), orderBy: t.arg({ type: SwitchUserOrder }) },
      resolve: (_root, { filter, orderBy, ...args }, context) => {
        const read = {
          filter: {
            active: filter?.active ?? undefined,
            carrierName: filter?.carrierNameContains ?? undefined,
            isOnline: filter?.isOnline ?? undefined,
            name: filter?.nameContains ?? undefined,
            roleId: filter?.roleId ?? undefined,
            userType: filter?.userType ?? undefined,
            createdAfter: isoOrUndefined(filter?.createdAfter),
            createdBefore: isoOrUndefined(filter?.createdBefore),
            lastLoginAfter: isoOrUndefined(filter?.lastLoginAfter),
            lastLoginBefore: isoOrUndefined(filter?.lastLoginBefore),
            neverLoggedIn: filter?.neverLoggedIn ?? undefined,
            userIds: filter?.userIds ?? undefined,
          },
          order: orderBy ? { field: orderBy.field, direction: orderBy.direction ?? 'asc' } : undefined,
        };
        return resolveConnection(args, countedListReader((window) => context.switch.users.load({ ...read, window })));
      },
    },
    SwitchUserConnectionRef,
  ),
);
