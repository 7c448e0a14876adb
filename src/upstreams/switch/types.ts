import { z } from 'zod';
import { checkedLater, documented, FieldReader, optionalBoolean, optionalString } from '../validation.ts';

const userFields = new FieldReader('switch', 'user');
/** An id as GraphQL's `Int` holds it: the record's key, so a bad one fails the record. */
const int32 = z.number().int().min(-(2 ** 31)).max(2 ** 31 - 1);

/**
 * What the docs' example item holds besides what is read. `passwd` (a password hash) and
 * `cdr_api_token` are secrets: not being read, they are dropped at the boundary with the rest.
 */
const SWITCH_USER_UNREAD = [
  'passwd', 'cdr_api_token', 'default_mod', 'default_mod2', 'outbound_report', 'client_limits', 'all_termination',
  'report_fields', 'client', 'report_count', 'cdr_expire', 'is_preload', 'landing_page', 'avatar_id', 'create_user_id',
  'agent', 'report_group', 'default_billing_decimal', 'card_id', 'show_carrier_trunk_drop_only',
];

/** A switch user; only the fields the schema serves are kept (see `SWITCH_USER_UNREAD`). */
export const switchUserSchema = documented(
  z.object({
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
  }),
  SWITCH_USER_UNREAD,
).transform((user) => ({
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

/**
 * A reply that is no refusal (those are read whatever their status, by the envelope above): its
 * `payload` is all that is read; the docs' own example has no `success` key.
 */
export const switchReplySchema = documented(z.object({ success: z.boolean().optional(), payload: z.unknown() }), ['error_type', 'error']);

/** `per_page` and `page` echo the request; only `total` and `items` are needed to page. */
export const switchUserPageSchema = documented(
  z.object({
    per_page: z.number().int().nonnegative().optional(),
    total: z.number().int().nonnegative(),
    items: z.array(switchUserSchema),
  }),
  ['page'],
);
