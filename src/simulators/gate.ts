// Simulated gate: the User, User Token and User Extra APIs (Django REST Framework style), base /api/v1.
import { randomBytes } from 'node:crypto';
import {
  formatGateTime,
  type Dataset,
  type GateUser,
  type GateUserProfile,
  type JsonObject,
  type JsonValue,
  type UserExtra,
  type UserToken,
} from './dataset.ts';
import {
  createSimulatorServer,
  empty,
  filterValue,
  isFlagSet,
  isJsonObject,
  json,
  parseIntegerParam,
  readAuthorization,
  urlWithQuery,
  validateFields,
  type FieldErrors,
  type FieldSpec,
  type Reply,
  type RequestContext,
  type Route,
  type SimulatorServer,
  type SimulatorServerOptions,
} from './http.ts';

/** The host gate names in next/previous links: not the one the client called. */
export const GATE_PUBLIC_BASE_URL = 'https://gate.example.com/api/v1';

export interface GateServerOptions extends SimulatorServerOptions {
  token: string;
  publicBaseUrl?: string;
}

const PAGE_SIZE_DEFAULT = 20;
const PAGE_SIZE_MAX = 100;

const NOT_FOUND: Reply = { status: 404, body: { detail: 'Not found.' } };

function now(): string {
  return formatGateTime(Date.now());
}

function badRequest(errors: FieldErrors): Reply {
  return json(400, errors);
}

/** Nested objects are merged key by key; anything else (arrays included) is replaced. */
export function deepMerge(target: JsonObject, patch: JsonObject): JsonObject {
  const merged: JsonObject = { ...target };
  for (const [key, value] of Object.entries(patch)) {
    const current = merged[key];
    merged[key] = isJsonObject(current) && isJsonObject(value) ? deepMerge(current, value) : value;
  }
  return merged;
}

function withoutKeys(object: JsonObject, keys: readonly string[]): JsonObject {
  const copy: JsonObject = { ...object };
  for (const key of keys) delete copy[key];
  return copy;
}

function objectField(body: JsonObject, name: string): JsonObject | undefined {
  const value = body[name];
  return isJsonObject(value) ? value : undefined;
}

function stringField(body: JsonObject, name: string): string | undefined {
  const value = body[name];
  return typeof value === 'string' ? value : undefined;
}

function nextId(ids: readonly number[]): number {
  return ids.reduce((max, id) => Math.max(max, id), 0) + 1;
}

function parsePositiveInteger(text: string): number | undefined {
  return /^\d+$/.test(text) ? Number(text) : undefined;
}

// ---- /user/ ----

const SERVER_MANAGED_PROFILE_KEYS = ['created_at', 'updated_at', 'last_login'];

const USER_FIELDS: Readonly<Record<string, FieldSpec>> = {
  username: { kind: 'string', required: true },
  email: { kind: 'email', required: true },
  password: { kind: 'string', required: true },
  organization: { kind: 'string', nullable: true },
  profile: { kind: 'object' },
};
const USER_PUT_FIELDS: Readonly<Record<string, FieldSpec>> = { ...USER_FIELDS, password: { kind: 'string' } };

function serializeUser(user: GateUser): JsonObject {
  return { id: user.id, username: user.username, email: user.email, organization: user.organization, profile: user.profile };
}

// ---- /user_token/ ----

const USAGE_PROFILE_KEYS = ['total_usage_seconds', 'last_activity'];

const TOKEN_FIELDS: Readonly<Record<string, FieldSpec>> = {
  username: { kind: 'string', required: true },
  email: { kind: 'email', required: true },
  organization: { kind: 'string', required: true },
  is_active: { kind: 'boolean' },
  profile: { kind: 'object' },
};
const TOKEN_CREATE_FIELDS = { ...TOKEN_FIELDS, initial_balance_seconds: { kind: 'integer', min: 0 } } as const satisfies Record<string, FieldSpec>;
const TOKEN_UPDATE_FIELDS = { ...TOKEN_FIELDS, balance_seconds: { kind: 'integer', min: 0 } } as const satisfies Record<string, FieldSpec>;

