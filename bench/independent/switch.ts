// switch, from its docs (switch-user-list.txt): only `GET /v1/user/list`, admin token in
// `X-Auth-Token`, the `{success, payload: {per_page, total, page, items}}` envelope and
// `{success: false, error_type, error: {message, code, reason}}` errors. Written as a
// Flask-on-Postgres server would answer: 0-based pages, per_page capped at 50 (the cap is echoed
// in `per_page`), NULLS LAST ascending / FIRST descending, byte-order ("C" collation) strings.
import { parseBoolean, parseWhole, Router, type ApiResponse, type Handler } from './http.ts';
import type { Dataset, Moment, SwitchItem } from './dataset.ts';
import { withoutInternal } from './dataset.ts';

export const SWITCH_PREFIX = '/v1';
export const SWITCH_DEFAULT_PER_PAGE = 30;
export const SWITCH_MAX_PER_PAGE = 50;

export const SWITCH_ORDER_FIELDS = ['user_id', 'name', 'create_time', 'last_login_time', 'role_id', 'user_type', 'carrier_name'] as const;
export type SwitchOrderField = (typeof SWITCH_ORDER_FIELDS)[number];

function failure(status: number, errorType: string, message: string, code: number, reason: string): ApiResponse {
  return { status, body: { success: false, error_type: errorType, error: { message, code, reason } } };
}
const invalid = (message: string): ApiResponse => failure(400, 'validation_error', message, 400, 'invalid_parameter');

/** An instant as microseconds since the epoch, so that sub-millisecond order is kept. */
function microsOf(moment: Moment): number {
  return moment.ms * 1000 + moment.micro;
}

/** ISO-8601 with an optional zone (none means UTC) and up to six fraction digits, as microseconds. */
export function parseInstant(text: string): number | undefined {
  const match = /^(\d{4})-(\d{2})-(\d{2})(?:[T ](\d{2}):(\d{2})(?::(\d{2})(?:\.(\d{1,6}))?)?)?(Z|[+-]\d{2}:?\d{2})?$/i.exec(text);
  if (!match) return undefined;
  const [, year, month, day, hour = '0', minute = '0', second = '0', fraction = '', zone = 'Z'] = match;
  let ms = Date.UTC(Number(year), Number(month) - 1, Number(day), Number(hour), Number(minute), Number(second));
  if (Number.isNaN(ms)) return undefined;
  if (zone.toUpperCase() !== 'Z') {
    const sign = zone.startsWith('-') ? -1 : 1;
    const digits = zone.slice(1).replace(':', '');
    ms -= sign * (Number(digits.slice(0, 2)) * 60 + Number(digits.slice(2, 4))) * 60_000;
  }
  return ms * 1000 + Number(fraction.padEnd(6, '0'));
}

export interface SwitchQuery {
  active?: boolean;
  carrierName?: string;
  isOnline?: number;
  name?: string;
  roleId?: number;
  userType?: string;
  createdAfter?: number;
  createdBefore?: number;
  lastLoginAfter?: number;
  lastLoginBefore?: number;
  lastLoginIsNull?: boolean;
  userIds?: number[];
  orderBy: SwitchOrderField;
  descending: boolean;
}

function ilike(value: string | null, needle: string): boolean {
  return value !== null && value.toLowerCase().includes(needle.toLowerCase());
}

/** Filters and orders the items as the query says; check.ts uses it to compute expected lists. */
export function selectSwitchItems(items: readonly SwitchItem[], query: SwitchQuery): SwitchItem[] {
  const selected = items.filter((item) => {
    if (query.active !== undefined && item.active !== query.active) return false;
    if (query.carrierName !== undefined && !ilike(item.carrier_name, query.carrierName)) return false;
    if (query.isOnline !== undefined && item.is_online !== query.isOnline) return false;
    if (query.name !== undefined && !ilike(item.name, query.name)) return false;
    if (query.roleId !== undefined && item.role_id !== query.roleId) return false;
    if (query.userType !== undefined && item.user_type !== query.userType) return false;
    const created = microsOf(item._moments.created);
    if (query.createdAfter !== undefined && !(created > query.createdAfter)) return false;
    if (query.createdBefore !== undefined && !(created < query.createdBefore)) return false;
    const login = item._moments.lastLogin ? microsOf(item._moments.lastLogin) : null;
    // A comparison with NULL is never true in SQL: a user who never logged in is neither after nor before.
    if (query.lastLoginAfter !== undefined && !(login !== null && login > query.lastLoginAfter)) return false;
    if (query.lastLoginBefore !== undefined && !(login !== null && login < query.lastLoginBefore)) return false;
    if (query.lastLoginIsNull !== undefined && (login === null) !== query.lastLoginIsNull) return false;
    if (query.userIds !== undefined && !query.userIds.includes(item.user_id)) return false;
    return true;
  });
  const keyOf = (item: SwitchItem): string | number | null => {
    switch (query.orderBy) {
      case 'create_time':
        return microsOf(item._moments.created);
      case 'last_login_time':
        return item._moments.lastLogin ? microsOf(item._moments.lastLogin) : null;
      default:
        return item[query.orderBy];
    }
  };
  const direction = query.descending ? -1 : 1;
  return selected.sort((a, b) => {
    const left = keyOf(a);
    const right = keyOf(b);
    if (left !== right) {
      // Postgres: NULLs sort as larger than every value (last ascending, first descending).
      if (left === null) return direction;
      if (right === null) return -direction;
      return (left < right ? -1 : 1) * direction;
    }
    return a.user_id - b.user_id;
  });
}

