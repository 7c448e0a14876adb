import type { z } from 'zod';
import { nullWhenNotFound, type QueryParams, type UpstreamHttp } from '../http.ts';
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

/** gate's User, User Token and User Extra endpoints, for one incoming request. */
export class GateClient {
  constructor(
    private readonly http: UpstreamHttp,
    private readonly requestId: string,
  ) {}

  async #get<S extends z.ZodType>(path: string, query: QueryParams | undefined, schema: S, what: string): Promise<z.output<S>> {
    const reply = await this.http.request({ path, query }, this.requestId);
    return parsePayload('gate', schema, reply.body, what);
  }

  #readWindow<S extends z.ZodType<{ count: number; results: unknown[] }>>(
    path: string,
    query: QueryParams,
    window: ListWindow,
    schema: S,
    what: string,
  ): Promise<WindowPage<z.output<S>['results'][number]>> {
    return readOffsetWindow(window, GATE_MAX_PAGE_SIZE, async (offset, limit) => {
      const page = await this.#get(path, { ...query, limit, offset }, schema, what);
      return { items: page.results, total: page.count };
    });
  }

  listUsers(filter: GateUserFilter, window: ListWindow): Promise<WindowPage<GateUser>> {
    return this.#readWindow('/user/', { ...filter }, window, gateUserListSchema, 'user list');
  }

  getUser(id: string): Promise<GateUser | null> {
    return nullWhenNotFound(this.#get(`/user/${encodeURIComponent(id)}/`, undefined, gateUserSchema, 'user'));
  }

  getUserByUsername(username: string): Promise<GateUser | null> {
    return nullWhenNotFound(
      this.#get(`/user/username/${encodeURIComponent(username)}/`, undefined, gateUserSchema, 'user'),
    );
  }

  listTokens(filter: GateTokenFilter, window: ListWindow, withBalance: boolean): Promise<WindowPage<GateUserToken>> {
    return this.#readWindow('/user_token/', { ...filter, balance: withBalance || undefined }, window, gateUserTokenListSchema, 'user token list');
  }

  /** The user token of a username; the filter is documented as exact, and checked as such. */
  async findTokenByUsername(username: string, withBalance: boolean): Promise<GateUserToken | null> {
    const page = await this.#get(
      '/user_token/',
      { username, balance: withBalance || undefined },
      gateUserTokenListSchema,
      'user token list',
    );
    return page.results.find((token) => token.username === username) ?? null;
  }

  getToken(id: string, withBalance: boolean): Promise<GateUserToken | null> {
    return nullWhenNotFound(
      this.#get(`/user_token/${encodeURIComponent(id)}/`, { balance: withBalance || undefined }, gateUserTokenSchema, 'user token'),
    );
  }

  listExtras(filter: GateExtraFilter, window: ListWindow, withDevices: boolean): Promise<WindowPage<GateUserExtra>> {
    const query = { parent: filter.parent, parent__organization_id: filter.organizationId, device_info: withDevices || undefined };
    return this.#readWindow('/user_extra/', query, window, gateUserExtraListSchema, 'user extra list');
  }

  /** The user extra of a gate user (a user has at most one). */
  async findExtraByParent(parent: string, withDevices: boolean): Promise<GateUserExtra | null> {
    const page = await this.#get(
      '/user_extra/',
      { parent, device_info: withDevices || undefined },
      gateUserExtraListSchema,
      'user extra list',
    );
    return page.results.find((extra) => extra.parent === parent) ?? null;
  }

  getExtra(id: string, withDevices: boolean): Promise<GateUserExtra | null> {
    return nullWhenNotFound(
      this.#get(`/user_extra/${encodeURIComponent(id)}/`, { device_info: withDevices || undefined }, gateUserExtraSchema, 'user extra'),
    );
  }
}
