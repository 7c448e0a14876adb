import { detailLoaderPair, loaderByKey, loaderByValue, loaderWatcher, type LoaderBatchObserver } from '../batching.ts';
import { readWhole, windowOf, type ListWindow, type WindowPage } from '../paging.ts';
import { scanTooLong, sharedOnce, type Membership, type TenantScanLimit } from '../tenancy.ts';
import { GATE_MAX_PAGE_SIZE, type GateClient, type GateExtraFilter, type GateTokenFilter, type GateUserFilter, type GateUserKey } from './client.ts';
import type { GateUser, GateUserExtra, GateUserToken } from './types.ts';

export interface GateListRead<F> {
  filter: F;
  window: ListWindow;
}

export interface GateDetailedListRead<F> extends GateListRead<F> {
  /** `balance=true` for tokens, `device_info=true` for extras. */
  detailed: boolean;
}

/** Whose records a request's gate loaders answer. */
export interface GateTenancy {
  /** As `/user/` and `/user_token/` name it; undefined: every organization. */
  organization: string | undefined;
  scan: TenantScanLimit;
  /**
   * The number `/user_extra/` files each organization under (`organization_id`), learned from the
   * extras of its people and shared by every request: it only narrows what is asked of gate, every
   * extra is still checked against its parent.
   */
  extraNumbers: Map<string, string>;
}

const EMPTY_PAGE: WindowPage<never> = { items: [], total: 0 };

/** An organization gate files users under, and how many. */
export interface OrganizationCount {
  name: string;
  memberCount: number;
}

/** Names in a stable order that does not depend on the locale the gateway runs in. */
const compareNames = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0);

/**
 * gate has no multi-key filters: one request per distinct key, each key once per request. A
 * record read one way (a list, a lookup by username) is primed for the other ways, so a later
 * lookup of the same record in this request costs nothing.
 *
 * For a request bound to an organization every answer is that organization's: a user or user
 * token filed under another is not there (null), a user extra is there when its parent is, and
 * lists are asked of gate with the organization's filter and checked again on the way back.
 */