/** balance adds balance_seconds; usage also adds the computed usage fields to profile (GET with ?balance=true). */
function serializeToken(token: UserToken, view: { balance: boolean; usage: boolean }): JsonObject {
  const body: JsonObject = {
    id: token.id,
    username: token.username,
    email: token.email,
    organization: token.organization,
    is_active: token.is_active,
    token: token.token,
  };
  if (view.balance) body['balance_seconds'] = token.balance_seconds;
  body['created_at'] = token.created_at;
  if (token.updated_at !== undefined) body['updated_at'] = token.updated_at;
  body['last_login'] = token.last_login;
  body['profile'] = view.usage
    ? { ...token.profile, total_usage_seconds: token.totalUsageSeconds, last_activity: token.lastActivity }
    : token.profile;
  return body;
}

const WRITE_VIEW = { balance: true, usage: false };

// ---- /user_extra/ ----

const EXTRA_FIELDS: Readonly<Record<string, FieldSpec>> = {
  organization_id: { kind: 'string', nullable: true },
  preferences: { kind: 'object' },
  custom_fields: { kind: 'object' },
  device_info: { kind: 'object' },
};

function serializeExtra(extra: UserExtra, withDeviceInfo: boolean): JsonObject {
  const body: JsonObject = {
    id: extra.id,
    parent: extra.parent,
    organization_id: extra.organization_id,
    preferences: extra.preferences,
    custom_fields: extra.custom_fields,
  };
  if (withDeviceInfo) body['device_info'] = { assigned_devices: extra.assignedDevices, device_count: extra.assignedDevices.length };
  body['created_at'] = extra.created_at;
  body['updated_at'] = extra.updated_at;
  return body;
}

function parseAssignedDevices(body: JsonObject): { devices?: JsonObject[]; errors?: FieldErrors } {
  const deviceInfo = objectField(body, 'device_info');
  if (!deviceInfo) return {};
  const devices: JsonValue | undefined = deviceInfo['assigned_devices'];
  if (devices === undefined) return { devices: [] };
  if (!Array.isArray(devices) || !devices.every(isJsonObject)) {
    return { errors: { device_info: ['assigned_devices must be a list of objects.'] } };
  }
  return { devices: devices as JsonObject[] };
}

