// Simulated switch: only GET /v1/user/list, answering in a {success, payload | error} envelope.
import type { Dataset, SwitchUser } from './dataset.ts';
import {
  createSimulatorServer,
  filterValue,
  includesIgnoringCase,
  json,
  parseBooleanParam,
  parseIntegerParam,
  singleHeader,
  type Parsed,
  type Reply,
  type RequestContext,
  type SimulatorServer,
  type SimulatorServerOptions,
} from './http.ts';

export interface SwitchServerOptions extends SimulatorServerOptions {
  token: string;
}

const PER_PAGE_DEFAULT = 30;
const PER_PAGE_MAX = 100;

const SORTABLE_FIELDS = new Set<string>([
  'user_id', 'name', 'user_type', 'active', 'carrier_name', 'role_id', 'role_name', 'last_login_time', 'create_time',
  'email', 'last_seen', 'is_online', 'first_name', 'last_name', 'fullname', 'client_id', 'login_ip', 'create_user_id',
]);

type SortableValue = string | number | boolean | null;
type UserPredicate = (user: SwitchUser) => boolean;

function errorEnvelope(status: number, errorType: string, message: string, code: number, reason: string): Reply {
  return json(status, { success: false, error_type: errorType, error: { message, code, reason } });
}

function invalidParameter(message: string): Reply {
  return errorEnvelope(400, 'validation_error', message, 400, 'invalid_parameter');
}

const ERROR_KINDS: Readonly<Record<number, { errorType: string; reason: string }>> = {
  400: { errorType: 'validation_error', reason: 'invalid_parameter' },
  404: { errorType: 'not_found_error', reason: 'not_found' },
  405: { errorType: 'method_not_allowed_error', reason: 'method_not_allowed' },
  414: { errorType: 'validation_error', reason: 'uri_too_long' },
};

/** Microseconds since the epoch; a timestamp without a zone is UTC. */
function toEpochMicros(text: string): number | undefined {
  const match = /^(\d{4}-\d{2}-\d{2})(?:[T ](\d{2}:\d{2}(?::\d{2})?)(?:\.(\d{1,9}))?)?(Z|[+-]\d{2}:?\d{2})?$/i.exec(text.trim());
  if (!match) return undefined;
  const [, date, time, fraction, zone] = match;
  const normalizedZone = !zone || zone.toUpperCase() === 'Z' ? 'Z' : zone.includes(':') ? zone : `${zone.slice(0, 3)}:${zone.slice(3)}`;
  const seconds = Date.parse(`${date}T${time ?? '00:00:00'}${normalizedZone}`);
  if (Number.isNaN(seconds)) return undefined;
  return seconds * 1000 + Number((fraction ?? '').padEnd(6, '0').slice(0, 6));
}

function optionalInteger(query: URLSearchParams, name: string): Parsed<number | undefined> {
  const raw = filterValue(query, name);
  if (raw === undefined) return { ok: true, value: undefined };
  return /^[+-]?\d+$/.test(raw.trim()) ? { ok: true, value: Number.parseInt(raw, 10) } : { ok: false, message: `${name} must be an integer` };
}

/** Every documented filter, AND-ed; a malformed value is an error message. */
function parseFilters(query: URLSearchParams): Parsed<UserPredicate[]> {
  const predicates: UserPredicate[] = [];
  const fail = (name: string, expected: string): Parsed<UserPredicate[]> =>
    ({ ok: false, message: `Invalid value for ${name}: expected ${expected}` });

  const active = parseBooleanParam(query, 'active');
  if (!active.ok) return fail('active', 'true or false');
  if (active.value !== undefined) predicates.push((user) => user.active === active.value);

  const lastLoginIsNull = parseBooleanParam(query, 'last_login_time_isnull');
  if (!lastLoginIsNull.ok) return fail('last_login_time_isnull', 'true or false');
  if (lastLoginIsNull.value !== undefined) predicates.push((user) => (user.last_login_time === null) === lastLoginIsNull.value);

  for (const field of ['is_online', 'role_id'] as const) {
    const wanted = optionalInteger(query, field);
    if (!wanted.ok) return fail(field, 'an integer');
    if (wanted.value !== undefined) predicates.push((user) => user[field] === wanted.value);
  }

  for (const field of ['name', 'carrier_name'] as const) {
    const needle = filterValue(query, field);
    if (needle !== undefined) predicates.push((user) => includesIgnoringCase(user[field], needle));
  }

  const userType = filterValue(query, 'user_type')?.toLowerCase();
  if (userType !== undefined) predicates.push((user) => user.user_type === userType);

  for (const field of ['create_time', 'last_login_time'] as const) {
    for (const comparison of ['gt', 'lt'] as const) {
      const name = `${field}_${comparison}`;
      const raw = filterValue(query, name);
      if (raw === undefined) continue;
      const bound = toEpochMicros(raw);
      if (bound === undefined) return fail(name, 'an ISO 8601 date-time');
      predicates.push((user) => {
        const value = user[field];
        const instant = value === null ? undefined : toEpochMicros(value);
        if (instant === undefined) return false;
        return comparison === 'gt' ? instant > bound : instant < bound;
      });
    }
  }

  const idList = filterValue(query, 'user_id_in');
  if (idList !== undefined) {
    const parts = idList.split(',').map((part) => part.trim()).filter((part) => part !== '');
    if (!parts.every((part) => /^\d+$/.test(part))) return fail('user_id_in', 'comma-separated integers');
    const ids = new Set(parts.map(Number));
    predicates.push((user) => ids.has(user.user_id));
  }
  return { ok: true, value: predicates };
}

