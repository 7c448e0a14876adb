import type { z } from 'zod';
import { cachePlan } from '../call-path/cache.ts';
import { isAddressable, nullWhenNotFound, UpstreamError, type QueryParams, type UpstreamCall, type UpstreamHttp, type UpstreamProtocol, type CallScope } from '../http.ts';
import { readOffsetWindow, type ListWindow, type WindowPage } from '../paging.ts';
import { parsePayload } from '../validation.ts';
import {
  gateUserExtraListSchema,
  gateUserExtraSchema,
  gateUserListSchema,
  gateUserSchema,
  gateUserTokenListSchema,
  gateUserTokenSchema,
  gateExtraBody,
  gateNewTokenBody,
  gateTokenBody,
  gateUserBody,
  type GateExtraFields,
  type GateTokenFields,
  type GateUser,
  type GateUserFields,
  type GateUserExtra,
  type GateUserToken,
} from './types.ts';

/** gate caps a page at 100 items. */
export const GATE_MAX_PAGE_SIZE = 100;

/**
 * gate's collections as the cache sees them. A user's write changes its tokens and extras too, as
 * far as the cache knows: a user deleted takes its user extra with it, and the three are one
 * person. A user token's AAA token string is the secret: stored as null, so that a request that
 * may show it (`tokens:secret` asking for `Token.token`) reads user tokens upstream.
 */
const gateCaching = cachePlan({
  collections: {
    users: { routes: ['/user/', '/user/{id}/', '/user/username/{username}/'], writesChange: ['users', 'tokens', 'extras'] },
    tokens: { routes: ['/user_token/', '/user_token/{id}/'], writesChange: ['tokens'] },
    extras: { routes: ['/user_extra/', '/user_extra/{id}/'], writesChange: ['extras'] },
  },
  secretKeys: ['token'],
  withholding: ['tokens'],
});

export const gateProtocol: UpstreamProtocol = { baseProbe: { route: '/user/', query: { limit: 1 } }, caching: gateCaching };

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

