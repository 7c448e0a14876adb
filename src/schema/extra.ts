import type { GateDevice, GateUserExtra } from '../upstreams/gate/types.ts';
import { builder } from './builder.ts';
import { compositeId, integerId, splitCompositeId } from './global-ids.ts';
import { nameInput } from './inputs.ts';
import { settleNodes } from './nodes.ts';
import { connectionDescription, countedListReader, resolveConnection } from './pagination.ts';
import { selectsPath } from './selection.ts';
import { UserRef } from './user.ts';
import type { GatewayContext } from '../server/context.ts';

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
