import { z } from 'zod';
import { confirmedCreate, confirmedWrite, shows } from '../provisioning/confirmed-writes.ts';
import { withLocks } from '../provisioning/locks.ts';
import { removals } from '../provisioning/removals.ts';
import type { GateDevice, GateUserExtra } from '../upstreams/gate/types.ts';
import { builder, type GatewaySchemaTypes } from './builder.ts';
import { compositeId, encodeGlobalId, integerId, splitCompositeId } from './global-ids.ts';
import { jsonObjectInput, nameInput, namedByOne, notEmpty, optional, usernameInput } from './inputs.ts';
import { checkedInput, ConflictError, mutationResult, NotFoundError, payloadType, performMutation, ValidationError, writeFailures } from './results.ts';
import { settleNodes } from './nodes.ts';
import { connectionDescription, countedListReader, resolveConnection } from './pagination.ts';
import { selectsPath } from './selection.ts';
import { UserRef } from './user.ts';
import type { GatewayContext } from './context.ts';

export const ExtraRef = builder.objectRef<GateUserExtra>('Extra');

/** A device is addressed within its user extra: gate has no device endpoint of its own. */
interface DeviceShape {
  extraId: number;
  /** The device's own id, or its position in the extra's list when it has none. */
  key: string;
  device: GateDevice;
}

export const DeviceRef = builder.objectRef<DeviceShape>('Device');

/** The extra's devices, read again with `device_info=true` when it was read without. */
async function devicesOf(extra: GateUserExtra, context: GatewayContext): Promise<DeviceShape[]> {
  const detailed = extra.devices ? extra : await context.gate.extraById.load({ key: String(extra.id), detailed: true });
  return (detailed?.devices ?? []).map((device, position) => ({ extraId: extra.id, key: device.deviceId ?? `#${position}`, device }));
}

builder.node(ExtraRef, {
  description: "A person's extended profile on gate (`/user_extra/`): preferences, custom fields, devices.",
  id: { resolve: (extra) => extra.id },
  loadManyWithoutCache: (ids, context) =>
    settleNodes(ids, (id) => context.gate.extraById.load({ key: integerId(id, 'Extra'), detailed: false })),
  fields: (t) => ({
    gateId: t.exposeID('id', { description: "gate's own id of the user extra." }),
    organizationId: t.exposeString('organizationId', { nullable: true }),
    preferences: t.expose('preferences', { type: 'JSON', nullable: true }),
    customFields: t.expose('customFields', { type: 'JSON', nullable: true }),
    devices: t.field({
      type: [DeviceRef],
      nullable: true,
      description: 'Devices assigned to the person; gate is asked for them only when this field is selected.',
      resolve: (extra, _args, context) => devicesOf(extra, context),
    }),
    createdAt: t.expose('createdAt', { type: 'DateTime', nullable: true }),
    updatedAt: t.expose('updatedAt', { type: 'DateTime', nullable: true }),
    user: t.field({
      type: UserRef,
      nullable: true,
      description: 'The person (gate user) this extra belongs to.',
      resolve: (extra, _args, context) => context.gate.userById.load(extra.parent),
    }),
  }),
});

builder.node(DeviceRef, {
  description: 'A device assigned to a person, as listed in their user extra.',
  id: { resolve: ({ extraId, key }) => compositeId(extraId, key) },
  loadManyWithoutCache: (ids, context) =>
    settleNodes(ids, async (id) => {
      const [extraId = '', key] = splitCompositeId(id, 2, 'Device');
      const extra = await context.gate.extraById.load({ key: integerId(extraId, 'Device'), detailed: true });
      return extra ? ((await devicesOf(extra, context)).find((device) => device.key === key) ?? null) : null;
    }),
  fields: (t) => ({
    deviceId: t.string({ nullable: true, resolve: ({ device }) => device.deviceId }),
    deviceType: t.string({ nullable: true, resolve: ({ device }) => device.deviceType }),
    serialNumber: t.string({ nullable: true, resolve: ({ device }) => device.serialNumber }),
    model: t.string({ nullable: true, resolve: ({ device }) => device.model }),
    status: t.string({ nullable: true, resolve: ({ device }) => device.status }),
    assignedAt: t.field({ type: 'DateTime', nullable: true, resolve: ({ device }) => device.assignedAt }),
  }),
});

builder.objectField(UserRef, 'extra', (t) =>
  t.field({
    type: ExtraRef,
    nullable: true,
    description: "The person's gate user extra, or null when they have none.",
    resolve: (user, _args, context, info) =>
      context.gate.extraByParent.load({ key: user.id, detailed: selectsPath(info, ['devices']) }),
  }),
);

const ExtraFilter = builder.inputType('ExtraFilter', {
  description: 'Exact matches, as gate filters its user extras.',
  fields: (t) => ({
    parent: t.id({ description: "The person's gate user id (`User.gateId`).", validate: nameInput }),
    organizationId: t.string({ description: 'The organization id the extras are filed under.', validate: nameInput }),
  }),
});

