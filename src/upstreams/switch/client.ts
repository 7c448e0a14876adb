import { cachePlan } from '../call-path/cache.ts';
import { UpstreamError, type QueryParams, type RefusalReader, type UpstreamHttp, type UpstreamProtocol, type CallScope } from '../http.ts';
import { readPagedWindow, type ListWindow, type WindowPage } from '../paging.ts';
import { parsePayload } from '../validation.ts';
import { switchEnvelopeSchema, switchReplySchema, switchUserPageSchema, type SwitchUser } from './types.ts';

/** The page size the gateway asks for; switch may serve smaller pages, which is handled. */
export const SWITCH_PAGE_SIZE = 100;

/**
 * The longest request target (path and query) of a lookup by ids: 2,000 bytes, which every server
 * and proxy takes (RFC 9110 asks them to take 8,000; common ones refuse past 8 KiB with 414, old
 * ones near 2 KiB). Ids that would not fit one `user_id_in` go out in several calls, concurrently.
 */
export const SWITCH_MAX_REQUEST_TARGET_BYTES = 2000;

/** `user_id_in`'s comma, percent-encoded in the query. */
const ID_SEPARATOR_BYTES = encodeURIComponent(',').length;

/** The rest of a lookup's query besides the ids, as long as it can get (`&page=…&per_page=…`). */
const PAGING_QUERY_BYTES = `?user_id_in=&page=${'9'.repeat(6)}&per_page=${SWITCH_PAGE_SIZE}`.length;

/** The bytes of the path `/user/list` has on this upstream: its base path and the route. */
function listPathBytesOf(http: UpstreamHttp): number {
  return Buffer.byteLength(`${http.basePath}/user/list`);
}

/** The ids in batches whose `user_id_in` keeps each request target within `maxTargetBytes`. */
export function idBatches(ids: readonly number[], pathBytes: number, maxTargetBytes = SWITCH_MAX_REQUEST_TARGET_BYTES): number[][] {
  const budget = maxTargetBytes - pathBytes - PAGING_QUERY_BYTES;
  const batches: number[][] = [];
  let batch: number[] = [];
  let used = 0;
  for (const id of ids) {
    const bytes = String(id).length;
    // A batch always takes one id, however long the base path: the call cannot be made shorter.
    if (batch.length > 0 && used + ID_SEPARATOR_BYTES + bytes > budget) {
      batches.push(batch);
      batch = [];
      used = 0;
    }
    used += (batch.length > 0 ? ID_SEPARATOR_BYTES : 0) + bytes;
    batch.push(id);
  }
  if (batch.length > 0) batches.push(batch);
  return batches;
}

/** switch's documented filters; `name` and `carrierName` are substring matches upstream. */
export interface SwitchUserFilter {
  active?: boolean;
  carrierName?: string;
  isOnline?: number;
  name?: string;
  roleId?: number;
  userType?: string;
  createdAfter?: string;
  createdBefore?: string;
  lastLoginAfter?: string;
  lastLoginBefore?: string;
  neverLoggedIn?: boolean;
  userIds?: readonly number[];
}

export interface SwitchUserOrder {
  /** An upstream field name, e.g. `user_id` or `create_time`. */
  field: string;
  direction: 'asc' | 'desc';
}

const unauthenticatedCodes = new Set([110, 120]);
/** A reason is shown only when it is one of switch's own machine words, never free text. */
const reasonWord = /^[a-z][a-z0-9_]{0,63}$/i;

/**
 * switch answers `success: false` with any status (the docs give none for a wrong token): the
 * envelope, not the status, says what went wrong.
 */
const readSwitchRefusal: RefusalReader = (status, body) => {
  const parsed = switchEnvelopeSchema.safeParse(body);
  if (!parsed.success || parsed.data.success !== false) return undefined;
  const { error_type: errorType, error } = parsed.data;
  const unauthenticated = errorType === 'unauthenticated_error' || (error?.code != null && unauthenticatedCodes.has(error.code));
  const reason = [error?.reason, errorType].find((word) => word != null && reasonWord.test(word)) ?? 'no reason given';
  return {
    code: unauthenticated ? 'UPSTREAM_UNAUTHENTICATED' : status >= 200 && status < 300 ? 'UPSTREAM_ERROR' : undefined,
    message: `switch refused the user list (${reason})`,
  };
};

