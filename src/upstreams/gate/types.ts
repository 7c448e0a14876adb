import { z } from 'zod';
import { jsonObject, optionalNumber, optionalString, optionalTimestamp } from '../validation.ts';

/** gate lists: `{count, next, previous, results}`; next/previous are ignored (they may name another host). */
export function gateList<T extends z.ZodType>(item: T) {
  return z.object({ count: z.number().int().nonnegative(), results: z.array(item) });
}

const gateUserProfile = z.object({
  first_name: optionalString,
  last_name: optionalString,
  role: optionalString,
  created_at: optionalTimestamp,
  updated_at: optionalTimestamp,
  last_login: optionalTimestamp,
});

/** gate `/user/`: string ids, profile fields flattened. The password never comes back. */
export const gateUserSchema = z
  .object({
    id: z.union([z.string(), z.number()]).transform(String),
    username: z.string(),
    email: optionalString,
    organization: optionalString,
    profile: gateUserProfile.nullish(),
  })
  .transform(({ profile, ...user }) => ({
    ...user,
    firstName: profile?.first_name ?? null,
    lastName: profile?.last_name ?? null,
    role: profile?.role ?? null,
    createdAt: profile?.created_at ?? null,
    updatedAt: profile?.updated_at ?? null,
    lastLogin: profile?.last_login ?? null,
  }));
export type GateUser = z.output<typeof gateUserSchema>;

/** gate `/user_token/`: balance fields are present only when read with `balance=true`. */
export const gateUserTokenSchema = z
  .object({
    id: z.number().int(),
    username: z.string(),
    email: optionalString,
    organization: optionalString,
    is_active: z.boolean().nullish(),
    token: optionalString,
    balance_seconds: optionalNumber,
    created_at: optionalTimestamp,
    updated_at: optionalTimestamp,
    last_login: optionalTimestamp,
    profile: z
      .object({
        max_sessions: optionalNumber,
        access_level: optionalString,
        total_usage_seconds: optionalNumber,
        last_activity: optionalTimestamp,
      })
      .nullish(),
  })
  .transform(({ profile, is_active, balance_seconds, created_at, updated_at, last_login, ...token }) => ({
    ...token,
    isActive: is_active ?? null,
    createdAt: created_at,
    updatedAt: updated_at,
    lastLogin: last_login,
    maxSessions: profile?.max_sessions ?? null,
    accessLevel: profile?.access_level ?? null,
    balanceSeconds: balance_seconds,
    totalUsageSeconds: profile?.total_usage_seconds ?? null,
    lastActivity: profile?.last_activity ?? null,
  }));
export type GateUserToken = z.output<typeof gateUserTokenSchema>;

const deviceSchema = z
  .object({
    device_id: optionalString,
    device_type: optionalString,
    serial_number: optionalString,
    model: optionalString,
    status: optionalString,
    assigned_date: optionalTimestamp,
  })
  .transform((device) => ({
    deviceId: device.device_id,
    deviceType: device.device_type,
    serialNumber: device.serial_number,
    model: device.model,
    status: device.status,
    assignedAt: device.assigned_date,
  }));
export type GateDevice = z.output<typeof deviceSchema>;

/** gate `/user_extra/`: `device_info` is present only when read with `device_info=true`. */
export const gateUserExtraSchema = z
  .object({
    id: z.number().int(),
    parent: z.union([z.number(), z.string()]).transform(String),
    organization_id: z.union([z.string(), z.number()]).nullish().transform((id) => (id == null ? null : String(id))),
    preferences: jsonObject.nullish().transform((value) => value ?? null),
    custom_fields: jsonObject.nullish().transform((value) => value ?? null),
    device_info: z
      .object({ assigned_devices: z.array(deviceSchema).nullish(), device_count: optionalNumber })
      .nullish(),
    created_at: optionalTimestamp,
    updated_at: optionalTimestamp,
  })
  .transform(({ organization_id, custom_fields, device_info, created_at, updated_at, ...extra }) => ({
    ...extra,
    organizationId: organization_id,
    customFields: custom_fields,
    devices: device_info ? (device_info.assigned_devices ?? []) : null,
    createdAt: created_at,
    updatedAt: updated_at,
  }));
export type GateUserExtra = z.output<typeof gateUserExtraSchema>;

export const gateUserListSchema = gateList(gateUserSchema);
export const gateUserTokenListSchema = gateList(gateUserTokenSchema);
export const gateUserExtraListSchema = gateList(gateUserExtraSchema);
