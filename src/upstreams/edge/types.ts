import { z } from 'zod';
import { isAddressable } from '../http.ts';
import { checkedLater, documented, FieldReader, optionalBoolean, optionalString } from '../validation.ts';

/** edge ids are opaque; as they become path segments (`/users/{id}/tokens/`), they must be addressable. */
const edgeId = z.string().refine(isAddressable, 'not an id that can be part of a URL path');

const userFields = new FieldReader('edge', 'user');
const tokenFields = new FieldReader('edge', 'access token');
const attemptFields = new FieldReader('edge', 'login attempt');

/** edge users; the upstream's own `url` fields name its internal host and are left behind. */
export const edgeUserSchema = documented(
  z.object({
    id: edgeId,
    username: z.string(),
    email: optionalString,
    first_name: optionalString,
    last_name: optionalString,
    description: optionalString,
    organization: optionalString,
    is_active: optionalBoolean,
    is_superuser: optionalBoolean,
    is_staff: optionalBoolean,
    can_inbox: optionalBoolean,
    allow_rest_access: optionalBoolean,
    memberships: z.array(z.string()).nullish(),
    preferences: z.unknown().optional(),
    date_joined: checkedLater,
    previous_login_date: checkedLater,
  }),
  ['url', 'access_tokens_url', 'login_history_url'],
).transform((user) => ({
  id: user.id,
  username: user.username,
  email: user.email ?? null,
  firstName: user.first_name ?? null,
  lastName: user.last_name ?? null,
  description: user.description ?? null,
  organization: user.organization ?? null,
  isActive: user.is_active ?? null,
  isSuperuser: user.is_superuser ?? null,
  isStaff: user.is_staff ?? null,
  canInbox: user.can_inbox ?? null,
  allowRestAccess: user.allow_rest_access ?? null,
  memberships: user.memberships ?? [],
  preferences: user.preferences ?? null,
  dateJoined: userFields.timestamp(user.date_joined, 'date_joined'),
  previousLoginDate: userFields.timestamp(user.previous_login_date, 'previous_login_date'),
}));
export type EdgeUser = z.output<typeof edgeUserSchema>;

const accessTokenFields = {
  id: edgeId,
  title: optionalString,
  active: optionalBoolean,
  created_on: checkedLater,
  updated_on: checkedLater,
  last_used: checkedLater,
  expires: checkedLater,
};

function toAccessToken(token: z.output<z.ZodObject<typeof accessTokenFields>>) {
  return {
    id: token.id,
    title: token.title ?? null,
    active: token.active ?? null,
    createdAt: tokenFields.timestamp(token.created_on, 'created_on'),
    updatedAt: tokenFields.timestamp(token.updated_on, 'updated_on'),
    lastUsedAt: tokenFields.timestamp(token.last_used, 'last_used'),
    expiresAt: tokenFields.timestamp(token.expires, 'expires'),
  };
}

/**
 * edge access tokens as read back: `token` is empty after creation and `hashed_token` is a
 * secret, so neither is kept.
 */
export const edgeAccessTokenSchema = documented(z.object(accessTokenFields), ['url', 'token', 'hashed_token', 'user']).transform(toAccessToken);
export type EdgeAccessToken = z.output<typeof edgeAccessTokenSchema>;

export const edgeLoginAttemptSchema = z
  .object({
    success: optionalBoolean,
    user_agent: optionalString,
    attempted_on: checkedLater,
    remote_address: optionalString,
  })
  .transform((attempt) => ({
    success: attempt.success ?? null,
    userAgent: attempt.user_agent ?? null,
    attemptedAt: attemptFields.timestamp(attempt.attempted_on, 'attempted_on'),
    remoteAddress: attempt.remote_address ?? null,
  }));
export type EdgeLoginAttempt = z.output<typeof edgeLoginAttemptSchema>;

export const edgeUserListSchema = z.array(edgeUserSchema);
export const edgeAccessTokenListSchema = z.array(edgeAccessTokenSchema);
export const edgeLoginHistorySchema = z.array(edgeLoginAttemptSchema);

/** A new access token as edge answers its POST: the only time its plaintext `token` is sent. */
export const edgeCreatedAccessTokenSchema = documented(z.object({ ...accessTokenFields, token: z.string().min(1) }), ['url', 'hashed_token', 'user']).transform(
  (created) => ({ token: toAccessToken(created), plaintext: created.token }),
);

/** The fields of an edge user a client writes; `password` only on creation (edge's PATCH ignores it). */
export interface EdgeUserFields {
  username?: string;
  password?: string;
  firstName?: string;
  lastName?: string;
  email?: string;
  description?: string;
  isActive?: boolean;
  isSuperuser?: boolean;
  isStaff?: boolean;
  canInbox?: boolean;
  allowRestAccess?: boolean;
  organization?: string | null;
  memberships?: string[];
}

/** edge's own field names, with the fields left undefined dropped. */
export function edgeUserBody(fields: EdgeUserFields): Record<string, unknown> {
  const body: Record<string, unknown> = {
    username: fields.username,
    password: fields.password,
    first_name: fields.firstName,
    last_name: fields.lastName,
    email: fields.email,
    description: fields.description,
    is_active: fields.isActive,
    is_superuser: fields.isSuperuser,
    is_staff: fields.isStaff,
    can_inbox: fields.canInbox,
    allow_rest_access: fields.allowRestAccess,
    organization: fields.organization,
    memberships: fields.memberships,
  };
  for (const key of Object.keys(body)) if (body[key] === undefined) delete body[key];
  return body;
}