export function createGateServer(dataset: Dataset, options: GateServerOptions): SimulatorServer {
  const publicBaseUrl = options.publicBaseUrl ?? GATE_PUBLIC_BASE_URL;

  /** DRF LimitOffsetPagination with absolute links on the public host. */
  function paginate<T>(context: RequestContext, items: readonly T[], serializeItem: (item: T) => JsonObject): Reply {
    const limit = parseIntegerParam(context.query, 'limit', { fallback: PAGE_SIZE_DEFAULT, min: 1, clampTo: PAGE_SIZE_MAX });
    if (!limit.ok) return badRequest({ limit: [limit.message] });
    const offset = parseIntegerParam(context.query, 'offset', { fallback: 0, min: 0 });
    if (!offset.ok) return badRequest({ offset: [offset.message] });
    const base = publicBaseUrl + (context.path.endsWith('/') ? context.path : `${context.path}/`);
    const pageEnd = offset.value + limit.value;
    const previousOffset = offset.value - limit.value;
    return json(200, {
      count: items.length,
      next: pageEnd < items.length
        ? urlWithQuery(base, context.query, { limit: String(limit.value), offset: String(pageEnd) })
        : null,
      previous: offset.value > 0
        ? urlWithQuery(base, context.query, { limit: String(limit.value), offset: previousOffset > 0 ? String(previousOffset) : undefined })
        : null,
      results: items.slice(offset.value, pageEnd).map(serializeItem),
    });
  }

  // ---- users ----

  function usernameTaken(username: string | undefined, except?: GateUser): boolean {
    return username !== undefined && dataset.gateUsers.some((user) => user.username === username && user !== except);
  }

  function organizationIdOf(organizationName: string | null): string | null {
    return dataset.organizations.find((organization) => organization.name === organizationName)?.id ?? null;
  }

  function userWriteErrors(body: JsonObject, fields: Readonly<Record<string, FieldSpec>>, partial: boolean, existing?: GateUser): FieldErrors | undefined {
    const errors = validateFields(body, fields, { partial });
    if (errors) return errors;
    if (usernameTaken(stringField(body, 'username'), existing)) return { username: ['A user with that username already exists.'] };
    return undefined;
  }

  function applyUserFields(user: GateUser, body: JsonObject): void {
    const username = stringField(body, 'username');
    const email = stringField(body, 'email');
    const password = stringField(body, 'password');
    if (username !== undefined) user.username = username;
    if (email !== undefined) user.email = email;
    if (password !== undefined) user.password = password;
    if (body['organization'] !== undefined) user.organization = stringField(body, 'organization') ?? null;
  }

  function createUser(context: RequestContext): Reply {
    const errors = userWriteErrors(context.body, USER_FIELDS, false);
    if (errors) return badRequest(errors);
    const user: GateUser = {
      id: String(nextId(dataset.gateUsers.map((candidate) => Number(candidate.id)))),
      username: '',
      email: '',
      password: '',
      organization: null,
      profile: {
        ...withoutKeys(objectField(context.body, 'profile') ?? {}, SERVER_MANAGED_PROFILE_KEYS),
        created_at: now(),
      },
    };
    applyUserFields(user, context.body);
    dataset.gateUsers.push(user);
    return json(201, serializeUser(user));
  }

  function replaceUser(user: GateUser, body: JsonObject): Reply {
    const errors = userWriteErrors(body, USER_PUT_FIELDS, false, user);
    if (errors) return badRequest(errors);
    applyUserFields(user, body);
    const incomingProfile = objectField(body, 'profile');
    const base = incomingProfile ? withoutKeys(incomingProfile, SERVER_MANAGED_PROFILE_KEYS) : withoutKeys(user.profile, SERVER_MANAGED_PROFILE_KEYS);
    const profile: GateUserProfile = { ...base, created_at: user.profile.created_at };
    if (user.profile['last_login'] !== undefined) profile['last_login'] = user.profile['last_login'];
    profile['updated_at'] = now();
    user.profile = profile;
    return json(200, serializeUser(user));
  }

  function patchUser(user: GateUser, body: JsonObject): Reply {
    const errors = userWriteErrors(body, USER_FIELDS, true, user);
    if (errors) return badRequest(errors);
    applyUserFields(user, body);
    const incomingProfile = withoutKeys(objectField(body, 'profile') ?? {}, SERVER_MANAGED_PROFILE_KEYS);
    user.profile = { ...deepMerge(user.profile, incomingProfile), created_at: user.profile.created_at, updated_at: now() };
    return json(200, serializeUser(user));
  }

  function deleteUser(user: GateUser): Reply {
    dataset.gateUsers.splice(dataset.gateUsers.indexOf(user), 1);
    // user_extra.parent is a foreign key to the user: it goes with it.
    const parent = Number(user.id);
    for (let index = dataset.userExtras.length - 1; index >= 0; index--) {
      if (dataset.userExtras[index]?.parent === parent) dataset.userExtras.splice(index, 1);
    }
    return empty(204);
  }

  function userRoutes(pattern: string, locate: (params: Readonly<Record<string, string>>) => GateUser | undefined): Route[] {
    const withUser = (action: (user: GateUser, context: RequestContext) => Reply) => (context: RequestContext): Reply => {
      const user = locate(context.params);
      return user ? action(user, context) : NOT_FOUND;
    };
    return [
      { method: 'GET', pattern, handler: withUser((user) => json(200, serializeUser(user))) },
      { method: 'PUT', pattern, handler: withUser((user, context) => replaceUser(user, context.body)) },
      { method: 'PATCH', pattern, handler: withUser((user, context) => patchUser(user, context.body)) },
      { method: 'DELETE', pattern, handler: withUser((user) => deleteUser(user)) },
    ];
  }

  function listUsers(context: RequestContext): Reply {
    const id = filterValue(context.query, 'id');
    const username = filterValue(context.query, 'username');
    const organization = filterValue(context.query, 'organization');
    const users = dataset.gateUsers.filter((user) =>
      (id === undefined || user.id === id)
      && (username === undefined || user.username === username)
      && (organization === undefined || user.organization === organization));
    return paginate(context, users, serializeUser);
  }

  // ---- user tokens ----

  function findToken(params: Readonly<Record<string, string>>): UserToken | undefined {
    const id = parsePositiveInteger(params['id'] ?? '');
    return dataset.userTokens.find((token) => token.id === id);
  }

  function tokenUsernameTaken(username: string | undefined, except?: UserToken): boolean {
    return username !== undefined && dataset.userTokens.some((token) => token.username === username && token !== except);
  }

  function applyTokenFields(token: UserToken, body: JsonObject): void {
    const username = stringField(body, 'username');
    const email = stringField(body, 'email');
    const organization = stringField(body, 'organization');
    if (username !== undefined) token.username = username;
    if (email !== undefined) token.email = email;
    if (organization !== undefined) token.organization = organization;
    if (typeof body['is_active'] === 'boolean') token.is_active = body['is_active'];
    if (typeof body['balance_seconds'] === 'number') token.balance_seconds = body['balance_seconds'];
  }

  function listTokens(context: RequestContext): Reply {
    const username = filterValue(context.query, 'username');
    const organization = filterValue(context.query, 'organization');
    const withBalance = isFlagSet(context.query, 'balance');
    const tokens = dataset.userTokens.filter((token) =>
      (username === undefined || token.username === username)
      && (organization === undefined || token.organization === organization));
    return paginate(context, tokens, (token) => serializeToken(token, { balance: withBalance, usage: withBalance }));
  }

  function createToken(context: RequestContext): Reply {
    const errors = validateFields(context.body, TOKEN_CREATE_FIELDS, { partial: false });
    if (errors) return badRequest(errors);
    const username = stringField(context.body, 'username');
    if (tokenUsernameTaken(username)) return json(409, { detail: 'A user token with that username already exists.' });
    const initialBalance = context.body['initial_balance_seconds'];
    const token: UserToken = {
      id: nextId(dataset.userTokens.map((candidate) => candidate.id)),
      username: '',
      email: '',
      organization: '',
      is_active: true,
      token: `tok_${randomBytes(12).toString('hex')}`,
      balance_seconds: typeof initialBalance === 'number' ? initialBalance : 0,
      created_at: now(),
      last_login: null,
      profile: withoutKeys(objectField(context.body, 'profile') ?? {}, USAGE_PROFILE_KEYS),
      totalUsageSeconds: 0,
      lastActivity: null,
      activeSessions: 0,
    };
    applyTokenFields(token, context.body);
    dataset.userTokens.push(token);
    return json(201, serializeToken(token, WRITE_VIEW));
  }

  function updateToken(context: RequestContext, partial: boolean): Reply {
    const token = findToken(context.params);
    if (!token) return NOT_FOUND;
    const errors = validateFields(context.body, TOKEN_UPDATE_FIELDS, { partial });
    if (errors) return badRequest(errors);
    if (tokenUsernameTaken(stringField(context.body, 'username'), token)) {
      return badRequest({ username: ['A user token with that username already exists.'] });
    }
    applyTokenFields(token, context.body);
    const incomingProfile = objectField(context.body, 'profile');
    if (incomingProfile) {
      const cleaned = withoutKeys(incomingProfile, USAGE_PROFILE_KEYS);
      token.profile = partial ? deepMerge(token.profile, cleaned) : cleaned;
    }
    token.updated_at = now();
    return json(200, serializeToken(token, WRITE_VIEW));
  }

  function deleteToken(context: RequestContext): Reply {
    const token = findToken(context.params);
    if (!token) return NOT_FOUND;
    if (token.activeSessions > 0) return json(409, { detail: 'User cannot be deleted due to active sessions.' });
    dataset.userTokens.splice(dataset.userTokens.indexOf(token), 1);
    return empty(204);
  }

  // ---- user extras ----

  function findExtra(params: Readonly<Record<string, string>>): UserExtra | undefined {
    const id = parsePositiveInteger(params['id'] ?? '');
    return dataset.userExtras.find((extra) => extra.id === id);
  }

  /** DRF PrimaryKeyRelatedField: an integer (or digit string) naming an existing gate user. */
  function parseParent(body: JsonObject, required: boolean): { parent?: GateUser; errors?: FieldErrors } {
    const raw = body['parent'];
    if (raw === undefined) return required ? { errors: { parent: ['This field is required.'] } } : {};
    if (raw === null) return { errors: { parent: ['This field may not be null.'] } };
    const id = typeof raw === 'number' && Number.isInteger(raw) ? raw : typeof raw === 'string' ? parsePositiveInteger(raw) : undefined;
    if (id === undefined) return { errors: { parent: [`Incorrect type. Expected pk value, received ${typeof raw === 'string' ? 'str' : typeof raw}.`] } };
    const parent = dataset.gateUsers.find((user) => Number(user.id) === id);
    return parent ? { parent } : { errors: { parent: [`Invalid pk "${id}" - object does not exist.`] } };
  }

  function extraWriteInput(body: JsonObject, partial: boolean): { parent?: GateUser; devices?: JsonObject[]; errors?: FieldErrors } {
    const errors = validateFields(body, EXTRA_FIELDS, { partial }) ?? {};
    const parent = parseParent(body, !partial);
    const devices = parseAssignedDevices(body);
    const allErrors = { ...errors, ...parent.errors, ...devices.errors };
    if (Object.keys(allErrors).length > 0) return { errors: allErrors };
    return { ...(parent.parent ? { parent: parent.parent } : {}), ...(devices.devices ? { devices: devices.devices } : {}) };
  }

  function listExtras(context: RequestContext): Reply {
    const parent = filterValue(context.query, 'parent');
    const organizationId = filterValue(context.query, 'parent__organization_id');
    const withDeviceInfo = isFlagSet(context.query, 'device_info');
    const extras = dataset.userExtras.filter((extra) =>
      (parent === undefined || String(extra.parent) === parent)
      && (organizationId === undefined || extra.organization_id === organizationId));
    return paginate(context, extras, (extra) => serializeExtra(extra, withDeviceInfo));
  }

  function createExtra(context: RequestContext): Reply {
    const input = extraWriteInput(context.body, false);
    if (input.errors) return badRequest(input.errors);
    const parent = input.parent as GateUser;
    const parentId = Number(parent.id);
    if (dataset.userExtras.some((extra) => extra.parent === parentId)) {
      return json(409, { detail: 'User extra record already exists for this user.' });
    }
    const timestamp = now();
    const organizationId = context.body['organization_id'];
    const extra: UserExtra = {
      id: nextId(dataset.userExtras.map((candidate) => candidate.id)),
      parent: parentId,
      organization_id: organizationId === undefined ? organizationIdOf(parent.organization) : stringField(context.body, 'organization_id') ?? null,
      preferences: objectField(context.body, 'preferences') ?? {},
      custom_fields: objectField(context.body, 'custom_fields') ?? {},
      assignedDevices: input.devices ?? [],
      created_at: timestamp,
      updated_at: timestamp,
    };
    dataset.userExtras.push(extra);
    return json(201, serializeExtra(extra, isFlagSet(context.query, 'device_info')));
  }

  function updateExtra(context: RequestContext, partial: boolean): Reply {
    const extra = findExtra(context.params);
    if (!extra) return NOT_FOUND;
    const input = extraWriteInput(context.body, partial);
    if (input.errors) return badRequest(input.errors);
    if (input.parent) {
      const parentId = Number(input.parent.id);
      if (dataset.userExtras.some((other) => other.parent === parentId && other !== extra)) {
        return badRequest({ parent: ['user extra with this parent already exists.'] });
      }
      extra.parent = parentId;
    }
    if (context.body['organization_id'] !== undefined) extra.organization_id = stringField(context.body, 'organization_id') ?? null;
    for (const key of ['preferences', 'custom_fields'] as const) {
      const incoming = objectField(context.body, key);
      if (incoming) extra[key] = partial ? deepMerge(extra[key], incoming) : incoming;
    }
    if (input.devices) extra.assignedDevices = input.devices;
    extra.updated_at = now();
    return json(200, serializeExtra(extra, isFlagSet(context.query, 'device_info')));
  }

  function deleteExtra(context: RequestContext): Reply {
    const extra = findExtra(context.params);
    if (!extra) return NOT_FOUND;
    dataset.userExtras.splice(dataset.userExtras.indexOf(extra), 1);
    return empty(204);
  }

  const routes: Route[] = [
    { method: 'GET', pattern: '/user/', handler: listUsers },
    { method: 'POST', pattern: '/user/', handler: createUser },
    ...userRoutes('/user/username/:username/', (params) => dataset.gateUsers.find((user) => user.username === params['username'])),
    ...userRoutes('/user/:id/', (params) => dataset.gateUsers.find((user) => user.id === params['id'])),
    { method: 'GET', pattern: '/user_token/', handler: listTokens },
    { method: 'POST', pattern: '/user_token/', handler: createToken },
    {
      method: 'GET',
      pattern: '/user_token/:id/',
      handler: (context) => {
        const token = findToken(context.params);
        const withBalance = isFlagSet(context.query, 'balance');
        return token ? json(200, serializeToken(token, { balance: withBalance, usage: withBalance })) : NOT_FOUND;
      },
    },
    { method: 'PUT', pattern: '/user_token/:id/', handler: (context) => updateToken(context, false) },
    { method: 'PATCH', pattern: '/user_token/:id/', handler: (context) => updateToken(context, true) },
    { method: 'DELETE', pattern: '/user_token/:id/', handler: deleteToken },
    { method: 'GET', pattern: '/user_extra/', handler: listExtras },
    { method: 'POST', pattern: '/user_extra/', handler: createExtra },
    {
      method: 'GET',
      pattern: '/user_extra/:id/',
      handler: (context) => {
        const extra = findExtra(context.params);
        return extra ? json(200, serializeExtra(extra, isFlagSet(context.query, 'device_info'))) : NOT_FOUND;
      },
    },
    { method: 'PUT', pattern: '/user_extra/:id/', handler: (context) => updateExtra(context, false) },
    { method: 'PATCH', pattern: '/user_extra/:id/', handler: (context) => updateExtra(context, true) },
    { method: 'DELETE', pattern: '/user_extra/:id/', handler: deleteExtra },
  ];

  return createSimulatorServer({
    upstream: 'gate',
    prefix: '/api/v1',
    routes,
    authenticate(headers) {
      const authorization = readAuthorization(headers);
      if (authorization?.scheme === 'bearer' && authorization.credentials === options.token) return undefined;
      return json(401, { detail: 'Authentication credentials were not provided.' }, { 'www-authenticate': 'Bearer realm="api"' });
    },
    errorBody: (_status, message) => ({ detail: message }),
  }, options);
}
