// edge, from its docs (edge-users.txt): users, access tokens, login history under /api. Basic auth
// or `Authorization: Token user:token`; plain JSON arrays paged by RFC 5988 `Link` headers. The
// docs name no page parameters: this server uses `p` (1-based) and `limit` (default 30, at most
// 75), as DRF's PageNumberPagination would with those names, including its 404 past the last page.
import { randomBytes } from 'node:crypto';
import { isObject, parseBoolean, parseWhole, Router, type ApiRequest, type ApiResponse, type Handler } from './http.ts';
import { edgeTime, type Dataset, type EdgeLogin, type EdgeToken, type EdgeUser } from './dataset.ts';

export const EDGE_PREFIX = '/api';
export const EDGE_PAGE_PARAM = 'p';
export const EDGE_SIZE_PARAM = 'limit';
export const EDGE_DEFAULT_SIZE = 30;
export const EDGE_MAX_SIZE = 75;

const notFound = (): ApiResponse => ({ status: 404, body: { detail: 'Not found.' } });
const invalidPage = (): ApiResponse => ({ status: 404, body: { detail: 'Invalid page.' } });

/** The page size a request gets: the default when absent or bad, the cap when above it. */
export function edgePageSize(asked: string | null): number {
  const size = parseWhole(asked);
  return size === undefined || size === 0 ? EDGE_DEFAULT_SIZE : Math.min(size, EDGE_MAX_SIZE);
}

/**
 * One page of a list, with a Link header of first/prev/next/last on the public host. Every other
 * query parameter the caller sent is kept, in its order; the page parameters go last.
 */
function paged<T>(items: T[], request: ApiRequest, publicBase: string, canonicalPath: string, render: (item: T) => unknown): ApiResponse {
  const pageText = request.query.get(EDGE_PAGE_PARAM);
  const page = pageText === null ? 1 : parseWhole(pageText);
  const size = edgePageSize(request.query.get(EDGE_SIZE_PARAM));
  const lastPage = Math.max(1, Math.ceil(items.length / size));
  if (page === undefined || page < 1 || page > lastPage) return invalidPage();
  const kept = new URLSearchParams();
  for (const [key, value] of request.query) if (key !== EDGE_PAGE_PARAM && key !== EDGE_SIZE_PARAM) kept.append(key, value);
  const urlFor = (number: number): string => {
    const params = new URLSearchParams(kept);
    params.append(EDGE_PAGE_PARAM, String(number));
    params.append(EDGE_SIZE_PARAM, String(size));
    return `${publicBase}${canonicalPath}?${params.toString()}`;
  };
  // One link per URL with all its relations (RFC 8288: `rel="prev first"`), in first/prev/next/last order.
  const relations = new Map<number, string[]>();
  const relate = (number: number, rel: string): void => {
    relations.set(number, [...(relations.get(number) ?? []), rel]);
  };
  relate(1, 'first');
  if (page > 1) relate(page - 1, 'prev');
  if (page < lastPage) relate(page + 1, 'next');
  relate(lastPage, 'last');
  const links = [...relations.entries()].map(([number, rels]) => `<${urlFor(number)}>; rel="${rels.join(' ')}"`);
  return {
    status: 200,
    headers: { link: links.join(', ') },
    body: items.slice((page - 1) * size, page * size).map(render),
  };
}

function contains(value: string | null, needle: string): boolean {
  return value !== null && value.toLowerCase().includes(needle.toLowerCase());
}

const STRING_FILTERS = ['first_name', 'last_name', 'email', 'username'] as const;
const BOOLEAN_FIELDS = ['is_active', 'is_superuser', 'is_staff', 'can_inbox', 'allow_rest_access'] as const;
const STRING_FIELDS = ['username', 'first_name', 'last_name', 'email', 'description', 'organization'] as const;

