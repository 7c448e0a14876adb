import { z } from 'zod';
import { checkedLater, documented, FieldReader, jsonObject, optionalBoolean, optionalString, sometimesShown } from '../validation.ts';

/** gate lists: `{count, next, previous, results}`; next/previous are ignored (they may name another host). */
export function gateList<T extends z.ZodType>(item: T) {
  return documented(z.object({ count: z.number().int().nonnegative(), results: z.array(item) }), ['next', 'previous']);
}

const gateId = z.union([z.string(), z.number()]);

const userFields = new FieldReader('gate', 'user');
const tokenFields = new FieldReader('gate', 'user token');
const extraFields = new FieldReader('gate', 'user extra');

/** gate `/user/`: string ids, profile fields flattened. The password never comes back. */
export const gateUserSchema = z
  .object({
    id: gateId,
    username: z.string(),
    email: optionalString,
    organization: optionalString,
    // The docs show `updated_at` in write answers only, `last_login` on some reads (never for whom never logged in).
    profile: sometimesShown(
      z.object({
        first_name: optionalString,
        last_name: optionalString,
        role: optionalString,
        created_at: checkedLater,
        updated_at: checkedLater,
        last_login: checkedLater,
      }),
      ['updated_at', 'last_login'],
    ).nullish(),
  })
  .transform(({ id, username, email, organization, profile }) => ({
    id: String(id),
    username,
    email: email ?? null,
    organization: organization ?? null,
    firstName: profile?.first_name ?? null,
    lastName: profile?.last_name ?? null,
    role: profile?.role ?? null,
    createdAt: userFields.timestamp(profile?.created_at, 'profile.created_at'),
    updatedAt: userFields.timestamp(profile?.updated_at, 'profile.updated_at'),
    lastLogin: userFields.timestamp(profile?.last_login, 'profile.last_login'),
  }));
export type GateUser = z.output<typeof gateUserSchema>;

/** gate `/user_token/`: balance fields are present only when read with `balance=true`, `updated_at` in write answers. */
export const gateUserTokenSchema = sometimesShown(
  z.object({
    id: z.number().int(),
    username: z.string(),
    email: optionalString,
    organization: optionalString,
    is_active: optionalBoolean,
    token: optionalString,
    balance_seconds: checkedLater,
    created_at: checkedLater,
    updated_at: checkedLater,
    last_login: checkedLater,
    profile: sometimesShown(
      z.object({
        max_sessions: checkedLater,
        access_level: optionalString,
        total_usage_seconds: checkedLater,
        last_activity: checkedLater,
      }),
      ['total_usage_seconds', 'last_activity'],
    ).nullish(),
  }),
  ['balance_seconds', 'updated_at'],
).transform((token) => ({
    id: token.id,
    username: token.username,
    email: token.email ?? null,
    organization: token.organization ?? null,
    isActive: token.is_active ?? null,
    token: token.token ?? null,
    createdAt: tokenFields.timestamp(token.created_at, 'created_at'),
    updatedAt: tokenFields.timestamp(token.updated_at, 'updated_at'),
    lastLogin: tokenFields.timestamp(token.last_login, 'last_login'),
    maxSessions: tokenFields.int(token.profile?.max_sessions, 'profile.max_sessions'),
    accessLevel: token.profile?.access_level ?? null,
    balanceSeconds: tokenFields.seconds(token.balance_seconds, 'balance_seconds'),
    totalUsageSeconds: tokenFields.seconds(token.profile?.total_usage_seconds, 'profile.total_usage_seconds'),
    lastActivity: tokenFields.timestamp(token.profile?.last_activity, 'profile.last_activity'),
  }));
export type GateUserToken = z.output<typeof gateUserTokenSchema>;

const deviceSchema = z
  .object({
    device_id: optionalString,
    device_type: optionalString,
    serial_number: optionalString,
    model: optionalString,
    status: optionalString,
    assigned_date: checkedLater,
  })
  .transform((device) => ({
    deviceId: device.device_id ?? null,
    deviceType: device.device_type ?? null,
    serialNumber: device.serial_number ?? null,
    model: device.model ?? null,
    status: device.status ?? null,
    assignedAt: extraFields.timestamp(device.assigned_date, 'device_info.assigned_devices.assigned_date'),
  }));
export type GateDevice = z.output<typeof deviceSchema>;

