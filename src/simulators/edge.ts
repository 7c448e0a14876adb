// Simulated edge: users, their access tokens and login history, base /api.
// Lists are plain JSON arrays paged with ?page (1-based) & ?per_page and an RFC 5988 Link header
// (the parameters' names, the default and largest page size are options: other servers differ).
import { createHash, randomBytes } from 'node:crypto';
import { formatEdgeTime, type Dataset, type EdgeAccessToken, type EdgeUser, type JsonObject } from './dataset.ts';
import {
  createSimulatorServer,
  decodeBasicCredentials,
  empty,
  filterValue,
  includesIgnoringCase,
  json,
  parseBooleanParam,
  parseIntegerParam,
  readAuthorization,
  splitUserSecret,
  urlWithQuery,
  validateFields,
  type FieldSpec,
  type Reply,
  type RequestContext,
  type Route,
  type SimulatorServer,
  type SimulatorServerOptions,
} from './http.ts';

/**
 * How edge pages its lists. The docs name no parameters, so other implementations of them name
 * them differently and cap pages differently; the links always show them.
 */
export interface EdgePaging {
  /** default `page` (1-based) */
  pageParam: string;
  /** default `per_page` */
  sizeParam: string;
  /** default 25 */
  defaultSize: number;
  /** the largest page served, whatever is asked (default 100) */
  maxSize: number;
  /** serve `defaultSize` whatever size is asked; the links still echo the size asked (default false) */
  ignoresSize: boolean;
}

export const EDGE_PAGING_DEFAULTS: EdgePaging = { pageParam: 'page', sizeParam: 'per_page', defaultSize: 25, maxSize: 100, ignoresSize: false };

export interface EdgeServerOptions extends SimulatorServerOptions {
  username: string;
  password: string;
  /** the secret of `Authorization: Token <username>:<token>` */
  token: string;
  paging?: Partial<EdgePaging>;
}

const PREFIX = '/api';
const TOKEN_LIFETIME_MS = 365 * 86_400_000;

const NOT_FOUND: Reply = { status: 404, body: { detail: 'Not found.' } };

const USER_FIELDS: Readonly<Record<string, FieldSpec>> = {
  username: { kind: 'string', required: true },
  password: { kind: 'string', required: true },
  first_name: { kind: 'string', required: true },
  last_name: { kind: 'string', required: true },
  email: { kind: 'email', required: true },
  description: { kind: 'string', allowBlank: true },
  is_active: { kind: 'boolean' },
  is_superuser: { kind: 'boolean' },
  is_staff: { kind: 'boolean' },
  can_inbox: { kind: 'boolean' },
  allow_rest_access: { kind: 'boolean' },
  organization: { kind: 'string', nullable: true },
  memberships: { kind: 'string-list' },
};
/** PATCH takes the same fields but the password. */
const { password: _password, ...USER_PATCH_FIELDS } = USER_FIELDS;

const STRING_FILTERS = ['first_name', 'last_name', 'email', 'username'] as const;
const BOOLEAN_FIELDS = ['is_active', 'is_superuser', 'is_staff', 'can_inbox', 'allow_rest_access'] as const;

function now(): string {
  return formatEdgeTime(Date.now());
}

function objectId(): string {
  return randomBytes(12).toString('hex');
}

/** Looks like a bcrypt hash; only its shape matters to clients. */
function hashLike(plaintext: string): string {
  const digest = createHash('sha512').update(plaintext).digest('base64').replace(/\+/g, '.').replace(/=+$/, '');
  return `$2b$10$${digest.slice(0, 53)}`;
}

function userUrl(origin: string, userId: string): string {
  return `${origin}${PREFIX}/users/${userId}/`;
}

function serializeUser(user: EdgeUser, origin: string): JsonObject {
  const url = userUrl(origin, user.id);
  return {
    id: user.id,
    url,
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
    memberships: user.memberships,
    access_tokens_url: `${url}tokens/`,
    login_history_url: `${url}history/`,
  };
}

/** Reads never show the plaintext token: "" plus its hash. */
function serializeToken(token: EdgeAccessToken, userId: string, origin: string): JsonObject {
  return {
    id: token.id,
    title: token.title,
    url: `${userUrl(origin, userId)}tokens/${token.id}/`,
    token: '',
    hashed_token: token.hashed_token,
    active: token.active,
    created_on: token.created_on,
    updated_on: token.updated_on,
    last_used: token.last_used,
    expires: token.expires,
  };
}

