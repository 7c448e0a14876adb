import type { z } from 'zod';
import { cachePlan } from '../call-path/cache.ts';
import { nullWhenNotFound, UpstreamError, type UpstreamCall, type UpstreamHttp, type UpstreamProtocol, type CallScope } from '../http.ts';
import { EdgeList, type EdgePagingKnowledge } from './list.ts';
import { parsePayload } from '../validation.ts';
import {
  edgeAccessTokenListSchema,
  edgeAccessTokenSchema,
  edgeCreatedAccessTokenSchema,
  edgeLoginHistorySchema,
  edgeUserBody,
  edgeUserListSchema,
  edgeUserSchema,
  type EdgeAccessToken,
  type EdgeLoginAttempt,
  type EdgeUser,
  type EdgeUserFields,
} from './types.ts';

/**
 * edge's collections as the cache sees them: a user's write changes its access tokens and login
 * history too (a user deleted takes them with it). An access token's `hashed_token` (and its
 * `token`, empty after creation) are stored as null; the gateway serves neither.
 */
const edgeCaching = cachePlan({
  collections: {
    users: { routes: ['/users/', '/users/{id}/'], writesChange: ['users', 'tokens', 'history'] },
    tokens: { routes: ['/users/{id}/tokens/', '/users/{id}/tokens/{tokenId}/'], writesChange: ['tokens'] },
    history: { routes: ['/users/{id}/history/'], writesChange: ['history'] },
  },
  secretKeys: ['hashed_token', 'token'],
});

export const edgeProtocol: UpstreamProtocol = { baseProbe: { route: '/users/' }, caching: edgeCaching };

export interface EdgeLimits {
  /** The most pages read of one list (`EDGE_MAX_PAGES`). */
  maxPages: number;
  /** The size lists are asked for in once their links show how (`EDGE_PAGE_SIZE`). */
  pageSize: number;
  /** The most fuzzy matches read to find one exact username (`EDGE_NAME_SEARCH_MAX_MATCHES`). */
  nameSearchMaxMatches: number;
}

/** edge's string filters are fuzzy (case-insensitive substrings); `isActive` is exact. */
export interface EdgeUserFilter {
  username?: string;
  firstName?: string;
  lastName?: string;
  email?: string;
  isActive?: boolean;
}

/** edge's users, access tokens and login history, for one incoming request. */
export class EdgeClient {
  private readonly http: UpstreamHttp;
  private readonly scope: CallScope;
  private readonly limits: EdgeLimits;
  private readonly paging: EdgePagingKnowledge;
  constructor(
    http: UpstreamHttp,
    scope: CallScope,
    limits: EdgeLimits,
    paging: EdgePagingKnowledge,
  ) {
    this.http = http;
    this.scope = scope;
    this.limits = limits;
    this.paging = paging;
  }

  /** A list read as far as needed, in as few rounds as its links allow (see `EdgeList`); `onPage` sees each page's items as they come. */
  #list<T>(first: UpstreamCall, schema: z.ZodType<T[]>, what: string, onPage?: (items: T[]) => void): EdgeList<T> {
    const { maxPages, pageSize } = this.limits;
    const knowledge = this.paging.of(first.route);
    return new EdgeList({ http: this.http, scope: this.scope, first, schema, what, knowledge, pageSize, maxPages, ...(onPage ? { onPage } : {}) });
  }

  listUsers(filter: EdgeUserFilter, onPage?: (users: EdgeUser[]) => void): EdgeList<EdgeUser> {
    const query = {
      username: filter.username,
      first_name: filter.firstName,
      last_name: filter.lastName,
      email: filter.email,
      is_active: filter.isActive,
    };
    return this.#list({ route: '/users/', query }, edgeUserListSchema, 'user list', onPage);
  }

  /** The user with exactly this username (case as stored): edge's filter only narrows the search. */
  async findUserByUsername(username: string): Promise<EdgeUser | null> {
    const search = this.listUsers({ username });
    const limit = this.limits.nameSearchMaxMatches;
    const found = await search.find((candidate) => candidate.username === username, limit);
    if (found || search.complete) return found ?? null;
    throw new UpstreamError(
      'edge',
      'UPSTREAM_SEARCH_TOO_BROAD',
      `edge has more than ${limit} users whose username contains this one, and the first ${limit} are not it (EDGE_NAME_SEARCH_MAX_MATCHES)`,
    );
  }

  getUser(id: string): Promise<EdgeUser | null> {
    return nullWhenNotFound(this.#getOne({ route: '/users/{id}/', params: { id } }, edgeUserSchema, 'user'));
  }

  listAccessTokens(userId: string): EdgeList<EdgeAccessToken> {
    return this.#list({ route: '/users/{id}/tokens/', params: { id: userId } }, edgeAccessTokenListSchema, 'token list');
  }

  getAccessToken(userId: string, tokenId: string): Promise<EdgeAccessToken | null> {
    const call = { route: '/users/{id}/tokens/{tokenId}/', params: { id: userId, tokenId } };
    return nullWhenNotFound(this.#getOne(call, edgeAccessTokenSchema, 'token'));
  }

  listLoginHistory(userId: string): EdgeList<EdgeLoginAttempt> {
    return this.#list({ route: '/users/{id}/history/', params: { id: userId } }, edgeLoginHistorySchema, 'login history');
  }

  async #getOne<S extends z.ZodType>(call: UpstreamCall, schema: S, what: string): Promise<z.output<S>> {
    const reply = await this.http.request(call, this.scope);
    return parsePayload('edge', schema, reply.body, what, { http: this.http, route: call.route });
  }

  // ---- writes ----

  createUser(fields: EdgeUserFields): Promise<EdgeUser> {
    return this.#getOne({ method: 'POST', route: '/users/', body: edgeUserBody(fields) }, edgeUserSchema, 'user');
  }

  /** edge answers 202 with no body: read the user again to see its new state. */
  async updateUser(id: string, fields: EdgeUserFields): Promise<void> {
    await this.http.request({ method: 'PATCH', route: '/users/{id}/', params: { id }, body: edgeUserBody(fields) }, this.scope);
  }

  async deleteUser(id: string): Promise<void> {
    await this.http.request({ method: 'DELETE', route: '/users/{id}/', params: { id } }, this.scope);
  }

  /** The new token and its plaintext, which edge shows this once and never again. */
  async createAccessToken(userId: string, title: string): Promise<{ token: EdgeAccessToken; plaintext: string }> {
    const call = { method: 'POST' as const, route: '/users/{id}/tokens/', params: { id: userId }, body: { title } };
    const reply = await this.http.request(call, this.scope);
    const created = parsePayload('edge', edgeCreatedAccessTokenSchema, reply.body, 'new token', { http: this.http, route: call.route });
    return { token: created.token, plaintext: created.plaintext };
  }

  /** edge answers 202 with no body. */
  async setAccessTokenActive(userId: string, tokenId: string, active: boolean): Promise<void> {
    const call = { method: 'PATCH' as const, route: '/users/{id}/tokens/{tokenId}/', params: { id: userId, tokenId }, body: { active } };
    await this.http.request(call, this.scope);
  }

  async deleteAccessToken(userId: string, tokenId: string): Promise<void> {
    await this.http.request({ method: 'DELETE', route: '/users/{id}/tokens/{tokenId}/', params: { id: userId, tokenId } }, this.scope);
  }
}
