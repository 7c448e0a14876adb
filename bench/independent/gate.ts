// gate, from its docs (gate-user.txt, gate-user-token.txt, gate-user-extra.txt): three APIs on one
// service under /api/v1, Bearer auth, DRF-style limit/offset lists. Written as a Django REST
// framework server would answer: trailing slashes required, `{"detail": …}` errors, field errors
// as `{"field": ["…"]}`.
import { randomBytes } from 'node:crypto';
import { deepMerge, isObject, parseBoolean, parseWhole, Router, type ApiRequest, type ApiResponse, type Handler } from './http.ts';
import { gateTime, withoutInternal, type Dataset, type GateExtra, type GateToken, type GateUser } from './dataset.ts';

export const GATE_PREFIX = '/api/v1';
const DEFAULT_LIMIT = 20;
const MAX_LIMIT = 100;
const USERNAME_PATTERN = /^[\p{L}\p{N}_.@+-]{1,150}$/u;

const notFound = (): ApiResponse => ({ status: 404, body: { detail: 'Not found.' } });
const fieldErrors = (errors: Record<string, string>): ApiResponse => ({
  status: 400,
  body: Object.fromEntries(Object.entries(errors).map(([field, message]) => [field, [message]])),
});

function nowMoment(): { ms: number; micro: number } {
  return { ms: Date.now(), micro: 0 };
}

/**
 * DRF's LimitOffsetPagination: a bad or non-positive limit means the default, a larger one the
 * cap; `next`/`previous` are absolute URLs on the public host, the caller's other parameters kept.
 */
function paginate<T>(items: T[], request: ApiRequest, publicBase: string, render: (item: T) => unknown): ApiResponse {
  const askedLimit = parseWhole(request.query.get('limit'));
  const limit = askedLimit === undefined || askedLimit === 0 ? DEFAULT_LIMIT : Math.min(askedLimit, MAX_LIMIT);
  const offset = parseWhole(request.query.get('offset')) ?? 0;
  const page = items.slice(offset, offset + limit);
  const link = (newOffset: number | undefined): string => {
    const params = new URLSearchParams(request.query);
    params.set('limit', String(limit));
    if (newOffset === undefined) params.delete('offset');
    else params.set('offset', String(newOffset));
    return `${publicBase}${request.path}?${params.toString()}`;
  };
  const next = offset + limit < items.length ? link(offset + limit) : null;
  const previous = offset <= 0 ? null : offset - limit <= 0 ? link(undefined) : link(offset - limit);
  return { status: 200, body: { count: items.length, next, previous, results: page.map(render) } };
}