builder.queryField('extras', (t) =>
  t.connection(
    {
      type: ExtraRef,
      nullable: true,
      description: `Every gate user extra. ${connectionDescription}`,
      args: { filter: t.arg({ type: ExtraFilter }) },
      resolve: (_root, { filter, ...args }, context, info) => {
        const read = {
          filter: { parent: filter?.parent ?? undefined, organizationId: filter?.organizationId ?? undefined },
          detailed: selectsPath(info, ['edges', 'node', 'devices']),
        };
        return resolveConnection(args, countedListReader((window) => context.gate.extras.load({ ...read, window })));
      },
    },
    { name: 'ExtraConnection' },
    { name: 'ExtraEdge' },
  ),
);

// ---- mutations: gate `/user_extra/` ----

const extraFields = {
  organizationId: optional(nameInput),
  preferences: optional(jsonObjectInput),
  customFields: optional(jsonObjectInput),
};

/** A user extra is named by gate's id of it, or by the username of its person. */
const extraKey = { gateId: optional(z.string().regex(/^\d{1,15}$/, 'must be a gate user extra id')), username: optional(usernameInput) };
const newExtra = namedByOne(
  z.object({ ...extraFields, username: optional(usernameInput), parent: optional(z.string().min(1, 'must not be empty').max(64, 'must be at most 64 characters')) }),
  'username',
  'parent',
);
const updateExtra = namedByOne(z.object({ ...extraKey, changes: notEmpty(z.object(extraFields)) }), 'gateId', 'username');
const replaceExtra = namedByOne(z.object({ ...extraKey, extra: z.object(extraFields) }), 'gateId', 'username');
const deleteExtra = namedByOne(z.object(extraKey), 'gateId', 'username');

/** The gate user a username names, if the caller may change it. */
async function gateUserNamed(context: GatewayContext, username: string) {
  return context.writeScope.found(await context.clients.gate.getUserByUsername(username), `gate has no user named ${username}`);
}

/** The extra a key names, as gate has it now: it is the caller's when its parent is. */
async function extraNamed(context: GatewayContext, key: { gateId?: string; username?: string }): Promise<GateUserExtra> {
  const { gate } = context.clients;
  const missing = 'gate has no such user extra';
  if (key.gateId === undefined) {
    const extra = await gate.findExtraByParent((await gateUserNamed(context, key.username as string)).id, false);
    if (!extra) throw new NotFoundError(missing);
    return extra;
  }
  const extra = await gate.getExtra(key.gateId, false);
  if (!extra) throw new NotFoundError(missing);
  await context.writeScope.requirePerson({ gateUserId: extra.parent }, missing);
  return extra;
}

const extraFieldsInput = (t: PothosSchemaTypes.InputFieldBuilder<GatewaySchemaTypes, 'InputObject'>) => ({
  organizationId: t.string(),
  preferences: t.field({ type: 'JSON', description: 'A JSON object.' }),
  customFields: t.field({ type: 'JSON', description: 'A JSON object.' }),
});
const extraKeyFields = (t: PothosSchemaTypes.InputFieldBuilder<GatewaySchemaTypes, 'InputObject'>) => ({
  gateId: t.id({ description: "gate's id of the user extra (`Extra.gateId`); or give `username`." }),
  username: t.string({ description: "The username of the extra's person; or give `gateId`." }),
});

const CreateExtraInput = builder.inputType('CreateExtraInput', {
  description: "A person's user extra; the person is named by `username` or by gate's id (`parent`).",
  fields: (t) => ({ username: t.string(), parent: t.id({ description: "The person's gate user id (`User.gateId`)." }), ...extraFieldsInput(t) }),
});
const ExtraChangesInput = builder.inputType('ExtraChangesInput', {
  description: 'The fields to change; gate merges `preferences` and `customFields` key by key.',
  fields: extraFieldsInput,
});
const ExtraReplacementInput = builder.inputType('ExtraReplacementInput', {
  description: 'The extra as a whole: what is left out is emptied, but for `organizationId`, which stays as it is unless given.',
  fields: extraFieldsInput,
});
const UpdateExtraInput = builder.inputType('UpdateExtraInput', {
  fields: (t) => ({ ...extraKeyFields(t), changes: t.field({ type: ExtraChangesInput, required: true }) }),
});
const ReplaceExtraInput = builder.inputType('ReplaceExtraInput', {
  fields: (t) => ({ ...extraKeyFields(t), extra: t.field({ type: ExtraReplacementInput, required: true }) }),
});
const DeleteExtraInput = builder.inputType('DeleteExtraInput', { fields: extraKeyFields });

const ExtraPayload = (name: string) =>
  payloadType<{ extra: GateUserExtra }>(name, 'The user extra as gate now has it.', (t) => ({ extra: t.field({ type: ExtraRef, resolve: ({ extra }) => extra }) }));

