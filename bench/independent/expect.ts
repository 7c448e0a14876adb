// What the gateway should answer, worked out from the dataset alone: each upstream record as its
// GraphQL type (from schema/schema.graphql), the Relay window algorithm as the README states it,
// and a diff that names where two answers part.
import { isoOf, type Dataset, type EdgeLogin, type EdgeToken, type EdgeUser, type GateExtra, type GateToken, type GateUser, type SwitchItem } from './dataset.ts';

// ---------- selections and projections, one pair per type ----------

export const USER_FIELDS = 'username gateId email organization firstName lastName role createdAt lastLogin updatedAt';
export function expectUser(user: GateUser): Record<string, unknown> {
  return {
    username: user.username,
    gateId: user.id,
    email: user.email,
    organization: user.organization,
    firstName: user.profile.first_name,
    lastName: user.profile.last_name,
    role: user.profile.role,
    createdAt: isoOf(user._moments.created),
    lastLogin: isoOf(user._moments.lastLogin),
    updatedAt: isoOf(user._moments.updated),
  };
}

export const TOKEN_FIELDS = 'gateId username email organization isActive token accessLevel maxSessions createdAt lastLogin updatedAt';
export function expectToken(token: GateToken): Record<string, unknown> {
  return {
    gateId: String(token.id),
    username: token.username,
    email: token.email,
    organization: token.organization,
    isActive: token.is_active,
    token: token.token,
    accessLevel: token.profile.access_level,
    maxSessions: token.profile.max_sessions,
    createdAt: isoOf(token._moments.created),
    lastLogin: isoOf(token._moments.lastLogin),
    updatedAt: isoOf(token._moments.updated),
  };
}

/** humanReadable is the gateway's own format (`1d 2h 3m 4s`): checked by what it adds up to. */
export const BALANCE_FIELDS = 'seconds totalUsageSeconds lastActivity humanReadable';
export function expectBalance(token: GateToken): Record<string, unknown> {
  return {
    seconds: Math.floor(token._balance_seconds),
    totalUsageSeconds: token._total_usage_seconds,
    lastActivity: isoOf(token._moments.lastActivity),
  };
}
export function secondsOfHumanReadable(text: unknown): number | undefined {
  if (typeof text !== 'string' || !/^(\d+[dhms] ?)+$/.test(text.trim())) return undefined;
  const units: Record<string, number> = { d: 86_400, h: 3_600, m: 60, s: 1 };
  let total = 0;
  for (const [, value, unit] of text.matchAll(/(\d+)([dhms])/g)) total += Number(value) * (units[unit as string] as number);
  return total;
}

export const EXTRA_FIELDS = 'gateId organizationId preferences customFields createdAt updatedAt devices { deviceId deviceType serialNumber model status assignedAt }';
export function expectExtra(extra: GateExtra): Record<string, unknown> {
  return {
    gateId: String(extra.id),
    organizationId: extra.organization_id,
    preferences: extra.preferences,
    customFields: extra.custom_fields,
    createdAt: isoOf(extra._moments.created),
    updatedAt: isoOf(extra._moments.updated),
    devices: extra._devices.map((device) => ({
      deviceId: device.device_id,
      deviceType: device.device_type,
      serialNumber: device.serial_number,
      model: device.model,
      status: device.status,
      assignedAt: isoOf(device._assigned),
    })),
  };
}

export const EDGE_USER_FIELDS = 'edgeId username firstName lastName email description isActive isSuperuser isStaff canInbox allowRestAccess organization memberships dateJoined previousLoginDate preferences';
export function expectEdgeUser(user: EdgeUser): Record<string, unknown> {
  return {
    edgeId: user.id,
    username: user.username,
    firstName: user.first_name,
    lastName: user.last_name,
    email: user.email,
    description: user.description,
    isActive: user.is_active,
    isSuperuser: user.is_superuser,
    isStaff: user.is_staff,
    canInbox: user.can_inbox,
    allowRestAccess: user.allow_rest_access,
    organization: user.organization,
    memberships: user.memberships,
    dateJoined: isoOf(user._moments.joined),
    previousLoginDate: isoOf(user._moments.previousLogin),
    preferences: user.preferences,
  };
}

export const ACCESS_TOKEN_FIELDS = 'edgeId title active createdAt updatedAt lastUsedAt expiresAt';
export function expectAccessToken(token: EdgeToken): Record<string, unknown> {
  return {
    edgeId: token.id,
    title: token.title,
    active: token.active,
    createdAt: isoOf(token._moments.created),
    updatedAt: isoOf(token._moments.updated),
    lastUsedAt: isoOf(token._moments.lastUsed),
    expiresAt: isoOf(token._moments.expires),
  };
}

export const LOGIN_FIELDS = 'success userAgent attemptedAt remoteAddress';
export function expectLogin(login: EdgeLogin): Record<string, unknown> {
  return { success: login.success, userAgent: login.user_agent, attemptedAt: isoOf(login._moment), remoteAddress: login.remote_address };
}

