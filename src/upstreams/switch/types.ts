import { z } from 'zod';
import { optionalBoolean, optionalNumber, optionalString, optionalTimestamp, utc } from '../validation.ts';

/**
 * A switch user. `passwd` (a password hash) and `cdr_api_token` are secrets: not being in this
 * schema, they are dropped at the boundary.
 */
export const switchUserSchema = z
  .object({
    user_id: z.number().int(),
    name: z.string(),
    user_type: optionalString,
    role_id: optionalNumber,
    role_name: optionalString,
    carrier_name: optionalString,
    active: optionalBoolean,
    is_online: z.union([z.number(), z.boolean()]).nullish(),
    email: optionalString,
    first_name: optionalString,
    last_name: optionalString,
    fullname: optionalString,
    client_id: optionalNumber,
    reseller_id: optionalNumber,
    create_time: optionalTimestamp,
    last_login_time: optionalTimestamp,
    last_seen: optionalTimestamp,
    login_ip: optionalString,
    auth_ip: z.array(z.string()).nullish(),
  })
  .transform((user) => ({
    userId: user.user_id,
    name: user.name,
    userType: user.user_type ?? null,
    roleId: user.role_id ?? null,
    roleName: user.role_name ?? null,
    carrierName: user.carrier_name ?? null,
    active: user.active ?? null,
    // An integer state code in the docs (`2`); a boolean is read as 1/0 rather than refused.
    isOnline: typeof user.is_online === 'boolean' ? Number(user.is_online) : (user.is_online ?? null),
    email: user.email ?? null,
    firstName: user.first_name ?? null,
    lastName: user.last_name ?? null,
    fullName: user.fullname ?? null,
    clientId: user.client_id ?? null,
    resellerId: user.reseller_id ?? null,
    createTime: utc(user.create_time),
    lastLoginTime: utc(user.last_login_time),
    lastSeen: utc(user.last_seen),
    loginIp: user.login_ip ?? null,
    authIps: user.auth_ip ?? [],
  }));
export type SwitchUser = z.output<typeof switchUserSchema>;

/** The envelope: only `success: false` means an error (the docs' own example has no `success`). */
export const switchEnvelopeSchema = z.object({
  success: z.boolean().optional(),
  error_type: optionalString,
  error: z.object({ message: optionalString, code: optionalNumber, reason: optionalString }).nullish(),
  payload: z.unknown().optional(),
});

/** `per_page` and `page` echo the request; only `total` and `items` are needed to page. */
export const switchUserPageSchema = z.object({
  per_page: z.number().int().nonnegative().optional(),
  total: z.number().int().nonnegative(),
  items: z.array(switchUserSchema),
});