export function gateRouter(data: Dataset): Router {
  const publicBase = `${data.publicOrigins.gate}${GATE_PREFIX}`;
  const organizationNumbers = new Map(data.organizations.map((organization) => [organization.name, organization.number]));
  let nextUserId = Math.max(...data.gateUsers.map((user) => Number(user.id))) + 1;
  let nextTokenId = Math.max(0, ...data.gateTokens.map((token) => token.id)) + 1;
  let nextExtraId = Math.max(0, ...data.gateExtras.map((extra) => extra.id)) + 1;

  /** The number an organization is filed under on /user_extra/; a new name gets the next free one. */
  const numberOf = (organization: string): string => {
    let number = organizationNumbers.get(organization);
    if (number === undefined) {
      number = String(3101 + organizationNumbers.size);
      organizationNumbers.set(organization, number);
    }
    return number;
  };

  const authorized = (handler: Handler): Handler => (request, params) => {
    const header = request.headers['authorization'];
    if (header === undefined) {
      return { status: 401, headers: { 'www-authenticate': 'Bearer realm="api"' }, body: { detail: 'Authentication credentials were not provided.' } };
    }
    if (header !== `Bearer ${data.credentials.gateToken}`) {
      return { status: 401, headers: { 'www-authenticate': 'Bearer realm="api"' }, body: { detail: 'Invalid token.' } };
    }
    return handler(request, params);
  };

  // ---------- /user/ ----------
  const renderUser = (user: GateUser): unknown => withoutInternal(user);
  const userById = (id: string | undefined) => data.gateUsers.find((user) => user.id === id);
  const userByName = (name: string | undefined) => data.gateUsers.find((user) => user.username === name);

  const validateUserFields = (body: Record<string, unknown>, complete: boolean, self: GateUser | undefined): Record<string, string> => {
    const errors: Record<string, string> = {};
    const username = body['username'];
    if (username === undefined ? complete : typeof username !== 'string' || !USERNAME_PATTERN.test(username)) {
      errors['username'] = username === undefined ? 'This field is required.' : 'Enter a valid username.';
    } else if (typeof username === 'string' && data.gateUsers.some((user) => user.username === username && user !== self)) {
      errors['username'] = 'A user with that username already exists.';
    }
    const email = body['email'];
    if (email === undefined ? complete : typeof email !== 'string' || !email.includes('@')) {
      errors['email'] = email === undefined ? 'This field is required.' : 'Enter a valid email address.';
    }
    if (body['organization'] !== undefined && typeof body['organization'] !== 'string') errors['organization'] = 'Not a valid string.';
    if (body['profile'] !== undefined && !isObject(body['profile'])) errors['profile'] = 'Expected a dictionary of items.';
    // DRF CharFields refuse null unless allow_null: the docs never show these as null.
    const profile = isObject(body['profile']) ? body['profile'] : {};
    for (const key of ['first_name', 'last_name', 'role']) {
      if (profile[key] === null) errors['profile'] = `${key}: This field may not be null.`;
      else if (profile[key] !== undefined && typeof profile[key] !== 'string') errors['profile'] = `${key}: Not a valid string.`;
    }
    if (body['organization'] === null) errors['organization'] = 'This field may not be null.';
    if (body['password'] !== undefined && (typeof body['password'] !== 'string' || body['password'].length < 8)) {
      errors['password'] = 'This password is too short.';
    }
    return errors;
  };

  const writeUser = (user: GateUser, body: Record<string, unknown>, replace: boolean): void => {
    if (typeof body['username'] === 'string') user.username = body['username'];
    if (typeof body['email'] === 'string') user.email = body['email'];
    if (typeof body['organization'] === 'string') user.organization = body['organization'];
    if (typeof body['password'] === 'string') user._password_hash = `pbkdf2_sha256$600000$${randomBytes(11).toString('hex')}$x=`;
    const profile = isObject(body['profile']) ? body['profile'] : {};
    const text = (key: 'first_name' | 'last_name' | 'role'): void => {
      if (typeof profile[key] === 'string') user.profile[key] = profile[key];
      else if (replace) user.profile[key] = '';
    };
    text('first_name');
    text('last_name');
    text('role');
    const updated = nowMoment();
    user._moments.updated = updated;
    user.profile.updated_at = gateTime(updated, true);
  };

  const getUser = (find: (params: Record<string, string>) => GateUser | undefined): Handler => (_request, params) => {
    const user = find(params);
    return user ? { status: 200, body: renderUser(user) } : notFound();
  };
  const putUser = (find: (params: Record<string, string>) => GateUser | undefined, replace: boolean): Handler => (request, params) => {
    const user = find(params);
    if (!user) return notFound();
    if (!isObject(request.body)) return { status: 400, body: { non_field_errors: ['Invalid data. Expected a dictionary.'] } };
    const errors = validateUserFields(request.body, replace, user);
    if (Object.keys(errors).length > 0) return fieldErrors(errors);
    writeUser(user, request.body, replace);
    return { status: 200, body: renderUser(user) };
  };
  const deleteUser = (find: (params: Record<string, string>) => GateUser | undefined): Handler => (_request, params) => {
    const user = find(params);
    if (!user) return notFound();
    data.gateUsers.splice(data.gateUsers.indexOf(user), 1);
    // The extra's parent is a foreign key to the user: it goes with it (on_delete=CASCADE).
    data.gateExtras = data.gateExtras.filter((extra) => extra.parent !== Number(user.id));
    return { status: 204 };
  };

  const router = new Router('required');
  router.add('GET', '/user/', authorized((request) => {
    const id = request.query.get('id');
    const username = request.query.get('username');
    const organization = request.query.get('organization');
    const users = data.gateUsers.filter(
      (user) => (id === null || user.id === id) && (username === null || user.username === username) && (organization === null || user.organization === organization),
    );
    return paginate(users, request, publicBase, renderUser);
  }));
  router.add('POST', '/user/', authorized((request) => {
    if (!isObject(request.body)) return { status: 400, body: { non_field_errors: ['Invalid data. Expected a dictionary.'] } };
    const errors = validateUserFields(request.body, true, undefined);
    if (request.body['password'] === undefined) errors['password'] = 'This field is required.';
    if (Object.keys(errors).length > 0) return fieldErrors(errors);
    const created = nowMoment();
    const user: GateUser = {
      id: String(nextUserId++),
      username: '',
      email: '',
      organization: '',
      profile: { first_name: '', last_name: '', role: 'user', created_at: gateTime(created, true), last_login: null },
      _password_hash: '',
      _moments: { created, lastLogin: null, updated: null },
    };
    writeUser(user, request.body, false);
    // A new user has not been changed yet.
    delete user.profile.updated_at;
    user._moments.updated = null;
    if (!isObject(request.body['profile']) || typeof request.body['profile']['role'] !== 'string') user.profile.role = 'user';
    data.gateUsers.push(user);
    return { status: 201, body: renderUser(user) };
  }));
  const byUsername = (params: Record<string, string>) => userByName(params['username']);
  const byId = (params: Record<string, string>) => userById(params['id']);
  router.add('GET', '/user/username/:username/', authorized(getUser(byUsername)));
  router.add('PUT', '/user/username/:username/', authorized(putUser(byUsername, true)));
  router.add('PATCH', '/user/username/:username/', authorized(putUser(byUsername, false)));
  router.add('DELETE', '/user/username/:username/', authorized(deleteUser(byUsername)));
  router.add('GET', '/user/:id/', authorized(getUser(byId)));
  router.add('PUT', '/user/:id/', authorized(putUser(byId, true)));
  router.add('PATCH', '/user/:id/', authorized(putUser(byId, false)));
  router.add('DELETE', '/user/:id/', authorized(deleteUser(byId)));

  // ---------- /user_token/ ----------
  const renderToken = (token: GateToken, withBalance: boolean): unknown => {
    const body: Record<string, unknown> = {
      id: token.id,
      username: token.username,
      email: token.email,
      organization: token.organization,
      is_active: token.is_active,
      token: token.token,
    };
    if (withBalance) body['balance_seconds'] = token._balance_seconds;
    body['created_at'] = token.created_at;
    if (token.updated_at !== undefined) body['updated_at'] = token.updated_at;
    body['last_login'] = token.last_login;
    // Usage figures are part of the balance computation: shown with it, as the docs' detail example.
    body['profile'] = withBalance
      ? { ...token.profile, total_usage_seconds: token._total_usage_seconds, last_activity: token._last_activity }
      : { ...token.profile };
    return body;
  };
  const tokenById = (id: string | undefined) => {
    const number = parseWhole(id ?? null);
    return number === undefined ? undefined : data.gateTokens.find((token) => token.id === number);
  };

  const validateToken = (body: Record<string, unknown>, complete: boolean, self: GateToken | undefined): Record<string, string> => {
    const errors: Record<string, string> = {};
    const username = body['username'];
    if (username === undefined ? complete : typeof username !== 'string' || !USERNAME_PATTERN.test(username)) {
      errors['username'] = username === undefined ? 'This field is required.' : 'Enter a valid username.';
    }
    for (const key of ['email', 'organization'] as const) {
      if (body[key] === null) errors[key] = 'This field may not be null.';
      else if (body[key] !== undefined && typeof body[key] !== 'string') errors[key] = 'Not a valid string.';
    }
    if (body['is_active'] !== undefined && typeof body['is_active'] !== 'boolean') errors['is_active'] = 'Must be a valid boolean.';
    for (const key of ['balance_seconds', 'initial_balance_seconds'] as const) {
      const value = body[key];
      if (value !== undefined && (typeof value !== 'number' || !Number.isFinite(value) || value < 0)) errors[key] = 'Ensure this value is a number greater than or equal to 0.';
    }
    if (body['profile'] !== undefined) {
      const profile = body['profile'];
      if (!isObject(profile)) errors['profile'] = 'Expected a dictionary of items.';
      else if (profile['max_sessions'] !== undefined && (!Number.isInteger(profile['max_sessions']) || (profile['max_sessions'] as number) < 0)) {
        errors['profile'] = 'max_sessions must be a whole number.';
      }
    }
    void self;
    return errors;
  };

  const writeToken = (token: GateToken, body: Record<string, unknown>, replace: boolean): void => {
    if (typeof body['username'] === 'string') token.username = body['username'];
    if (typeof body['email'] === 'string') token.email = body['email'];
    if (typeof body['organization'] === 'string') token.organization = body['organization'];
    if (typeof body['is_active'] === 'boolean') token.is_active = body['is_active'];
    if (typeof body['balance_seconds'] === 'number') token._balance_seconds = body['balance_seconds'];
    const profile = isObject(body['profile']) ? body['profile'] : undefined;
    if (replace) token.profile = { max_sessions: 1, access_level: 'standard' };
    if (profile) {
      if (typeof profile['max_sessions'] === 'number') token.profile.max_sessions = profile['max_sessions'];
      if (typeof profile['access_level'] === 'string') token.profile.access_level = profile['access_level'];
    }
    const updated = nowMoment();
    token._moments.updated = updated;
    token.updated_at = gateTime(updated, false);
  };

  router.add('GET', '/user_token/', authorized((request) => {
    const username = request.query.get('username');
    const organization = request.query.get('organization');
    const withBalance = parseBoolean(request.query.get('balance')) === true;
    const tokens = data.gateTokens.filter((token) => (username === null || token.username === username) && (organization === null || token.organization === organization));
    return paginate(tokens, request, publicBase, (token) => renderToken(token, withBalance));
  }));
  router.add('POST', '/user_token/', authorized((request) => {
    if (!isObject(request.body)) return { status: 400, body: { non_field_errors: ['Invalid data. Expected a dictionary.'] } };
    const errors = validateToken(request.body, true, undefined);
    if (Object.keys(errors).length > 0) return fieldErrors(errors);
    const username = request.body['username'] as string;
    if (data.gateTokens.some((token) => token.username === username)) return { status: 409, body: { detail: 'Username already exists.' } };
    const created = nowMoment();
    const token: GateToken = {
      id: nextTokenId++,
      username,
      email: typeof request.body['email'] === 'string' ? request.body['email'] : '',
      organization: typeof request.body['organization'] === 'string' ? request.body['organization'] : '',
      is_active: typeof request.body['is_active'] === 'boolean' ? request.body['is_active'] : true,
      token: `tok_${randomBytes(6).toString('hex')}`,
      _balance_seconds: typeof request.body['initial_balance_seconds'] === 'number' ? request.body['initial_balance_seconds'] : 0,
      created_at: gateTime(created, false),
      last_login: null,
      profile: { max_sessions: 1, access_level: 'standard' },
      _total_usage_seconds: 0,
      _last_activity: null,
      _active_sessions: 0,
      _moments: { created, lastLogin: null, updated: null, lastActivity: null },
    };
    const profile = request.body['profile'];
    if (isObject(profile)) {
      if (typeof profile['max_sessions'] === 'number') token.profile.max_sessions = profile['max_sessions'];
      if (typeof profile['access_level'] === 'string') token.profile.access_level = profile['access_level'];
    }
    data.gateTokens.push(token);
    return { status: 201, body: renderToken(token, true) };
  }));
  router.add('GET', '/user_token/:id/', authorized((request, params) => {
    const token = tokenById(params['id']);
    return token ? { status: 200, body: renderToken(token, parseBoolean(request.query.get('balance')) === true) } : notFound();
  }));
  const changeToken = (replace: boolean): Handler => (request, params) => {
    const token = tokenById(params['id']);
    if (!token) return notFound();
    if (!isObject(request.body)) return { status: 400, body: { non_field_errors: ['Invalid data. Expected a dictionary.'] } };
    const errors = validateToken(request.body, replace, token);
    const username = request.body['username'];
    if (typeof username === 'string' && data.gateTokens.some((other) => other.username === username && other !== token)) {
      errors['username'] = 'A user token with that username already exists.';
    }
    if (Object.keys(errors).length > 0) return fieldErrors(errors);
    writeToken(token, request.body, replace);
    // The docs' PUT and PATCH examples answer with the balance.
    return { status: 200, body: renderToken(token, true) };
  };
  router.add('PUT', '/user_token/:id/', authorized(changeToken(true)));
  router.add('PATCH', '/user_token/:id/', authorized(changeToken(false)));
  router.add('DELETE', '/user_token/:id/', authorized((_request, params) => {
    const token = tokenById(params['id']);
    if (!token) return notFound();
    if (token._active_sessions > 0) return { status: 409, body: { detail: 'User cannot be deleted due to active sessions.' } };
    data.gateTokens.splice(data.gateTokens.indexOf(token), 1);
    return { status: 204 };
  }));

  // ---------- /user_extra/ ----------
  const renderExtra = (extra: GateExtra, withDevices: boolean): unknown => {
    const body: Record<string, unknown> = {
      id: extra.id,
      parent: extra.parent,
      organization_id: extra.organization_id,
      preferences: extra.preferences,
      custom_fields: extra.custom_fields,
    };
    if (withDevices) {
      body['device_info'] = { assigned_devices: extra._devices.map((device) => withoutInternal(device)), device_count: extra._devices.length };
    }
    body['created_at'] = extra.created_at;
    body['updated_at'] = extra.updated_at;
    return body;
  };
  const extraById = (id: string | undefined) => {
    const number = parseWhole(id ?? null);
    return number === undefined ? undefined : data.gateExtras.find((extra) => extra.id === number);
  };
  const validateExtra = (body: Record<string, unknown>, complete: boolean, self: GateExtra | undefined): Record<string, string> => {
    const errors: Record<string, string> = {};
    const parent = body['parent'];
    if (parent === undefined) {
      if (complete) errors['parent'] = 'This field is required.';
    } else {
      const number = typeof parent === 'number' ? parent : typeof parent === 'string' ? parseWhole(parent) : undefined;
      if (number === undefined || !Number.isInteger(number) || !userById(String(number))) errors['parent'] = `Invalid pk "${String(parent)}" - object does not exist.`;
      else if (data.gateExtras.some((extra) => extra.parent === number && extra !== self) && self) errors['parent'] = 'This user already has a user extra.';
    }
    if (body['organization_id'] === null) errors['organization_id'] = 'This field may not be null.';
    else if (body['organization_id'] !== undefined && typeof body['organization_id'] !== 'string') errors['organization_id'] = 'Not a valid string.';
    for (const key of ['preferences', 'custom_fields'] as const) {
      if (body[key] === null) errors[key] = 'This field may not be null.';
      else if (body[key] !== undefined && !isObject(body[key])) errors[key] = 'Expected a dictionary of items.';
    }
    if (body['device_info'] !== undefined && !(isObject(body['device_info']) && (body['device_info']['assigned_devices'] === undefined || Array.isArray(body['device_info']['assigned_devices'])))) {
      errors['device_info'] = 'Expected a dictionary with assigned_devices.';
    }
    return errors;
  };
  const devicesFrom = (deviceInfo: unknown): GateExtra['_devices'] | undefined => {
    if (!isObject(deviceInfo) || !Array.isArray(deviceInfo['assigned_devices'])) return undefined;
    return deviceInfo['assigned_devices'].filter(isObject).map((device) => ({
      device_id: String(device['device_id'] ?? ''),
      device_type: String(device['device_type'] ?? ''),
      serial_number: String(device['serial_number'] ?? ''),
      model: String(device['model'] ?? ''),
      assigned_date: String(device['assigned_date'] ?? gateTime(nowMoment(), false)),
      status: String(device['status'] ?? 'active'),
      _assigned: nowMoment(),
    }));
  };
  const parentNumber = (value: unknown): number => (typeof value === 'number' ? value : Number(value));

  router.add('GET', '/user_extra/', authorized((request) => {
    const parent = request.query.get('parent');
    const organization = request.query.get('parent__organization_id');
    const withDevices = parseBoolean(request.query.get('device_info')) === true;
    const extras = data.gateExtras.filter((extra) => (parent === null || String(extra.parent) === parent) && (organization === null || extra.organization_id === organization));
    return paginate(extras, request, publicBase, (extra) => renderExtra(extra, withDevices));
  }));
  router.add('POST', '/user_extra/', authorized((request) => {
    if (!isObject(request.body)) return { status: 400, body: { non_field_errors: ['Invalid data. Expected a dictionary.'] } };
    const errors = validateExtra(request.body, true, undefined);
    if (Object.keys(errors).length > 0) return fieldErrors(errors);
    const parent = parentNumber(request.body['parent']);
    if (data.gateExtras.some((extra) => extra.parent === parent)) return { status: 409, body: { detail: 'User extra record already exists for this user.' } };
    const owner = userById(String(parent)) as GateUser;
    const created = nowMoment();
    const extra: GateExtra = {
      id: nextExtraId++,
      parent,
      organization_id: typeof request.body['organization_id'] === 'string' ? request.body['organization_id'] : numberOf(owner.organization),
      preferences: isObject(request.body['preferences']) ? request.body['preferences'] : {},
      custom_fields: isObject(request.body['custom_fields']) ? request.body['custom_fields'] : {},
      _devices: devicesFrom(request.body['device_info']) ?? [],
      created_at: gateTime(created, false),
      updated_at: gateTime(created, false),
      _moments: { created, updated: created },
    };
    data.gateExtras.push(extra);
    return { status: 201, body: renderExtra(extra, false) };
  }));
  router.add('GET', '/user_extra/:id/', authorized((request, params) => {
    const extra = extraById(params['id']);
    return extra ? { status: 200, body: renderExtra(extra, parseBoolean(request.query.get('device_info')) === true) } : notFound();
  }));
  const changeExtra = (replace: boolean): Handler => (request, params) => {
    const extra = extraById(params['id']);
    if (!extra) return notFound();
    if (!isObject(request.body)) return { status: 400, body: { non_field_errors: ['Invalid data. Expected a dictionary.'] } };
    const errors = validateExtra(request.body, replace, extra);
    if (Object.keys(errors).length > 0) return fieldErrors(errors);
    const body = request.body;
    if (body['parent'] !== undefined) extra.parent = parentNumber(body['parent']);
    if (replace) {
      extra.preferences = isObject(body['preferences']) ? body['preferences'] : {};
      extra.custom_fields = isObject(body['custom_fields']) ? body['custom_fields'] : {};
      const owner = userById(String(extra.parent));
      extra.organization_id = typeof body['organization_id'] === 'string' ? body['organization_id'] : owner ? numberOf(owner.organization) : extra.organization_id;
    } else {
      if (isObject(body['preferences'])) extra.preferences = deepMerge(extra.preferences, body['preferences']);
      if (isObject(body['custom_fields'])) extra.custom_fields = deepMerge(extra.custom_fields, body['custom_fields']);
      if (typeof body['organization_id'] === 'string') extra.organization_id = body['organization_id'];
    }
    // Devices are kept unless the body names them: PUT's documented body has none.
    const devices = devicesFrom(body['device_info']);
    if (devices) extra._devices = devices;
    const updated = nowMoment();
    extra._moments.updated = updated;
    extra.updated_at = gateTime(updated, false);
    return { status: 200, body: renderExtra(extra, false) };
  };
  router.add('PUT', '/user_extra/:id/', authorized(changeExtra(true)));
  router.add('PATCH', '/user_extra/:id/', authorized(changeExtra(false)));
  router.add('DELETE', '/user_extra/:id/', authorized((_request, params) => {
    const extra = extraById(params['id']);
    if (!extra) return notFound();
    data.gateExtras.splice(data.gateExtras.indexOf(extra), 1);
    return { status: 204 };
  }));

  return router;
}

export const gateErrors = {
  notFound,
  methodNotAllowed: (method: string): ApiResponse => ({ status: 405, body: { detail: `Method "${method}" not allowed.` } }),
  badJson: (): ApiResponse => ({ status: 400, body: { detail: 'JSON parse error - Expecting value: line 1 column 1 (char 0)' } }),
};
