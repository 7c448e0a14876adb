import type { z } from 'zod';
import { isAddressable, nullWhenNotFound, type QueryParams, type UpstreamHttp, type UpstreamProtocol } from '../http.ts';
import { readOffsetWindow, type ListWindow, type WindowPage } from '../paging.ts';
import { parsePayload } from '../validation.ts';
import {
  gateUserExtraListSchema,
  gateUserExtraSchema,
  gateUserListSchema,
  gateUserSchema,
  gateUserTokenListSchema,
  gateUserTokenSchema,
  type GateUser,
  type GateUserExtra,
  type GateUserToken,
} from './types.ts';

/** gate caps a page at 100 items. */
export const GATE_MAX_PAGE_SIZE = 100;

export const gateProtocol: UpstreamProtocol = { baseProbe: { route: '/user/', query: { limit: 1 } } };

export interface GateUserFilter {
  username?: string;
  organization?: string;
}

export interface GateTokenFilter {
  username?: string;
  organization?: string;
}

export interface GateExtraFilter {
  parent?: string;
  organizationId?: string;
}

/** One of gate's three collections, as its endpoints serve it. */
interface GateResource<T> {
  route: string;
  item: z.ZodType<T>;
  list: z.ZodType<{ count: number; results: T[] }>;
  /** The query flag of the costlier detailed read, if the collection has one. */
  detailFlag?: string;
  what: string;
}

const users: GateResource<GateUser> = { route: '/user/', item: gateUserSchema, list: gateUserListSchema, what: 'user' };
const tokens: GateResource<GateUserToken> = {
  route: '/user_token/',
  item: gateUserTokenSchema,
  list: gateUserTokenListSchema,
  detailFlag: 'balance',
  what: 'user token',
};
const extras: GateResource<GateUserExtra> = {
  route: '/user_extra/',
  item: gateUserExtraSchema,
  list: gateUserExtraListSchema,
  detailFlag: 'device_info',
  what: 'user extra',
};

/** gate's User, User Token and User Extra endpoints, for one incoming request. */
export class GateClient {
  constructor(
    private readonly http: UpstreamHttp,
    private readonly requestId: string,
  ) {}

  async #get<T>(route: string, params: Record<string, string> | undefined, query: QueryParams, schema: z.ZodType<T>, what: string): Promise<T> {
    const reply = await this.http.request({ route, params, query }, this.requestId);
    return parsePayload('gate', schema, reply.body, what);
  }

  #withDetail<T>(resource: GateResource<T>, query: QueryParams, detailed: boolean): QueryParams {
    return resource.detailFlag && detailed ? { ...query, [resource.detailFlag]: true } : query;
  }

  #list<T>(resource: GateResource<T>, query: QueryParams, window: ListWindow, detailed = false): Promise<WindowPage<T>> {
    const filtered = this.#withDetail(resource, query, detailed);
    return readOffsetWindow(window, GATE_MAX_PAGE_SIZE, async (offset, limit) => {
      const page = await this.#get(resource.route, undefined, { ...filtered, limit, offset }, resource.list, `${resource.what} list`);
      return { items: page.results, total: page.count };
    });
  }

  /** The one record a filter names; the filter is exact upstream, and checked as such here. */
  async #find<T>(resource: GateResource<T>, query: QueryParams, detailed: boolean, isTheOne: (item: T) => boolean): Promise<T | null> {
    const filtered = this.#withDetail(resource, { ...query, limit: GATE_MAX_PAGE_SIZE }, detailed);
    const page = await this.#get(resource.route, undefined, filtered, resource.list, `${resource.what} list`);
    return page.results.find(isTheOne) ?? null;
  }

  /** One record by a route below the collection, e.g. `{id}/`. */
  #read<T>(resource: GateResource<T>, route: string, params: Record<string, string>, detailed = false): Promise<T | null> {
    const query = this.#withDetail(resource, {}, detailed);
    return nullWhenNotFound(this.#get(resource.route + route, params, query, resource.item, resource.what));
  }

  listUsers(filter: GateUserFilter, window: ListWindow): Promise<WindowPage<GateUser>> {
    return this.#list(users, { ...filter }, window);
  }

  // A value that cannot be one path segment (`a/b`, `..`) is looked up through the list's exact filter.
  getUser(id: string): Promise<GateUser | null> {
    if (!isAddressable(id)) return this.#find(users, { id }, false, (user) => user.id === id);
    return this.#read(users, '{id}/', { id });
  }

  getUserByUsername(username: string): Promise<GateUser | null> {
    if (!isAddressable(username)) return this.#find(users, { username }, false, (user) => user.username === username);
    return this.#read(users, 'username/{username}/', { username });
  }

  listTokens(filter: GateTokenFilter, window: ListWindow, withBalance: boolean): Promise<WindowPage<GateUserToken>> {
    return this.#list(tokens, { ...filter }, window, withBalance);
  }

  findTokenByUsername(username: string, withBalance: boolean): Promise<GateUserToken | null> {
    return this.#find(tokens, { username }, withBalance, (token) => token.username === username);
  }

  getToken(id: string, withBalance: boolean): Promise<GateUserToken | null> {
    return this.#read(tokens, '{id}/', { id }, withBalance);
  }

  listExtras(filter: GateExtraFilter, window: ListWindow, withDevices: boolean): Promise<WindowPage<GateUserExtra>> {
    return this.#list(extras, { parent: filter.parent, parent__organization_id: filter.organizationId }, window, withDevices);
  }

  /** The user extra of a gate user (a user has at most one). */
  findExtraByParent(parent: string, withDevices: boolean): Promise<GateUserExtra | null> {
    return this.#find(extras, { parent }, withDevices, (extra) => extra.parent === parent);
  }

  getExtra(id: string, withDevices: boolean): Promise<GateUserExtra | null> {
    return this.#read(extras, '{id}/', { id }, withDevices);
  }
}