const CreateExtraResult = mutationResult('CreateExtraResult', ExtraPayload('CreateExtraPayload'), [ValidationError, NotFoundError, ConflictError, ...writeFailures]);
const UpdateExtraResult = mutationResult('UpdateExtraResult', ExtraPayload('UpdateExtraPayload'), [ValidationError, NotFoundError, ...writeFailures]);
const ReplaceExtraResult = mutationResult('ReplaceExtraResult', ExtraPayload('ReplaceExtraPayload'), [ValidationError, NotFoundError, ...writeFailures]);
const DeleteExtraResult = mutationResult(
  'DeleteExtraResult',
  payloadType<{ deletedExtraId: string }>('DeleteExtraPayload', 'The user extra that was deleted.', (t) => ({
    deletedExtraId: t.exposeID('deletedExtraId', { description: 'The global id the user extra had.' }),
  })),
  [ValidationError, NotFoundError, ...writeFailures],
);

builder.mutationFields((t) => ({
  createExtra: t.field({
    type: CreateExtraResult,
    description: 'Creates the user extra of a person (POST /user_extra/). A person has one at most: a second is a ConflictError.',
    args: { input: t.arg({ type: CreateExtraInput, required: true }) },
    resolve: (_root, { input }, context, info) =>
      performMutation(context, info, async (audit) => {
        const { username, parent, ...fields } = checkedInput(newExtra, input);
        context.writeScope.checkExtraNumber(fields.organizationId, 'organizationId');
        const { gate } = context.clients;
        if (parent !== undefined) context.writeScope.found(await gate.getUser(parent), `gate has no user of id ${parent}`);
        const parentId = parent ?? (await gateUserNamed(context, username as string)).id;
        const extra = await withLocks(context.writes, [`extra-of:${parentId}`], () =>
          confirmedCreate(() => gate.createExtra({ ...fields, parent: parentId }), {
            clients: context.clients,
            readBack: (recovery) => recovery.gate.findExtraByParent(parentId, false),
            landed: (current) => shows(current, fields),
            taken: 'this person has a user extra already',
          }),
        );
        audit.created.push({ record: 'gate.userExtra', id: String(extra.id) });
        context.gate.wrote.extra(extra);
        return { extra };
      }),
  }),
  updateExtra: t.field({
    type: UpdateExtraResult,
    description: 'Changes a user extra (PATCH): gate merges `preferences` and `customFields` key by key.',
    args: { input: t.arg({ type: UpdateExtraInput, required: true }) },
    resolve: (_root, { input }, context, info) =>
      performMutation(context, info, async (audit) => {
        const { changes, ...key } = checkedInput(updateExtra, input);
        context.writeScope.checkExtraNumber(changes.organizationId, 'changes.organizationId');
        const id = String((await extraNamed(context, key)).id);
        const { gate } = context.clients;
        const extra = await confirmedWrite(() => gate.updateExtra(id, changes), {
          clients: context.clients,
          readBack: (recovery) => recovery.gate.getExtra(id, false),
          landed: (current) => shows(current, changes),
        });
        audit.changed.push({ record: 'gate.userExtra', id });
        context.gate.wrote.extra(extra);
        return { extra };
      }),
  }),
  replaceExtra: t.field({
    type: ReplaceExtraResult,
    description: 'Replaces a user extra as a whole (PUT); it stays with its person.',
    args: { input: t.arg({ type: ReplaceExtraInput, required: true }) },
    resolve: (_root, { input }, context, info) =>
      performMutation(context, info, async (audit) => {
        const { extra: fields, ...key } = checkedInput(replaceExtra, input);
        const { writeScope } = context;
        writeScope.checkExtraNumber(fields.organizationId, 'extra.organizationId');
        const previous = await extraNamed(context, key);
        const id = String(previous.id);
        // PUT wants the whole record: the person it belongs to, where it is filed (unchanged when not
        // given: the docs show it only as a string, and emptying it would unfile the record), and
        // every object (empty when not given).
        const organizationId = fields.organizationId ?? previous.organizationId;
        const whole = { parent: previous.parent, organizationId, preferences: fields.preferences ?? {}, customFields: fields.customFields ?? {} };
        const { gate } = context.clients;
        const extra = await confirmedWrite(() => gate.replaceExtra(id, whole), {
          clients: context.clients,
          readBack: (recovery) => recovery.gate.getExtra(id, false),
          landed: (current) => shows(current, whole),
        });
        audit.changed.push({ record: 'gate.userExtra', id });
        context.gate.wrote.extra(extra);
        return { extra };
      }),
  }),
  deleteExtra: t.field({
    type: DeleteExtraResult,
    description: 'Deletes a user extra.',
    args: { input: t.arg({ type: DeleteExtraInput, required: true }) },
    resolve: (_root, { input }, context, info) =>
      performMutation(context, info, async (audit) => {
        const extra = await extraNamed(context, checkedInput(deleteExtra, input));
        const id = String(extra.id);
        await removals(context.clients).gateUserExtra(id);
        audit.removed.push({ record: 'gate.userExtra', id });
        context.gate.wrote.extraGone(extra);
        return { deletedExtraId: encodeGlobalId('Extra', id) };
      }),
  }),
}));
