import { z } from 'zod';
import { checkedLater, FieldReader, optionalBoolean, optionalString } from '../validation.ts';

const userFields = new FieldReader('switch', 'user');
/** An id as GraphQL's `Int` holds it: the record's key, so a bad one fails the record. */
const int32 = z.number().int().min(-(2 ** 31)).max(2 ** 31 - 1);

/**
 * A switch user. `passwd` (a password hash) and `cdr_api_token` are secrets: not being in this
 * schema, they are dropped at the boundary.
 */
export const switchUserSchema = z
  .object({
    user_id: int32,
    name: z.string(),
    user_type: optionalString,
    role_id: checkedLater,
    role_name: optionalString,
    carrier_name: optionalString,
    active: optionalBoolean,
    is_online: checkedLater,
    email: optionalString,
    first_name: optionalString,
    last_name: optionalString,
    fullname: optionalString,
    client_id: checkedLater,
    reseller_id: checkedLater,
    create_time: checkedLater,
    last_login_time: checkedLater,
    last_seen: checkedLater,
    login_ip: optionalString,
    auth_ip: z.array(z.string()).nullish(),
  })
  .transform((user) => ({
    userId: user.user_id,
    name: user.name,
    userType: user.user_type ?? null,
    roleId: userFields.int(user.role_id, 'role_id'),
    roleName: user.role_name ?? null,
    carrierName: user.carrier_name ?? null,
    active: user.active ?? null,
    // An integer state code in the docs (`2`); a boolean is read as 1/0 rather than refused.
    isOnline: userFields.int(typeof user.is_online === 'boolean' ? Number(user.is_online) : user.is_online, 'is_online'),
    email: user.email ?? null,
    firstName: user.first_name ?? null,
    lastName: user.last_name ?? null,
    fullName: user.fullname ?? null,
    clientId: userFields.int(user.client_id, 'client_id'),
    resellerId: userFields.int(user.reseller_id, 'reseller_id'),
    createTime: userFields.timestamp(user.create_time, 'create_time'),
    lastLoginTime: userFields.timestamp(user.last_login_time, 'last_login_time'),
    lastSeen: userFields.timestamp(user.last_seen, 'last_seen'),
    loginIp: user.login_ip ?? null,
    authIps: user.auth_ip ?? [],
  }));
export type SwitchUser = z.output<typeof switchUserSchema>;

/** The envelope: only `success: false` means an error (the docs' own example has no `success`). */
export const switchEnvelopeSchema = z.object({
  success: z.boolean().optional(),
  error_type: optionalString,
  error: z.object({ message: optionalString, code: z.number().nullish(), reason: optionalString }).nullish(),
  payload: z.unknown().optional(),
});

/** `per_page` and `page` echo the request; only `total` and `items` are needed to page. */
export const switchUserPageSchema = z.object({
  per_page: z.number().int().nonnegative().optional(),
  total: z.number().int().nonnegative(),
  items: z.array(switchUserSchema),
});
