import type { z } from 'zod';
import { nullWhenNotFound, UpstreamError, type UpstreamCall, type UpstreamHttp } from '../http.ts';
import { PagedList, type PageReader } from '../paging.ts';
import { parsePayload } from '../validation.ts';
import {
  edgeAccessTokenListSchema,
  edgeAccessTokenSchema,
  edgeLoginHistorySchema,
  edgeUserListSchema,
  edgeUserSchema,
  type EdgeAccessToken,
  type EdgeLoginAttempt,
  type EdgeUser,
} from './types.ts';

/** Bounds a walk through `Link` headers, so a server linking in circles cannot hold a request. */
const MAX_PAGES_PER_LIST = 200;

/** edge's string filters are fuzzy (case-insensitive substrings); `isActive` is exact. */
export interface EdgeUserFilter {
  username?: string;
  firstName?: string;
  lastName?: string;
  email?: string;
  isActive?: boolean;
}

/** The `rel="next"` target of an RFC 5988 `Link` header, if any. */
export function nextLink(header: string | string[] | undefined): string | undefined {
  const value = Array.isArray(header) ? header.join(',') : header;
  if (!value) return undefined;
  for (const part of value.split(',')) {
    const match = /<([^>]*)>\s*;(.*)/.exec(part.trim());
    if (match && /\brel\s*=\s*"?(?:[^"]*\s)?next(?:\s[^"]*)?"?/i.test(match[2] ?? '')) return match[1];
  }
  return undefined;
}

/** edge's users, access tokens and login history, for one incoming request. */
export class EdgeClient {
  constructor(
    private readonly http: UpstreamHttp,
    private readonly requestId: string,
  ) {}

  /**
   * A list whose pages are read as far as needed, following each `Link` header's next URL as
   * given; `onPage` sees each page's items as they come.
   */
  #list<T>(first: UpstreamCall, schema: z.ZodType<T[]>, what: string, onPage?: (items: T[]) => void): PagedList<T> {
    const seen = new Set<string>();
    const readPage = (call: UpstreamCall): PageReader<T> => async () => {
      if (seen.size >= MAX_PAGES_PER_LIST || seen.has(call.path)) {
        throw new UpstreamError('edge', 'UPSTREAM_BAD_RESPONSE', `edge kept linking to more pages of its ${what}`);
      }
      seen.add(call.path);
      const reply = await this.http.request(call, this.requestId);
      const items = parsePayload('edge', schema, reply.body, what);
      onPage?.(items);
      const next = nextLink(reply.headers.link);
      return { items, next: next === undefined ? undefined : readPage(this.http.callForUrl(next)) };
    };
    return new PagedList(readPage(first));
  }

  listUsers(filter: EdgeUserFilter, onPage?: (users: EdgeUser[]) => void): PagedList<EdgeUser> {
    const query = {
      username: filter.username,
      first_name: filter.firstName,
      last_name: filter.lastName,
      email: filter.email,
      is_active: filter.isActive,
    };
    return this.#list({ path: '/users/', query }, edgeUserListSchema, 'user list', onPage);
  }

  /** The user with exactly this username (case as stored): edge's filter only narrows the search. */
  async findUserByUsername(username: string): Promise<EdgeUser | null> {
    const search = this.listUsers({ username });
    return (await search.find((candidate) => candidate.username === username)) ?? null;
  }

  getUser(id: string): Promise<EdgeUser | null> {
    return nullWhenNotFound(this.#getOne(`/users/${encodeURIComponent(id)}/`, edgeUserSchema, 'user'));
  }

  listAccessTokens(userId: string): PagedList<EdgeAccessToken> {
    return this.#list({ path: `/users/${encodeURIComponent(userId)}/tokens/` }, edgeAccessTokenListSchema, 'token list');
  }

  getAccessToken(userId: string, tokenId: string): Promise<EdgeAccessToken | null> {
    const path = `/users/${encodeURIComponent(userId)}/tokens/${encodeURIComponent(tokenId)}/`;
    return nullWhenNotFound(this.#getOne(path, edgeAccessTokenSchema, 'token'));
  }

  listLoginHistory(userId: string): PagedList<EdgeLoginAttempt> {
    return this.#list({ path: `/users/${encodeURIComponent(userId)}/history/` }, edgeLoginHistorySchema, 'login history');
  }

  async #getOne<S extends z.ZodType>(path: string, schema: S, what: string): Promise<z.output<S>> {
    const reply = await this.http.request({ path }, this.requestId);
    return parsePayload('edge', schema, reply.body, what);
  }
}