/** gate `/user_extra/`: `device_info` is present only when read with `device_info=true`. */
export const gateUserExtraSchema = sometimesShown(
  z.object({
    id: z.number().int(),
    parent: gateId,
    organization_id: gateId.nullish(),
    preferences: jsonObject.nullish(),
    custom_fields: jsonObject.nullish(),
    // `device_count` is only the length of `assigned_devices`.
    device_info: documented(z.object({ assigned_devices: z.array(deviceSchema).nullish() }), ['device_count']).nullish(),
    created_at: checkedLater,
    updated_at: checkedLater,
  }),
  ['device_info'],
).transform((extra) => ({
    id: extra.id,
    parent: String(extra.parent),
    organizationId: extra.organization_id == null ? null : String(extra.organization_id),
    preferences: extra.preferences ?? null,
    customFields: extra.custom_fields ?? null,
    devices: extra.device_info ? (extra.device_info.assigned_devices ?? []) : null,
    createdAt: extraFields.timestamp(extra.created_at, 'created_at'),
    updatedAt: extraFields.timestamp(extra.updated_at, 'updated_at'),
  }));
export type GateUserExtra = z.output<typeof gateUserExtraSchema>;

export const gateUserListSchema = gateList(gateUserSchema);
export const gateUserTokenListSchema = gateList(gateUserTokenSchema);
export const gateUserExtraListSchema = gateList(gateUserExtraSchema);

// ---- writes: camelCase in, gate's own field names out; only what the docs let a client send ----

type JsonBody = Record<string, unknown>;

/** Drops the fields left undefined: a PATCH sends only what changes, a POST only what was given. */
function defined(body: JsonBody): JsonBody {
  const kept: JsonBody = {};
  for (const key in body) if (body[key] !== undefined) kept[key] = body[key];
  return kept;
}

/** A nested object, or nothing at all when none of its fields is given. */
function nested(body: JsonBody): JsonBody | undefined {
  const kept = defined(body);
  return Object.keys(kept).length ? kept : undefined;
}

/** The fields of a gate user a client writes (`/user/`): the profile ones are nested there. */
export interface GateUserFields {
  username?: string;
  email?: string;
  password?: string;
  organization?: string | null;
  firstName?: string | null;
  lastName?: string | null;
  role?: string | null;
}

/**
 * gate's body for a user. `whole` (PUT) sends every field, so that what is left out is emptied
 * rather than kept: `organization` as null, and the profile as a whole with only the names and
 * role given (a PUT replaces it; gate refuses null for those strings, which its docs show only
 * as strings). Otherwise (POST, PATCH) only what is given.
 */
export function gateUserBody(fields: GateUserFields, whole = false): JsonBody {
  // Null in a replacement means "not given": emptied, as what is left out.
  const given = (value: string | null | undefined) => (whole ? (value ?? undefined) : value);
  const profile = defined({ first_name: given(fields.firstName), last_name: given(fields.lastName), role: given(fields.role) });
  return defined({
    username: fields.username,
    email: fields.email,
    password: fields.password,
    organization: whole ? (fields.organization ?? null) : fields.organization,
    profile: whole ? profile : nested(profile),
  });
}

/** The fields of a user token a client writes (`/user_token/`). */
export interface GateTokenFields {
  username?: string;
  email?: string;
  organization?: string;
  isActive?: boolean;
  maxSessions?: number;
  accessLevel?: string;
}

/** A new user token: its balance goes as `initial_balance_seconds`, as the docs' POST shows. */
export function gateNewTokenBody(fields: GateTokenFields & { initialBalanceSeconds?: number }): JsonBody {
  return defined({ ...gateTokenBody(fields), initial_balance_seconds: fields.initialBalanceSeconds });
}

/** A change to a user token; `balanceSeconds` sets the balance absolutely (gate has no increment). */
export function gateTokenBody(fields: GateTokenFields & { balanceSeconds?: number }): JsonBody {
  return defined({
    username: fields.username,
    email: fields.email,
    organization: fields.organization,
    is_active: fields.isActive,
    balance_seconds: fields.balanceSeconds,
    profile: nested({ max_sessions: fields.maxSessions, access_level: fields.accessLevel }),
  });
}

/** The fields of a user extra a client writes (`/user_extra/`); gate merges nested objects on PATCH. */
export interface GateExtraFields {
  /** The gate user's id: an integer in `/user_extra/`, a string in `/user/`. */
  parent?: string;
  organizationId?: string | null;
  preferences?: Record<string, unknown>;
  customFields?: Record<string, unknown>;
}

export function gateExtraBody(fields: GateExtraFields): JsonBody {
  const parent = fields.parent === undefined ? undefined : /^\d+$/.test(fields.parent) ? Number(fields.parent) : fields.parent;
  return defined({ parent, organization_id: fields.organizationId, preferences: fields.preferences, custom_fields: fields.customFields });
}