function applyUserFields(user: EdgeUser, body: JsonObject): void {
  for (const name of ['username', 'first_name', 'last_name', 'email', 'description', 'password'] as const) {
    const value = body[name];
    if (typeof value === 'string') user[name] = value;
  }
  for (const name of BOOLEAN_FIELDS) {
    const value = body[name];
    if (typeof value === 'boolean') user[name] = value;
  }
  const organization = body['organization'];
  if (organization !== undefined) user.organization = typeof organization === 'string' ? organization : null;
  const memberships = body['memberships'];
  if (Array.isArray(memberships)) user.memberships = memberships.filter((item): item is string => typeof item === 'string');
}

/** Pages any list; the Link header's URLs keep the caller's other parameters and Host. */
function pagedList<T>(paging: EdgePaging, context: RequestContext, items: readonly T[], serializeItem: (item: T) => JsonObject): Reply {
  const { pageParam, sizeParam } = paging;
  const page = parseIntegerParam(context.query, pageParam, { fallback: 1, min: 1 });
  if (!page.ok) return json(400, { [pageParam]: [page.message] });
  const asked = parseIntegerParam(context.query, sizeParam, { fallback: paging.defaultSize, min: 1, clampTo: paging.maxSize });
  if (!asked.ok) return json(400, { [sizeParam]: [asked.message] });
  const perPage = paging.ignoresSize ? paging.defaultSize : asked.value;
  const lastPage = Math.max(1, Math.ceil(items.length / perPage));
  const base = `${context.origin}${PREFIX}${context.path}`;
  const link = (pageNumber: number, rel: string): string =>
    `<${urlWithQuery(base, context.query, { [pageParam]: String(pageNumber), [sizeParam]: String(asked.value) })}>; rel="${rel}"`;
  const links: string[] = [];
  if (lastPage > 1) {
    if (page.value > 1) links.push(link(1, 'first'), link(Math.min(page.value - 1, lastPage), 'prev'));
    if (page.value < lastPage) links.push(link(page.value + 1, 'next'), link(lastPage, 'last'));
  }
  const start = (page.value - 1) * perPage;
  const body = items.slice(start, start + perPage).map(serializeItem);
  return json(200, body, links.length > 0 ? { link: links.join(', ') } : undefined);
}

