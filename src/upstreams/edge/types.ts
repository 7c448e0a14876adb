import { z } from 'zod';
import { optionalBoolean, optionalString, optionalTimestamp, utcTimestamp } from '../validation.ts';

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
    memberships: z.array(z.string()).nullish().transform((value) => value ?? []),
    preferences: z.unknown().optional().transform((value) => value ?? null),
    date_joined: optionalTimestamp,
    previous_login_date: optionalTimestamp,
  })
  .transform((user) => ({
    id: user.id,
    username: user.username,
    email: user.email,
    firstName: user.first_name,
    lastName: user.last_name,
    description: user.description,
    organization: user.organization,
    isActive: user.is_active,
    isSuperuser: user.is_superuser,
    isStaff: user.is_staff,
    canInbox: user.can_inbox,
    allowRestAccess: user.allow_rest_access,
    memberships: user.memberships,
    preferences: user.preferences,
    dateJoined: user.date_joined,
    previousLoginDate: user.previous_login_date,
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
    title: token.title,
    active: token.active,
    createdAt: token.created_on,
    updatedAt: token.updated_on,
    lastUsedAt: token.last_used,
    expiresAt: token.expires,
  }));
export type EdgeAccessToken = z.output<typeof edgeAccessTokenSchema> & { userId: string };

export const edgeLoginAttemptSchema = z
  .object({
    success: optionalBoolean,
    user_agent: optionalString,
    attempted_on: utcTimestamp,
    remote_address: optionalString,
  })
  .transform((attempt) => ({
    success: attempt.success,
    userAgent: attempt.user_agent,
    attemptedAt: attempt.attempted_on,
    remoteAddress: attempt.remote_address,
  }));
/**
 * History entries have no id upstream: one is identified by its user, its time and, for attempts
 * in the same instant, how many came before it.
 */
export type EdgeLoginAttempt = z.output<typeof edgeLoginAttemptSchema> & { userId: string; occurrence: number };

export const edgeUserListSchema = z.array(edgeUserSchema);
export const edgeAccessTokenListSchema = z.array(edgeAccessTokenSchema);
export const edgeLoginHistorySchema = z.array(edgeLoginAttemptSchema);