/** A gate user as its write routes address it: by gate's id, or by username. */
export type GateUserKey = { id: string } | { username: string };

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
  private readonly http: UpstreamHttp;
  private readonly scope: CallScope;
  constructor(
    http: UpstreamHttp,
    scope: CallScope,
  ) {
    this.http = http;
    this.scope = scope;
  }

  async #call<T>(call: UpstreamCall, schema: z.ZodType<T>, what: string): Promise<T> {
    const reply = await this.http.request(call, this.scope);
    return parsePayload('gate', schema, reply.body, what, { http: this.http, route: call.route });
  }

  #withDetail<T>(resource: GateResource<T>, query: QueryParams, detailed: boolean): QueryParams {
    return resource.detailFlag && detailed ? { ...query, [resource.detailFlag]: true } : query;
  }

  #list<T>(resource: GateResource<T>, query: QueryParams, window: ListWindow, detailed = false): Promise<WindowPage<T>> {
    const filtered = this.#withDetail(resource, query, detailed);
    return readOffsetWindow(window, GATE_MAX_PAGE_SIZE, async (offset, limit) => {
      const page = await this.#call({ route: resource.route, query: { ...filtered, limit, offset } }, resource.list, `${resource.what} list`);
      return { items: page.results, total: page.count };
    });
  }

  /** The one record a filter names; the filter is exact upstream, and checked as such here. */
  async #find<T>(resource: GateResource<T>, query: QueryParams, detailed: boolean, isTheOne: (item: T) => boolean): Promise<T | null> {
    const filtered = this.#withDetail(resource, { ...query, limit: GATE_MAX_PAGE_SIZE }, detailed);
    const page = await this.#call({ route: resource.route, query: filtered }, resource.list, `${resource.what} list`);
    return page.results.find(isTheOne) ?? null;
  }

  /** One record by a route below the collection, e.g. `{id}/`. */
  #read<T>(resource: GateResource<T>, route: string, params: Record<string, string>, detailed = false): Promise<T | null> {
    const query = this.#withDetail(resource, {}, detailed);
    return nullWhenNotFound(this.#call({ route: resource.route + route, params, query }, resource.item, resource.what));
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

  // ---- writes ----

  async #delete(route: string, params: Record<string, string>): Promise<void> {
    await this.http.request({ method: 'DELETE', route, params }, this.scope);
  }

  /** The route of one user; a username that cannot be a path segment is first looked up by gate's exact filter. */
  async #userRoute(key: GateUserKey): Promise<{ route: string; params: Record<string, string> }> {
    if ('username' in key && isAddressable(key.username)) return { route: '/user/username/{username}/', params: { username: key.username } };
    const id = 'id' in key ? key.id : (await this.getUserByUsername(key.username))?.id;
    if (id === undefined) throw new UpstreamError('gate', 'UPSTREAM_NOT_FOUND', 'gate has no such user', 404);
    if (!isAddressable(id)) throw new UpstreamError('gate', 'UPSTREAM_BAD_RESPONSE', 'gate names this user by an id that cannot be part of a URL path');
    return { route: '/user/{id}/', params: { id } };
  }

  createUser(fields: GateUserFields): Promise<GateUser> {
    return this.#call({ method: 'POST', route: users.route, body: gateUserBody(fields) }, users.item, users.what);
  }

  /** PATCH: only the fields given change; gate merges the profile. */
  async updateUser(key: GateUserKey, fields: GateUserFields): Promise<GateUser> {
    const { route, params } = await this.#userRoute(key);
    return this.#call({ method: 'PATCH', route, params, body: gateUserBody(fields) }, users.item, users.what);
  }

  /** PUT: the user as a whole, profile included. */
  async replaceUser(key: GateUserKey, fields: GateUserFields): Promise<GateUser> {
    const { route, params } = await this.#userRoute(key);
    return this.#call({ method: 'PUT', route, params, body: gateUserBody(fields, true) }, users.item, users.what);
  }

  async deleteUser(key: GateUserKey): Promise<void> {
    const { route, params } = await this.#userRoute(key);
    await this.#delete(route, params);
  }

  createToken(fields: GateTokenFields & { initialBalanceSeconds?: number }): Promise<GateUserToken> {
    return this.#call({ method: 'POST', route: tokens.route, body: gateNewTokenBody(fields) }, tokens.item, tokens.what);
  }

  /** PATCH; `balanceSeconds` sets the balance to that absolute value. */
  updateToken(id: string, fields: GateTokenFields & { balanceSeconds?: number }): Promise<GateUserToken> {
    return this.#call({ method: 'PATCH', route: `${tokens.route}{id}/`, params: { id }, body: gateTokenBody(fields) }, tokens.item, tokens.what);
  }

  /** gate answers 409 while the account has active sessions. */
  deleteToken(id: string): Promise<void> {
    return this.#delete(`${tokens.route}{id}/`, { id });
  }

  /** gate answers 409 when the user has a user extra already. */
  createExtra(fields: GateExtraFields): Promise<GateUserExtra> {
    return this.#call({ method: 'POST', route: extras.route, body: gateExtraBody(fields) }, extras.item, extras.what);
  }

  /** PATCH: gate merges nested objects (`preferences`, `custom_fields`) key by key. */
  updateExtra(id: string, fields: GateExtraFields): Promise<GateUserExtra> {
    return this.#call({ method: 'PATCH', route: `${extras.route}{id}/`, params: { id }, body: gateExtraBody(fields) }, extras.item, extras.what);
  }

  /** PUT: the record as a whole; what is left out is emptied. */
  replaceExtra(id: string, fields: GateExtraFields): Promise<GateUserExtra> {
    return this.#call({ method: 'PUT', route: `${extras.route}{id}/`, params: { id }, body: gateExtraBody(fields) }, extras.item, extras.what);
  }

  deleteExtra(id: string): Promise<void> {
    return this.#delete(`${extras.route}{id}/`, { id });
  }
}