/** switch's one collection (the gateway never writes to it); `passwd` and `cdr_api_token` are stored as null. */
const switchCaching = cachePlan({
  collections: { users: { routes: ['/user/list'], writesChange: ['users'] } },
  secretKeys: ['passwd', 'cdr_api_token'],
});

export const switchProtocol: UpstreamProtocol = {
  baseProbe: { route: '/user/list', query: { page: 0, per_page: 1 } },
  refusal: readSwitchRefusal,
  caching: switchCaching,
};

export interface SwitchLimits {
  /** The most substring matches read to find one exact name (`SWITCH_NAME_SEARCH_MAX_MATCHES`). */
  nameSearchMaxMatches: number;
}

/** switch's one documented endpoint, `GET /user/list`, for one incoming request. */
export class SwitchClient {
  private readonly http: UpstreamHttp;
  private readonly scope: CallScope;
  private readonly limits: SwitchLimits;
  constructor(
    http: UpstreamHttp,
    scope: CallScope,
    limits: SwitchLimits,
  ) {
    this.http = http;
    this.scope = scope;
    this.limits = limits;
  }

  async #readPage(query: QueryParams, page: number, perPage: number) {
    const route = '/user/list';
    const reply = await this.http.request({ route, query: { ...query, page, per_page: perPage } }, this.scope);
    const envelope = parsePayload('switch', switchReplySchema, reply.body, 'reply', { http: this.http, route });
    const payload = parsePayload('switch', switchUserPageSchema, envelope.payload, 'user page', { http: this.http, route, at: 'payload' });
    return { items: payload.items, total: payload.total, perPage: payload.per_page ?? perPage };
  }

  async listUsers(filter: SwitchUserFilter, order: SwitchUserOrder | undefined, window: ListWindow): Promise<WindowPage<SwitchUser>> {
    // An empty `user_id_in` would read as no filter at all upstream.
    if (filter.userIds?.length === 0) return { items: [], total: 0 };
    const query = { ...toQuery(filter), order_by: order?.field, order_dir: order?.direction };
    return readPagedWindow(window, SWITCH_PAGE_SIZE, (page, perPage) => this.#readPage(query, page, perPage));
  }

  /**
   * The user whose name is exactly this one; switch's `name` filter is a substring match, so a
   * short name can match thousands: past the limit the search is refused rather than read through.
   */
  async findUserByName(name: string): Promise<SwitchUser | null> {
    const isTheOne = (user: SwitchUser) => user.name === name;
    const first = await this.#readPage({ name }, 0, SWITCH_PAGE_SIZE);
    const found = first.items.find(isTheOne);
    if (found || first.total <= first.items.length) return found ?? null;
    if (first.total > this.limits.nameSearchMaxMatches) {
      throw new UpstreamError(
        'switch',
        'UPSTREAM_SEARCH_TOO_BROAD',
        `switch has ${first.total} users whose name contains this one, more than the ${this.limits.nameSearchMaxMatches} read to find it (SWITCH_NAME_SEARCH_MAX_MATCHES)`,
      );
    }
    const rest = await this.listUsers({ name }, undefined, { offset: first.items.length, limit: first.total - first.items.length });
    return rest.items.find(isTheOne) ?? null;
  }

  /**
   * Several users by id (`user_id_in`), in as few requests as keep each request target within
   * `SWITCH_MAX_REQUEST_TARGET_BYTES` (one for 100 ids under the docs' `/v1`), made concurrently;
   * missing ids are absent from the answer.
   */
  async getUsersByIds(ids: readonly number[]): Promise<SwitchUser[]> {
    const batches = idBatches(ids, listPathBytesOf(this.http));
    const pages = await Promise.all(batches.map((batch) => this.listUsers({ userIds: batch }, undefined, { offset: 0, limit: batch.length })));
    return pages.flatMap((page) => page.items);
  }
}

function toQuery(filter: SwitchUserFilter): QueryParams {
  return {
    active: filter.active,
    carrier_name: filter.carrierName,
    is_online: filter.isOnline,
    name: filter.name,
    role_id: filter.roleId,
    user_type: filter.userType,
    create_time_gt: filter.createdAfter,
    create_time_lt: filter.createdBefore,
    last_login_time_gt: filter.lastLoginAfter,
    last_login_time_lt: filter.lastLoginBefore,
    last_login_time_isnull: filter.neverLoggedIn,
    user_id_in: filter.userIds?.join(','),
  };
}