export function createGateLoaders(client: GateClient, tenancy: GateTenancy, onBatch?: LoaderBatchObserver) {
  const { organization } = tenancy;
  const watch = loaderWatcher(onBatch);
  const owned = <T extends { organization: string | null }>(record: T | null): T | null =>
    organization === undefined || record?.organization === organization ? record : null;

  const primeUser = (user: GateUser) => {
    userById.prime(user.id, user);
    userByUsername.prime(user.username, user);
  };
  const userById = loaderByKey(async (id) => {
    const user = owned(await client.getUser(id));
    if (user) userByUsername.prime(user.username, user);
    return user;
  }, watch('gate.userById'));
  const userByUsername = loaderByKey(async (username) => {
    const user = owned(await client.getUserByUsername(username));
    if (user) userById.prime(user.id, user);
    return user;
  }, watch('gate.userByUsername'));
  const ownsUserId = async (id: string) => organization === undefined || (await userById.load(id)) !== null;

  /** Every item of a gate list, refused past `TENANT_SCAN_MAX_ITEMS`. */
  const readAll = <T>(read: (window: ListWindow) => Promise<WindowPage<T>>, what: string): Promise<T[]> =>
    readWhole(read, GATE_MAX_PAGE_SIZE, tenancy.scan.maxItems, scanTooLong('gate', what, tenancy.scan));

  const people = sharedOnce(async () => {
    const users = await readAll((window) => client.listUsers({ organization }, window), 'user list of one organization');
    const mine = users.filter((user) => owned(user) !== null);
    mine.forEach(primeUser);
    return { usernames: new Set(mine.map((user) => user.username)), ids: new Set(mine.map((user) => user.id)) };
  });
  const membership: Membership | undefined = organization === undefined ? undefined : {
    organization,
    hasUsername: async (username) => (await userByUsername.load(username)) !== null,
    hasUserId: ownsUserId,
    everyone: () => people.get(),
    extraNumber: () => tenancy.extraNumbers.get(organization),
  };

  /**
   * A window of a list gate was asked to filter by organization, checked again: if gate let
   * others through, the list is read whole and filtered here, so that counts and positions are
   * the organization's own.
   */
  const checkedWindow = async <T extends { organization: string | null }>(
    read: (window: ListWindow) => Promise<WindowPage<T>>,
    window: ListWindow,
    what: string,
  ): Promise<WindowPage<T>> => {
    const page = await read(window);
    if (page.items.every((item) => owned(item) !== null)) return page;
    const whole = await readAll(read, what);
    return windowOf(whole.filter((item) => owned(item) !== null), window);
  };
  /** The organization's share of a list filtered by `organization`: none when the filter names another. */
  const organizationWindow = <F extends { organization?: string }, T extends { organization: string | null }>(
    filter: F,
    window: ListWindow,
    read: (filter: F, window: ListWindow) => Promise<WindowPage<T>>,
    what: string,
  ): Promise<WindowPage<T>> => {
    if (organization === undefined) return read(filter, window);
    if (filter.organization !== undefined && filter.organization !== organization) return Promise.resolve(EMPTY_PAGE);
    return checkedWindow((slice) => read({ ...filter, organization }, slice), window, what);
  };

  const tokens = detailLoaderPair({
    byId: async (id, withBalance) => owned(await client.getToken(id, withBalance)),
    byKey: async (username, withBalance) => owned(await client.findTokenByUsername(username, withBalance)),
    idOf: (token) => String(token.id),
    keyOf: (token) => token.username,
    watch: { byId: watch('gate.tokenById'), byKey: watch('gate.tokenByUsername') },
    endsChain: true,
  });

  const learnNumber = (extra: GateUserExtra) => {
    if (organization !== undefined && extra.organizationId !== null) tenancy.extraNumbers.set(organization, extra.organizationId);
  };
  const extras = detailLoaderPair({
    byId: async (id, withDevices) => {
      const extra = await client.getExtra(id, withDevices);
      return extra && (await ownsUserId(extra.parent)) ? extra : null;
    },
    byKey: async (parent, withDevices) => {
      if (!(await ownsUserId(parent))) return null;
      const extra = await client.findExtraByParent(parent, withDevices);
      if (extra) learnNumber(extra);
      return extra;
    },
    idOf: (extra) => String(extra.id),
    keyOf: (extra) => extra.parent,
    watch: { byId: watch('gate.extraById'), byKey: watch('gate.extraByParent') },
    endsChain: true,
  });
  /**
   * `/user_extra/` cannot be filtered by the organization's name: the organization's extras are
   * those whose parent is one of its people, narrowed at gate by the organization's number once
   * it is known, and filtered here.
   */
  const organizationExtras = async (filter: GateExtraFilter, window: ListWindow, detailed: boolean): Promise<WindowPage<GateUserExtra>> => {
    if (filter.parent !== undefined && !(await ownsUserId(filter.parent))) return EMPTY_PAGE;
    const organizationId = filter.organizationId ?? (organization === undefined ? undefined : tenancy.extraNumbers.get(organization));
    const [{ ids }, whole] = await Promise.all([
      people.get(),
      readAll((slice) => client.listExtras({ ...filter, organizationId }, slice, detailed), 'user extra list'),
    ]);
    const mine = whole.filter((extra) => ids.has(extra.parent));
    mine.forEach(learnNumber);
    return windowOf(mine, window);
  };

  /**
   * The organizations gate files users under, with their member counts, by name: every user read
   * once (admin), or the caller's own organization when it has members.
   */
  const organizations = sharedOnce(async (): Promise<OrganizationCount[]> => {
    if (organization !== undefined) {
      const { usernames } = await people.get();
      return usernames.size > 0 ? [{ name: organization, memberCount: usernames.size }] : [];
    }
    const users = await readAll((window) => client.listUsers({}, window), 'user list');
    users.forEach(primeUser);
    const counts = new Map<string, number>();
    for (const user of users) {
      if (user.organization) counts.set(user.organization, (counts.get(user.organization) ?? 0) + 1);
    }
    return [...counts].map(([name, memberCount]) => ({ name, memberCount })).sort((a, b) => compareNames(a.name, b.name));
  });

  /** Everything of a list gate filters by `organization` that is filed under exactly that organization (none of another for a bound request). */
  const wholeOrganization = async <T extends { organization: string | null }>(
    name: string,
    read: (filter: { organization: string }, window: ListWindow) => Promise<WindowPage<T>>,
    what: string,
  ): Promise<T[]> => {
    const items = await readAll((window) => organizationWindow({ organization: name }, window, read, what), what);
    return items.filter((item) => item.organization === name);
  };

  const members = loaderByKey(async (name) => {
    const users = await wholeOrganization(name, (filter, window) => client.listUsers(filter, window), 'user list of one organization');
    users.forEach(primeUser);
    return users;
  }, watch('gate.members'));
  const organizationTokens = loaderByKey(async (name) => {
    const found = await wholeOrganization(name, (filter, window) => client.listTokens(filter, window, true), 'user token list of one organization');
    for (const token of found) tokens.prime(token, true);
    return found;
  }, watch('gate.organizationTokens'));
  /** A person written or gone changes who belongs where. */
  const forgetMemberships = () => {
    people.reset();
    organizations.reset();
    members.clearAll();
  };

  return {
    /**
     * What this request wrote, so that a selection on a mutation's payload never shows stale
     * data: a record written is what later loads answer, a record gone is read again if asked for.
     */
    wrote: {
      user(user: GateUser) {
        forgetMemberships();
        userById.clear(user.id);
        userByUsername.clear(user.username);
        if (owned(user)) primeUser(user);
      },
      userGone(key: GateUserKey) {
        forgetMemberships();
        if ('username' in key) {
          userByUsername.clear(key.username);
          return;
        }
        userById.clear(key.id);
        // The username it had is not known here: no username lookup is trusted any more.
        userByUsername.clearAll();
      },
      token(token: GateUserToken) {
        organizationTokens.clearAll();
        if (owned(token)) tokens.replace(token);
        else tokens.forget(token);
      },
      tokenGone(token: GateUserToken) {
        organizationTokens.clearAll();
        tokens.forget(token);
      },
      extra(extra: GateUserExtra) {
        extras.replace(extra);
      },
      extraGone(extra: GateUserExtra) {
        extras.forget(extra);
      },
    },
    userById,
    userByUsername,
    tokenById: tokens.byId,
    tokenByUsername: tokens.byKey,
    extraById: extras.byId,
    extraByParent: extras.byKey,
    /** For the edge and switch loaders of a request bound to an organization. */
    membership,
    organizations,
    /** The gate users of one organization, every one (`TENANT_SCAN_MAX_ITEMS` at most), in gate's order. */
    members,
    /** The user tokens gate files under one organization, every one, with their balances. */
    organizationTokens,
    users: loaderByValue(async ({ filter, window }: GateListRead<GateUserFilter>) => {
      const page = await organizationWindow(filter, window, (narrowed, slice) => client.listUsers(narrowed, slice), 'user list');
      page.items.forEach(primeUser);
      return page;
    }, watch('gate.users')),
    tokens: loaderByValue(async ({ filter, window, detailed }: GateDetailedListRead<GateTokenFilter>) => {
      const page = await organizationWindow(filter, window, (narrowed, slice) => client.listTokens(narrowed, slice, detailed), 'user token list');
      for (const token of page.items) tokens.prime(token, detailed);
      return page;
    }, watch('gate.tokens')),
    extras: loaderByValue(async ({ filter, window, detailed }: GateDetailedListRead<GateExtraFilter>) => {
      const page = organization === undefined ? await client.listExtras(filter, window, detailed) : await organizationExtras(filter, window, detailed);
      for (const extra of page.items) extras.prime(extra, detailed);
      return page;
    }, watch('gate.extras')),
  };
}

export type GateLoaders = ReturnType<typeof createGateLoaders>;