export const SWITCH_FIELDS = 'userId name userType active carrierName roleId roleName isOnline email firstName lastName fullName createTime lastLoginTime lastSeen loginIp clientId resellerId authIps';
export function expectSwitchUser(item: SwitchItem): Record<string, unknown> {
  return {
    userId: item.user_id,
    name: item.name,
    userType: item.user_type,
    active: item.active,
    carrierName: item.carrier_name,
    roleId: item.role_id,
    roleName: item.role_name,
    isOnline: item.is_online,
    email: item.email,
    firstName: item.first_name,
    lastName: item.last_name,
    fullName: item.fullname,
    createTime: isoOf(item._moments.created),
    lastLoginTime: isoOf(item._moments.lastLogin),
    lastSeen: isoOf(item._moments.lastSeen),
    loginIp: item.login_ip,
    clientId: item.client_id,
    resellerId: item.reseller_id,
    authIps: item.auth_ip,
  };
}

// ---------- the person across the three ----------

export interface Person {
  user: GateUser;
  token: GateToken | undefined;
  extra: GateExtra | undefined;
  edge: EdgeUser | undefined;
  switchItem: SwitchItem | undefined;
}

export function personOf(data: Dataset, username: string): Person | undefined {
  const user = data.gateUsers.find((candidate) => candidate.username === username);
  if (!user) return undefined;
  return {
    user,
    token: data.gateTokens.find((token) => token.username === username),
    extra: data.gateExtras.find((extra) => extra.parent === Number(user.id)),
    edge: data.edgeUsers.find((account) => account.username === username),
    switchItem: data.switchItems.find((item) => item.name === username),
  };
}

// ---------- Relay windows, as the README has them ----------

export interface WindowArgs {
  first?: number;
  last?: number;
  /** index of the item the `after` cursor names */
  after?: number;
  /** index of the item the `before` cursor names */
  before?: number;
}

export interface ExpectedWindow<T> {
  items: T[];
  hasNextPage: boolean;
  hasPreviousPage: boolean;
}

/**
 * The spec's algorithm: cursors narrow the list, then `first` cuts from the front and `last` from
 * the back. hasNextPage: more than `first` left after the cursors, or without `first`, whether
 * `before` names an item; hasPreviousPage likewise with `last` and `after`.
 */
export function relayWindow<T>(list: readonly T[], args: WindowArgs, defaultSize = 20): ExpectedWindow<T> {
  const start = args.after === undefined ? 0 : args.after + 1;
  const end = args.before === undefined ? list.length : args.before;
  const afterCursors = list.slice(start, Math.max(start, end));
  let items = afterCursors;
  const first = args.first ?? (args.last === undefined ? defaultSize : undefined);
  if (first !== undefined) items = items.slice(0, first);
  if (args.last !== undefined) items = items.slice(Math.max(0, items.length - args.last));
  return {
    items,
    hasNextPage: first !== undefined ? afterCursors.length > first : args.before !== undefined,
    hasPreviousPage: args.last !== undefined ? afterCursors.length > args.last : args.after !== undefined,
  };
}

// ---------- comparing ----------

function canonical(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(canonical);
  if (value !== null && typeof value === 'object') {
    return Object.fromEntries(Object.keys(value as object).sort().map((key) => [key, canonical((value as Record<string, unknown>)[key])]));
  }
  return value;
}

function show(value: unknown): string {
  const text = JSON.stringify(value);
  if (text === undefined) return 'undefined';
  return text.length > 160 ? `${text.slice(0, 157)}...` : text;
}

/** Where `actual` differs from `expected`, as `path: expected …, got …` lines (object key order ignored). */
export function diff(expected: unknown, actual: unknown, path = '$', out: string[] = [], limit = 6): string[] {
  if (out.length >= limit) return out;
  if (Array.isArray(expected) && Array.isArray(actual)) {
    if (expected.length !== actual.length) out.push(`${path}: expected ${expected.length} items, got ${actual.length}`);
    for (let index = 0; index < Math.min(expected.length, actual.length); index++) diff(expected[index], actual[index], `${path}[${index}]`, out, limit);
    return out;
  }
  if (expected !== null && actual !== null && typeof expected === 'object' && typeof actual === 'object' && !Array.isArray(expected) && !Array.isArray(actual)) {
    const keys = new Set([...Object.keys(expected), ...Object.keys(actual)]);
    for (const key of keys) {
      const e = (expected as Record<string, unknown>)[key];
      const a = (actual as Record<string, unknown>)[key];
      if (!(key in (actual as object))) out.push(`${path}.${key}: expected ${show(e)}, missing`);
      else if (!(key in (expected as object))) out.push(`${path}.${key}: not expected, got ${show(a)}`);
      else diff(e, a, `${path}.${key}`, out, limit);
      if (out.length >= limit) break;
    }
    return out;
  }
  if (JSON.stringify(canonical(expected)) !== JSON.stringify(canonical(actual))) out.push(`${path}: expected ${show(expected)}, got ${show(actual)}`);
  return out;
}
