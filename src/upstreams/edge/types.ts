import { z } from 'zod';
import { optionalBoolean, optionalString, optionalTimestamp, utc } from '../validation.ts';

/** edge users; the upstream's own `url` fields name its internal host and are left behind. */
export const edgeUserSchema = z
  .object({
    id: z.string(),
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
    date_joined: optionalTimestamp,
    previous_login_date: optionalTimestamp,
  })
  .transform((user) => ({
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
    dateJoined: utc(user.date_joined),
    previousLoginDate: utc(user.previous_login_date),
  }));
export type EdgeUser = z.output<typeof edgeUserSchema>;

/**
 * edge access tokens as read back: `token` is empty after creation and `hashed_token` is a
 * secret, so neither is kept.
 */
export const edgeAccessTokenSchema = z
  .object({
    id: z.string(),
    title: optionalString,
    active: optionalBoolean,
    created_on: optionalTimestamp,
    updated_on: optionalTimestamp,
    last_used: optionalTimestamp,
    expires: optionalTimestamp,
  })
  .transform((token) => ({
    id: token.id,
    title: token.title ?? null,
    active: token.active ?? null,
    createdAt: utc(token.created_on),
    updatedAt: utc(token.updated_on),
    lastUsedAt: utc(token.last_used),
    expiresAt: utc(token.expires),
  }));
export type EdgeAccessToken = z.output<typeof edgeAccessTokenSchema>;

export const edgeLoginAttemptSchema = z
  .object({
    success: optionalBoolean,
    user_agent: optionalString,
    attempted_on: optionalTimestamp,
    remote_address: optionalString,
  })
  .transform((attempt) => ({
    success: attempt.success ?? null,
    userAgent: attempt.user_agent ?? null,
    attemptedAt: utc(attempt.attempted_on),
    remoteAddress: attempt.remote_address ?? null,
  }));
export type EdgeLoginAttempt = z.output<typeof edgeLoginAttemptSchema>;

export const edgeUserListSchema = z.array(edgeUserSchema);
export const edgeAccessTokenListSchema = z.array(edgeAccessTokenSchema);
export const edgeLoginHistorySchema = z.array(edgeLoginAttemptSchema);
