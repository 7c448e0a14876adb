import LinkHeader from 'http-link-header';
import type { z } from 'zod';
import { nullWhenNotFound, UpstreamError, type UpstreamCall, type UpstreamHttp, type UpstreamProtocol, type CallScope } from '../http.ts';
import { PagedList, type PageReader } from '../paging.ts';
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

export const edgeProtocol: UpstreamProtocol = { baseProbe: { route: '/users/' } };

export interface EdgeLimits {
  /** The most pages read of one list (`EDGE_MAX_PAGES`). */
  maxPages: number;
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

/**
 * The `rel="next"` target of a `Link` header (RFC 8288: commas may sit inside the URL or a quoted
 * parameter; `rel` holds space-separated, case-insensitive types), or undefined when there is none.
 * A header that cannot be read is an error: a list is never silently cut short.
 */
export function nextLink(header: string | string[] | undefined): string | undefined {
  const values = Array.isArray(header) ? header : header === undefined ? [] : [header];
  for (const value of values) {
    let links: LinkHeader;
    try {
      links = LinkHeader.parse(value);
    } catch {
      throw new UpstreamError('edge', 'UPSTREAM_BAD_RESPONSE', 'edge sent a Link header that is not RFC 8288');
    }
    const next = links.refs.find((ref) => typeof ref.rel === 'string' && ref.rel.toLowerCase() === 'next');
    if (next) return next.uri;
  }
  return undefined;
}

/** edge's users, access tokens and login history, for one incoming request. */
export class EdgeClient {
  constructor(
    private readonly http: UpstreamHttp,
    private readonly scope: CallScope,
    private readonly limits: EdgeLimits,
  ) {}

  /**
   * A list whose pages are read as far as needed, following each `Link` header's next URL (resolved
   * against the page it came with); `onPage` sees each page's items as they come.
   */
  #list<T>(first: UpstreamCall, schema: z.ZodType<T[]>, what: string, onPage?: (items: T[]) => void): PagedList<T> {
    // `read` holds the URLs of the pages read so far (from the second page on: most lists have
    // one): a link back to one of them is a loop, not more of the list.
    const readPage = (call: UpstreamCall, read: Set<string> | undefined): PageReader<T> => async () => {
      if ((read?.size ?? 0) >= this.limits.maxPages) {
        throw new UpstreamError(
          'edge',
          'UPSTREAM_LIST_TOO_LONG',
          `edge's ${what} runs past ${this.limits.maxPages} pages, the most read of one list (EDGE_MAX_PAGES)`,
        );
      }
      const reply = await this.http.request(call, this.scope);
      if (read?.has(reply.url)) throw new UpstreamError('edge', 'UPSTREAM_BAD_RESPONSE', `edge linked its ${what} back to a page already read`);
      const items = parsePayload('edge', schema, reply.body, what, { http: this.http, route: call.route });
      onPage?.(items);
      const next = nextLink(reply.headers.link);
      if (next === undefined) return { items, next: undefined };
      // Only a page that came back counts as read: a failed one is asked for again by the next reader.
      const pagesRead = (read ?? new Set<string>()).add(reply.url);
      return { items, next: readPage(this.http.callForLink(next, reply.url, first.route), pagesRead) };
    };
    return new PagedList(readPage(first, undefined));
  }

  listUsers(filter: EdgeUserFilter, onPage?: (users: EdgeUser[]) => void): PagedList<EdgeUser> {
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

  listAccessTokens(userId: string): PagedList<EdgeAccessToken> {
    return this.#list({ route: '/users/{id}/tokens/', params: { id: userId } }, edgeAccessTokenListSchema, 'token list');
  }

  getAccessToken(userId: string, tokenId: string): Promise<EdgeAccessToken | null> {
    const call = { route: '/users/{id}/tokens/{tokenId}/', params: { id: userId, tokenId } };
    return nullWhenNotFound(this.#getOne(call, edgeAccessTokenSchema, 'token'));
  }

  listLoginHistory(userId: string): PagedList<EdgeLoginAttempt> {
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
