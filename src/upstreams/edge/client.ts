import type { z } from 'zod';
import { nullWhenNotFound, UpstreamError, type UpstreamCall, type UpstreamHttp } from '../http.ts';
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
   * The pages of a list, following the `Link` header's next URL as given, until there is none or
   * a page satisfies `enough`.
   */
  async #readPages<T>(first: UpstreamCall, schema: z.ZodType<T[]>, what: string, enough?: (page: T[]) => boolean): Promise<T[]> {
    const items: T[] = [];
    const seen = new Set<string>();
    for (let call: UpstreamCall | undefined = first; call; ) {
      if (seen.size >= MAX_PAGES_PER_LIST || seen.has(call.path)) {
        throw new UpstreamError('edge', 'UPSTREAM_BAD_RESPONSE', `edge kept linking to more pages of its ${what}`);
      }
      seen.add(call.path);
      const reply = await this.http.request(call, this.requestId);
      const page = parsePayload('edge', schema, reply.body, what);
      items.push(...page);
      if (enough?.(page)) break;
      const next = nextLink(reply.headers.link);
      call = next === undefined ? undefined : this.http.callForUrl(next);
    }
    return items;
  }

  listUsers(filter: EdgeUserFilter): Promise<EdgeUser[]> {
    const query = {
      username: filter.username,
      first_name: filter.firstName,
      last_name: filter.lastName,
      email: filter.email,
      is_active: filter.isActive,
    };
    return this.#readPages({ path: '/users/', query }, edgeUserListSchema, 'user list');
  }

  /** The user with exactly this username (case as stored): edge's filter only narrows the search. */
  async findUserByUsername(username: string): Promise<EdgeUser | null> {
    const isTheOne = (candidate: EdgeUser) => candidate.username === username;
    const searched = await this.#readPages({ path: '/users/', query: { username } }, edgeUserListSchema, 'user list', (page) =>
      page.some(isTheOne),
    );
    return searched.find(isTheOne) ?? null;
  }

  getUser(id: string): Promise<EdgeUser | null> {
    return nullWhenNotFound(this.#getOne(`/users/${encodeURIComponent(id)}/`, edgeUserSchema, 'user'));
  }

  listAccessTokens(userId: string): Promise<EdgeAccessToken[]> {
    return this.#readPages({ path: `/users/${encodeURIComponent(userId)}/tokens/` }, edgeAccessTokenListSchema, 'token list');
  }

  getAccessToken(userId: string, tokenId: string): Promise<EdgeAccessToken | null> {
    const path = `/users/${encodeURIComponent(userId)}/tokens/${encodeURIComponent(tokenId)}/`;
    return nullWhenNotFound(this.#getOne(path, edgeAccessTokenSchema, 'token'));
  }

  listLoginHistory(userId: string): Promise<EdgeLoginAttempt[]> {
    return this.#readPages({ path: `/users/${encodeURIComponent(userId)}/history/` }, edgeLoginHistorySchema, 'login history');
  }

  async #getOne<S extends z.ZodType>(path: string, schema: S, what: string): Promise<z.output<S>> {
    const reply = await this.http.request({ path }, this.requestId);
    return parsePayload('edge', schema, reply.body, what);
  }
}