/** Postgres ordering: NULLs sort after everything ascending (first descending); ties by user_id. */
function compareUsers(field: string, direction: 1 | -1): (a: SwitchUser, b: SwitchUser) => number {
  const valueOf = (user: SwitchUser): SortableValue => (user as unknown as Record<string, SortableValue>)[field] ?? null;
  return (a, b) => {
    const left = valueOf(a);
    const right = valueOf(b);
    let order = 0;
    if (left === null || right === null) order = left === right ? 0 : left === null ? 1 : -1;
    else if (left < right) order = -1;
    else if (left > right) order = 1;
    return order * direction || a.user_id - b.user_id;
  };
}

function listUsers(dataset: Dataset, context: RequestContext): Reply {
  const page = parseIntegerParam(context.query, 'page', { fallback: 0, min: 0 });
  if (!page.ok) return invalidParameter(`Invalid value for page: ${page.message}`);
  const perPage = parseIntegerParam(context.query, 'per_page', { fallback: PER_PAGE_DEFAULT, min: 1, clampTo: PER_PAGE_MAX });
  if (!perPage.ok) return invalidParameter(`Invalid value for per_page: ${perPage.message}`);
  const orderBy = filterValue(context.query, 'order_by') ?? 'user_id';
  if (!SORTABLE_FIELDS.has(orderBy)) return invalidParameter(`Invalid value for order_by: unknown field "${orderBy}"`);
  const orderDir = (filterValue(context.query, 'order_dir') ?? 'asc').toLowerCase();
  if (orderDir !== 'asc' && orderDir !== 'desc') return invalidParameter('Invalid value for order_dir: expected asc or desc');
  const filters = parseFilters(context.query);
  if (!filters.ok) return invalidParameter(filters.message);

  const matching = dataset.switchUsers
    .filter((user) => filters.value.every((predicate) => predicate(user)))
    .sort(compareUsers(orderBy, orderDir === 'asc' ? 1 : -1));
  const start = page.value * perPage.value;
  return json(200, {
    success: true,
    payload: {
      per_page: perPage.value,
      total: matching.length,
      page: page.value,
      items: matching.slice(start, start + perPage.value),
    },
  });
}

export function createSwitchServer(dataset: Dataset, options: SwitchServerOptions): SimulatorServer {
  return createSimulatorServer({
    upstream: 'switch',
    prefix: '/v1',
    routes: [{ method: 'GET', pattern: '/user/list', handler: (context) => listUsers(dataset, context) }],
    authenticate(headers) {
      const token = singleHeader(headers, 'x-auth-token');
      if (token === undefined || token === '') {
        return errorEnvelope(401, 'unauthenticated_error', 'No header X-Auth-Token present', 110, 'auth_token_not_provided');
      }
      // The real switch's status for a wrong token is undocumented; 200 makes clients check `success`.
      if (token !== options.token) {
        return errorEnvelope(200, 'unauthenticated_error', 'Incorrect token provided', 120, 'incorrect_token_provided');
      }
      return undefined;
    },
    errorBody(status, message) {
      const kind = ERROR_KINDS[status] ?? { errorType: 'internal_error', reason: 'internal_error' };
      return { success: false, error_type: kind.errorType, error: { message, code: status, reason: kind.reason } };
    },
  }, options);
}