export function edgeRouter(data: Dataset): Router {
  const publicBase = `${data.publicOrigins.edge}${EDGE_PREFIX}`;
  const userUrl = (user: EdgeUser): string => `${publicBase}/users/${user.id}/`;

  const authorized = (handler: Handler): Handler => (request, params) => {
    const header = request.headers['authorization'];
    const refuse = (detail: string): ApiResponse => ({ status: 401, headers: { 'www-authenticate': 'Basic realm="api"' }, body: { detail } });
    if (header === undefined) return refuse('Authentication credentials were not provided.');
    const [scheme, credential = ''] = header.split(/ (.*)/s);
    if (scheme?.toLowerCase() === 'basic') {
      const decoded = Buffer.from(credential, 'base64').toString('utf8');
      if (decoded === `${data.credentials.edgeUsername}:${data.credentials.edgePassword}`) return handler(request, params);
      return refuse('Invalid username/password.');
    }
    if (scheme?.toLowerCase() === 'token') {
      const separator = credential.lastIndexOf(':');
      const username = credential.slice(0, separator);
      const secret = credential.slice(separator + 1);
      const user = data.edgeUsers.find((candidate) => candidate.username === username);
      const tokens = user ? (data.edgeTokens.get(user.id) ?? []) : [];
      if (user && user.is_active && user.allow_rest_access && separator > 0 && tokens.some((token) => token.active && token._plaintext === secret)) {
        return handler(request, params);
      }
      return refuse('Invalid token.');
    }
    return refuse('Authentication credentials were not provided.');
  };

  const renderUser = (user: EdgeUser): unknown => ({
    id: user.id,
    url: userUrl(user),
    date_joined: user.date_joined,
    previous_login_date: user.previous_login_date,
    preferences: user.preferences,
    username: user.username,
    first_name: user.first_name,
    last_name: user.last_name,
    email: user.email,
    description: user.description,
    is_active: user.is_active,
    is_superuser: user.is_superuser,
    is_staff: user.is_staff,
    can_inbox: user.can_inbox,
    allow_rest_access: user.allow_rest_access,
    organization: user.organization,
    memberships: [...user.memberships],
    access_tokens_url: `${userUrl(user)}tokens/`,
    login_history_url: `${userUrl(user)}history/`,
  });
  const renderToken = (user: EdgeUser, token: EdgeToken): unknown => ({
    id: token.id,
    title: token.title,
    url: `${userUrl(user)}tokens/${token.id}/`,
    token: '',
    hashed_token: token.hashed_token,
    active: token.active,
    created_on: token.created_on,
    updated_on: token.updated_on,
    last_used: token.last_used,
    expires: token.expires,
  });
  /** The one answer that shows the plaintext, shaped as the docs' POST example. */
  const renderNewToken = (token: EdgeToken): unknown => ({
    last_used: token.last_used,
    title: token.title,
    expires: token.expires,
    token: token._plaintext,
    created_on: token.created_on,
    user: token.user,
    hashed_token: token.hashed_token,
    active: token.active,
    updated_on: token.updated_on,
    id: token.id,
  });
  const renderLogin = (login: EdgeLogin): unknown => ({
    success: login.success,
    user_agent: login.user_agent,
    attempted_on: login.attempted_on,
    remote_address: login.remote_address,
  });

  const userById = (id: string | undefined) => data.edgeUsers.find((user) => user.id === id);
  const newId = (): string => Math.floor(Date.now() / 1000).toString(16).padStart(8, '0') + randomBytes(8).toString('hex');

  /** Field errors for a create (complete) or a PATCH; a taken username is one of them, as Django has it. */
  const validateUser = (body: Record<string, unknown>, complete: boolean, self: EdgeUser | undefined): Record<string, string[]> => {
    const errors: Record<string, string[]> = {};
    const required = complete ? ['username', 'password', 'first_name', 'last_name', 'email'] : [];
    for (const key of required) if (body[key] === undefined || body[key] === '') errors[key] = ['This field is required.'];
    for (const key of [...STRING_FIELDS, 'password']) {
      const value = body[key];
      if (value !== undefined && value !== null && typeof value !== 'string') errors[key] = ['Not a valid string.'];
    }
    for (const key of BOOLEAN_FIELDS) if (body[key] !== undefined && typeof body[key] !== 'boolean') errors[key] = ['Must be a valid boolean.'];
    const memberships = body['memberships'];
    if (memberships !== undefined && !(Array.isArray(memberships) && memberships.every((item) => typeof item === 'string'))) errors['memberships'] = ['Expected a list of items.'];
    const username = body['username'];
    if (typeof username === 'string') {
      if (!/^[\p{L}\p{N}_.@+-]{1,150}$/u.test(username)) errors['username'] = ['Enter a valid username.'];
      else if (data.edgeUsers.some((user) => user.username === username && user !== self)) errors['username'] = ['A user with that username already exists.'];
    }
    return errors;
  };
  const applyUser = (user: EdgeUser, body: Record<string, unknown>): void => {
    for (const key of STRING_FIELDS) {
      const value = body[key];
      if (typeof value === 'string') user[key] = value;
      else if (value === null && key !== 'username' && key !== 'email' && key !== 'description') user[key] = null;
    }
    for (const key of BOOLEAN_FIELDS) if (typeof body[key] === 'boolean') user[key] = body[key];
    if (Array.isArray(body['memberships'])) user.memberships = [...(body['memberships'] as string[])];
    if (typeof body['password'] === 'string') user._password_hash = `pbkdf2_sha256$260000$${randomBytes(6).toString('hex')}$x=`;
  };

  const router = new Router('optional');
  router.add('GET', '/users/', authorized((request) => {
    const isActive = request.query.get('is_active');
    const activeWanted = parseBoolean(isActive);
    if (isActive !== null && activeWanted === undefined) return { status: 400, body: { is_active: ['Select a valid choice.'] } };
    const users = data.edgeUsers.filter((user) => {
      for (const key of STRING_FILTERS) {
        const needle = request.query.get(key);
        if (needle !== null && !contains(user[key], needle)) return false;
      }
      return activeWanted === undefined || user.is_active === activeWanted;
    });
    return paged(users, request, publicBase, '/users/', renderUser);
  }));
  router.add('POST', '/users/', authorized((request) => {
    if (!isObject(request.body)) return { status: 400, body: { non_field_errors: ['Invalid data.'] } };
    const errors = validateUser(request.body, true, undefined);
    if (Object.keys(errors).length > 0) return { status: 400, body: errors };
    const joined = { ms: Date.now(), micro: 0 };
    const user: EdgeUser = {
      id: newId(),
      date_joined: edgeTime(joined),
      previous_login_date: null,
      preferences: null,
      username: '',
      first_name: null,
      last_name: null,
      email: '',
      description: '',
      is_active: true,
      is_superuser: false,
      is_staff: false,
      can_inbox: true,
      allow_rest_access: false,
      organization: null,
      memberships: ['WHITE'],
      _password_hash: '',
      _moments: { joined, previousLogin: null },
    };
    applyUser(user, request.body);
    data.edgeUsers.push(user);
    data.edgeTokens.set(user.id, []);
    data.edgeHistory.set(user.id, []);
    return { status: 201, body: renderUser(user) };
  }));
  router.add('GET', '/users/:id/', authorized((_request, params) => {
    const user = userById(params['id']);
    return user ? { status: 200, body: renderUser(user) } : notFound();
  }));
  router.add('PATCH', '/users/:id/', authorized((request, params) => {
    const user = userById(params['id']);
    if (!user) return notFound();
    if (!isObject(request.body)) return { status: 400, body: { non_field_errors: ['Invalid data.'] } };
    const errors = validateUser(request.body, false, user);
    if (Object.keys(errors).length > 0) return { status: 400, body: errors };
    applyUser(user, request.body);
    return { status: 202 };
  }));
  router.add('DELETE', '/users/:id/', authorized((_request, params) => {
    const user = userById(params['id']);
    if (!user) return notFound();
    data.edgeUsers.splice(data.edgeUsers.indexOf(user), 1);
    data.edgeTokens.delete(user.id);
    data.edgeHistory.delete(user.id);
    return { status: 204 };
  }));

  router.add('GET', '/users/:id/tokens/', authorized((request, params) => {
    const user = userById(params['id']);
    if (!user) return notFound();
    return paged(data.edgeTokens.get(user.id) ?? [], request, publicBase, `/users/${user.id}/tokens/`, (token) => renderToken(user, token));
  }));
  router.add('POST', '/users/:id/tokens/', authorized((request, params) => {
    const user = userById(params['id']);
    if (!user) return notFound();
    if (!isObject(request.body) || typeof request.body['title'] !== 'string' || request.body['title'] === '') {
      return { status: 400, body: { title: ['This field is required.'] } };
    }
    const created = { ms: Date.now(), micro: 0 };
    const expires = { ms: created.ms + 365 * 86_400_000, micro: 0 };
    const token: EdgeToken = {
      id: newId(),
      user: user.id,
      title: request.body['title'],
      _plaintext: randomBytes(20).toString('hex'),
      hashed_token: `$2b$10$${randomBytes(40).toString('base64').replace(/[+=]/g, '.').slice(0, 53)}`,
      active: true,
      created_on: edgeTime(created),
      updated_on: edgeTime(created),
      last_used: null,
      expires: edgeTime(expires),
      _moments: { created, updated: created, lastUsed: null, expires },
    };
    const tokens = data.edgeTokens.get(user.id) ?? [];
    tokens.push(token);
    data.edgeTokens.set(user.id, tokens);
    return { status: 201, body: renderNewToken(token) };
  }));
  const tokenOf = (params: Record<string, string>): { user: EdgeUser; token: EdgeToken } | undefined => {
    const user = userById(params['id']);
    const token = user ? (data.edgeTokens.get(user.id) ?? []).find((candidate) => candidate.id === params['tokenid']) : undefined;
    return user && token ? { user, token } : undefined;
  };
  router.add('GET', '/users/:id/tokens/:tokenid/', authorized((_request, params) => {
    const found = tokenOf(params);
    return found ? { status: 200, body: renderToken(found.user, found.token) } : notFound();
  }));
  router.add('PATCH', '/users/:id/tokens/:tokenid/', authorized((request, params) => {
    const found = tokenOf(params);
    if (!found) return notFound();
    const body = request.body;
    if (!isObject(body)) return { status: 400, body: { non_field_errors: ['Invalid data.'] } };
    if (body['active'] !== undefined && typeof body['active'] !== 'boolean') return { status: 400, body: { active: ['Must be a valid boolean.'] } };
    if (body['title'] !== undefined && typeof body['title'] !== 'string') return { status: 400, body: { title: ['Not a valid string.'] } };
    if (typeof body['active'] === 'boolean') found.token.active = body['active'];
    if (typeof body['title'] === 'string') found.token.title = body['title'];
    const updated = { ms: Date.now(), micro: 0 };
    found.token._moments.updated = updated;
    found.token.updated_on = edgeTime(updated);
    return { status: 202 };
  }));
  router.add('DELETE', '/users/:id/tokens/:tokenid/', authorized((_request, params) => {
    const found = tokenOf(params);
    if (!found) return notFound();
    const tokens = data.edgeTokens.get(found.user.id) ?? [];
    tokens.splice(tokens.indexOf(found.token), 1);
    return { status: 204 };
  }));

  router.add('GET', '/users/:id/history/', authorized((request, params) => {
    const user = userById(params['id']);
    if (!user) return notFound();
    return paged(data.edgeHistory.get(user.id) ?? [], request, publicBase, `/users/${user.id}/history/`, renderLogin);
  }));

  return router;
}

export const edgeErrors = {
  notFound,
  methodNotAllowed: (method: string): ApiResponse => ({ status: 405, body: { detail: `Method "${method}" not allowed.` } }),
  badJson: (): ApiResponse => ({ status: 400, body: { detail: 'JSON parse error' } }),
};