export function switchRouter(data: Dataset): Router {
  const authorized = (handler: Handler): Handler => (request, params) => {
    const token = request.headers['x-auth-token'];
    if (token === undefined) return failure(401, 'unauthenticated_error', 'No header X-Auth-Token present', 110, 'auth_token_not_provided');
    // The docs give no HTTP status for a wrong token, only code 120: this server answers 200.
    if (token !== data.credentials.switchToken) return failure(200, 'unauthenticated_error', 'Incorrect token provided', 120, 'incorrect_token_provided');
    return handler(request, params);
  };

  const router = new Router('none');
  router.add('GET', '/user/list', authorized((request) => {
    const q = request.query;
    const pageText = q.get('page');
    const page = pageText === null ? 0 : parseWhole(pageText);
    if (page === undefined) return invalid('page must be a whole number from 0');
    const perPageText = q.get('per_page');
    const perPageAsked = perPageText === null ? SWITCH_DEFAULT_PER_PAGE : parseWhole(perPageText);
    if (perPageAsked === undefined || perPageAsked === 0) return invalid('per_page must be a positive whole number');
    const perPage = Math.min(perPageAsked, SWITCH_MAX_PER_PAGE);

    const orderBy = (q.get('order_by') ?? 'user_id').toLowerCase();
    if (!(SWITCH_ORDER_FIELDS as readonly string[]).includes(orderBy)) return invalid(`cannot order by ${orderBy}`);
    const orderDir = (q.get('order_dir') ?? 'asc').toLowerCase();
    if (orderDir !== 'asc' && orderDir !== 'desc') return invalid('order_dir must be asc or desc');

    const query: SwitchQuery = { orderBy: orderBy as SwitchOrderField, descending: orderDir === 'desc' };
    const booleans: Array<[string, 'active' | 'lastLoginIsNull']> = [['active', 'active'], ['last_login_time_isnull', 'lastLoginIsNull']];
    for (const [param, key] of booleans) {
      const text = q.get(param);
      if (text === null) continue;
      const value = parseBoolean(text);
      if (value === undefined) return invalid(`${param} must be true or false`);
      query[key] = value;
    }
    const integers: Array<[string, 'isOnline' | 'roleId']> = [['is_online', 'isOnline'], ['role_id', 'roleId']];
    for (const [param, key] of integers) {
      const text = q.get(param);
      if (text === null) continue;
      const value = parseWhole(text);
      if (value === undefined) return invalid(`${param} must be a whole number`);
      query[key] = value;
    }
    const times: Array<[string, 'createdAfter' | 'createdBefore' | 'lastLoginAfter' | 'lastLoginBefore']> = [
      ['create_time_gt', 'createdAfter'],
      ['create_time_lt', 'createdBefore'],
      ['last_login_time_gt', 'lastLoginAfter'],
      ['last_login_time_lt', 'lastLoginBefore'],
    ];
    for (const [param, key] of times) {
      const text = q.get(param);
      if (text === null) continue;
      const value = parseInstant(text);
      if (value === undefined) return invalid(`${param} must be an ISO-8601 date-time`);
      query[key] = value;
    }
    const name = q.get('name');
    if (name !== null) query.name = name;
    const carrier = q.get('carrier_name');
    if (carrier !== null) query.carrierName = carrier;
    const userType = q.get('user_type');
    if (userType !== null) query.userType = userType;
    const ids = q.get('user_id_in');
    if (ids !== null) {
      const parts = ids.split(',').filter((part) => part !== '');
      const numbers = parts.map((part) => parseWhole(part.trim()));
      if (numbers.some((number) => number === undefined)) return invalid('user_id_in must be comma-separated user ids');
      query.userIds = numbers as number[];
    }

    const items = selectSwitchItems(data.switchItems, query);
    return {
      status: 200,
      body: {
        success: true,
        payload: { per_page: perPage, total: items.length, page, items: items.slice(page * perPage, (page + 1) * perPage).map((item) => withoutInternal(item)) },
      },
    };
  }));
  return router;
}

export const switchErrors = {
  notFound: (): ApiResponse => failure(404, 'not_found', 'The requested URL was not found on the server.', 404, 'not_found'),
  methodNotAllowed: (): ApiResponse => failure(405, 'method_not_allowed', 'The method is not allowed for the requested URL.', 405, 'method_not_allowed'),
  badJson: (): ApiResponse => failure(400, 'validation_error', 'The body is not JSON.', 400, 'invalid_body'),
};