export function createEdgeServer(dataset: Dataset, options: EdgeServerOptions): SimulatorServer {
  const paging: EdgePaging = { ...EDGE_PAGING_DEFAULTS, ...options.paging };
  function findUser(context: RequestContext): EdgeUser | undefined {
    return dataset.edgeUsers.find((user) => user.id === context.params['id']);
  }

  function usernameTaken(body: JsonObject, except?: EdgeUser): boolean {
    const username = body['username'];
    return typeof username === 'string' && dataset.edgeUsers.some((user) => user.username === username && user !== except);
  }

  const withUser = (action: (user: EdgeUser, context: RequestContext) => Reply) => (context: RequestContext): Reply => {
    const user = findUser(context);
    return user ? action(user, context) : NOT_FOUND;
  };

  const withToken = (action: (user: EdgeUser, token: EdgeAccessToken, context: RequestContext) => Reply) =>
    withUser((user, context) => {
      const token = user.tokens.find((candidate) => candidate.id === context.params['tokenId']);
      return token ? action(user, token, context) : NOT_FOUND;
    });

  function listUsers(context: RequestContext): Reply {
    const isActive = parseBooleanParam(context.query, 'is_active');
    if (!isActive.ok) return json(400, { is_active: [isActive.message] });
    const needles = STRING_FILTERS
      .map((field) => ({ field, needle: filterValue(context.query, field) }))
      .filter((filter): filter is { field: (typeof STRING_FILTERS)[number]; needle: string } => filter.needle !== undefined);
    const users = dataset.edgeUsers.filter((user) =>
      (isActive.value === undefined || user.is_active === isActive.value)
      && needles.every(({ field, needle }) => includesIgnoringCase(user[field], needle)));
    return pagedList(paging, context, users, (user) => serializeUser(user, context.origin));
  }

  function createUser(context: RequestContext): Reply {
    const errors = validateFields(context.body, USER_FIELDS, { partial: false });
    if (errors) return json(400, errors);
    if (usernameTaken(context.body)) return json(400, { username: ['A user with that username already exists.'] });
    const user: EdgeUser = {
      id: objectId(),
      date_joined: now(),
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
      password: '',
      tokens: [],
      history: [],
    };
    applyUserFields(user, context.body);
    dataset.edgeUsers.push(user);
    return json(201, serializeUser(user, context.origin));
  }

  function patchUser(user: EdgeUser, context: RequestContext): Reply {
    const errors = validateFields(context.body, USER_PATCH_FIELDS, { partial: true });
    if (errors) return json(400, errors);
    if (usernameTaken(context.body, user)) return json(400, { username: ['A user with that username already exists.'] });
    const { password: _ignored, ...changes } = context.body;
    applyUserFields(user, changes);
    return empty(202);
  }

  function deleteUser(user: EdgeUser): Reply {
    dataset.edgeUsers.splice(dataset.edgeUsers.indexOf(user), 1);
    return empty(204);
  }

  /** The only time the plaintext token is shown. */
  function createToken(user: EdgeUser, context: RequestContext): Reply {
    const errors = validateFields(context.body, { title: { kind: 'string', required: true } }, { partial: false });
    if (errors) return json(400, errors);
    const plaintext = randomBytes(20).toString('hex');
    const createdAt = Date.now();
    const token: EdgeAccessToken = {
      id: objectId(),
      title: String(context.body['title']),
      hashed_token: hashLike(plaintext),
      active: true,
      created_on: formatEdgeTime(createdAt),
      updated_on: formatEdgeTime(createdAt),
      last_used: null,
      expires: formatEdgeTime(createdAt + TOKEN_LIFETIME_MS),
    };
    user.tokens.push(token);
    return json(201, {
      last_used: token.last_used,
      title: token.title,
      expires: token.expires,
      token: plaintext,
      created_on: token.created_on,
      user: user.id,
      hashed_token: token.hashed_token,
      active: token.active,
      updated_on: token.updated_on,
      id: token.id,
    });
  }

  function patchToken(token: EdgeAccessToken, context: RequestContext): Reply {
    const errors = validateFields(context.body, { active: { kind: 'boolean', required: true } }, { partial: false });
    if (errors) return json(400, errors);
    token.active = context.body['active'] === true;
    token.updated_on = now();
    return empty(202);
  }

  const routes: Route[] = [
    { method: 'GET', pattern: '/users/', handler: listUsers },
    { method: 'POST', pattern: '/users/', handler: createUser },
    { method: 'GET', pattern: '/users/:id/', handler: withUser((user, context) => json(200, serializeUser(user, context.origin))) },
    { method: 'PATCH', pattern: '/users/:id/', handler: withUser(patchUser) },
    { method: 'DELETE', pattern: '/users/:id/', handler: withUser(deleteUser) },
    {
      method: 'GET',
      pattern: '/users/:id/tokens/',
      handler: withUser((user, context) => pagedList(paging, context, user.tokens, (token) => serializeToken(token, user.id, context.origin))),
    },
    { method: 'POST', pattern: '/users/:id/tokens/', handler: withUser(createToken) },
    {
      method: 'GET',
      pattern: '/users/:id/tokens/:tokenId/',
      handler: withToken((user, token, context) => json(200, serializeToken(token, user.id, context.origin))),
    },
    { method: 'PATCH', pattern: '/users/:id/tokens/:tokenId/', handler: withToken((_user, token, context) => patchToken(token, context)) },
    {
      method: 'DELETE',
      pattern: '/users/:id/tokens/:tokenId/',
      handler: withToken((user, token) => {
        user.tokens.splice(user.tokens.indexOf(token), 1);
        return empty(204);
      }),
    },
    { method: 'GET', pattern: '/users/:id/history/', handler: withUser((user, context) => pagedList(paging, context, user.history, (attempt) => ({ ...attempt }))) },
  ];

  return createSimulatorServer({
    upstream: 'edge',
    prefix: PREFIX,
    routes,
    authenticate(headers) {
      const authorization = readAuthorization(headers);
      const presented = authorization?.scheme === 'basic' ? decodeBasicCredentials(authorization.credentials)
        : authorization?.scheme === 'token' ? splitUserSecret(authorization.credentials)
          : undefined;
      const expectedSecret = authorization?.scheme === 'basic' ? options.password : options.token;
      if (presented && presented.user === options.username && presented.secret === expectedSecret) return undefined;
      return json(401, { detail: 'Invalid username/password.' }, { 'www-authenticate': 'Basic realm="api"' });
    },
    errorBody: (_status, message) => ({ detail: message }),
  }, options);
}
