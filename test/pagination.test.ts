import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  EdgeUsersPageDocument,
  ExtrasPageDocument,
  LoginHistoryPageDocument,
  SwitchUsersPageDocument,
  TokensPageDocument,
  UsersPageDocument,
} from './generated/graphql.ts';
import { present } from './support/expect.ts';
import { startHarness, type Harness } from './support/harness.ts';
import { BIG_ORGANIZATION, LONG_HISTORY_LENGTH, LONG_HISTORY_USERNAME, PEOPLE_COUNT } from '../src/simulators/index.ts';

let harness: Harness;
beforeAll(async () => {
  harness = await startHarness();
});
afterAll(() => harness.close());

const dataset = () => harness.simulators.dataset;

interface Page<T> {
  totalCount: number | null;
  pageInfo: { hasNextPage: boolean; hasPreviousPage: boolean; startCursor?: string | null; endCursor?: string | null };
  edges: { cursor: string; node: T }[];
}

/** Walks a whole connection forward with `first`/`after`, checking pageInfo at every step. */
async function walkForward<T>(pageSize: number, read: (after: string | undefined) => Promise<Page<T>>): Promise<T[]> {
  const nodes: T[] = [];
  let after: string | undefined;
  for (;;) {
    const page = await read(after);
    nodes.push(...page.edges.map((edge) => edge.node));
    expect(page.edges.length).toBeLessThanOrEqual(pageSize);
    expect(page.pageInfo.hasPreviousPage).toBe(after !== undefined);
    expect(page.pageInfo.hasNextPage).toBe(nodes.length < present(page.totalCount));
    if (!page.pageInfo.hasNextPage) return nodes;
    expect(page.edges).toHaveLength(pageSize);
    after = page.pageInfo.endCursor ?? undefined;
  }
}

/** Walks a whole connection backward with `last`/`before`; answers the nodes in list order. */
async function walkBackward<T>(pageSize: number, read: (before: string | undefined) => Promise<Page<T>>): Promise<T[]> {
  const nodes: T[] = [];
  let before: string | undefined;
  for (;;) {
    const page = await read(before);
    nodes.unshift(...page.edges.map((edge) => edge.node));
    expect(page.pageInfo.hasNextPage).toBe(before !== undefined);
    if (!page.pageInfo.hasPreviousPage) return nodes;
    expect(page.edges).toHaveLength(pageSize);
    before = page.pageInfo.startCursor ?? undefined;
  }
}

describe('users (gate limit/offset)', () => {
  const acme = () => dataset().gateUsers.filter((user) => user.organization === BIG_ORGANIZATION.name).map((user) => user.username);

  it('walks the organization with more than 100 users page by page, forward and backward, nothing missing or repeated', async () => {
    expect(acme().length).toBeGreaterThan(100);
    const filter = { organization: BIG_ORGANIZATION.name };
    const forward = await walkForward(17, async (after) => present((await harness.data(UsersPageDocument, { first: 17, after, filter })).users));
    expect(forward.map((node) => node.username)).toEqual(acme());
    const backward = await walkBackward(13, async (before) => present((await harness.data(UsersPageDocument, { last: 13, before, filter })).users));
    expect(backward.map((node) => node.username)).toEqual(acme());
  });

  it('serves a page above gate`s 100 from several upstream pages', async () => {
    harness.simulators.resetRequests();
    const { users } = await harness.data(UsersPageDocument, { first: 250 });
    expect(present(users).edges.map((edge) => edge.node.username)).toEqual(dataset().gateUsers.slice(0, 250).map((user) => user.username));
    expect(present(users).totalCount).toBe(PEOPLE_COUNT);
    expect(present(users).pageInfo).toMatchObject({ hasNextPage: true, hasPreviousPage: false });
    const reads = harness.requests();
    expect(reads.map((request) => [request.query.get('offset'), request.query.get('limit')])).toEqual([
      ['0', '100'],
      ['100', '100'],
      ['200', '50'],
    ]);
  });

  it('serves the documented maximum of 500 and refuses more with a clear error', async () => {
    const { users } = await harness.data(UsersPageDocument, { first: 500 });
    expect(present(users).edges).toHaveLength(PEOPLE_COUNT);
    expect(present(users).pageInfo.hasNextPage).toBe(false);
    for (const args of [{ first: 501 }, { last: 1000 }, { first: -1 }]) {
      const result = await harness.execute(UsersPageDocument, args);
      expect(result.data).toEqual({ users: null });
      expect(result.errors?.[0]?.extensions?.['code']).toBe('BAD_USER_INPUT');
      expect(result.errors?.[0]?.message).toMatch(/at most 500|must not be negative/);
    }
  });

  it('answers last without before, last with before, and first with last', async () => {
    const all = dataset().gateUsers.map((user) => user.username);
    const tail = await harness.data(UsersPageDocument, { last: 5 });
    expect(present(tail.users).edges.map((edge) => edge.node.username)).toEqual(all.slice(-5));
    expect(present(tail.users).pageInfo).toMatchObject({ hasNextPage: false, hasPreviousPage: true });
    const window = await harness.data(UsersPageDocument, { first: 10 });
    const middle = await harness.data(UsersPageDocument, { last: 3, before: present(window.users).edges[8]!.cursor });
    expect(present(middle.users).edges.map((edge) => edge.node.username)).toEqual(all.slice(5, 8));
    const both = await harness.data(UsersPageDocument, { first: 10, last: 4 });
    expect(present(both.users).edges.map((edge) => edge.node.username)).toEqual(all.slice(6, 10));
  });

  it('answers empty results and pages past the end without errors', async () => {
    const none = await harness.data(UsersPageDocument, { first: 10, filter: { organization: 'no-such-org' } });
    expect(none.users).toEqual({
      totalCount: 0,
      pageInfo: { hasNextPage: false, hasPreviousPage: false, startCursor: null, endCursor: null },
      edges: [],
    });
    const tail = await harness.data(UsersPageDocument, { last: 1 });
    const past = await harness.data(UsersPageDocument, { first: 10, after: present(tail.users).edges[0]!.cursor });
    expect(present(past.users).edges).toEqual([]);
    expect(present(past.users).pageInfo).toMatchObject({ hasNextPage: false, hasPreviousPage: true });
    const zero = await harness.data(UsersPageDocument, { first: 0 });
    expect(zero.users).toMatchObject({ totalCount: PEOPLE_COUNT, edges: [] });
  });

  it('filters users by exact username', async () => {
    const { users } = await harness.data(UsersPageDocument, { first: 10, filter: { username: 'bob' } });
    expect(present(users).edges.map((edge) => edge.node.username)).toEqual(['bob']);
  });

  it('refuses cursors it did not make', async () => {
    for (const after of ['garbage', Buffer.from('OffsetConnection:-4').toString('base64')]) {
      const result = await harness.execute(UsersPageDocument, { first: 2, after });
      expect(result.errors?.[0]?.extensions?.['code']).toBe('BAD_USER_INPUT');
    }
  });

  it('answers a malformed cursor as BAD_USER_INPUT on its own field: that connection is null, the rest of the answer stands', async () => {
    const username = present(dataset().gateUsers[0]).username;
    const result = (await harness.execute(
      `query($username: String!) { user(username: $username) { username loginHistory(first: 2, after: "garbage") { totalCount } } users(first: 1) { totalCount } }`,
      { username },
    )) as { data?: Record<string, any>; errors?: { path?: unknown[]; message: string; extensions?: Record<string, unknown> }[] };
    expect(result.data).toEqual({ user: { username, loginHistory: null }, users: { totalCount: PEOPLE_COUNT } });
    expect(result.errors).toEqual([
      expect.objectContaining({ path: ['user', 'loginHistory'], message: '`after` is not a cursor of this API: "garbage"', extensions: expect.objectContaining({ code: 'BAD_USER_INPUT' }) }),
    ]);
  });
});

describe('tokens and extras (gate)', () => {
  it('walks every user token, with the balance read in the same requests', async () => {
    harness.simulators.resetRequests();
    const tokens = await walkForward(100, async (after) => present((await harness.data(TokensPageDocument, { first: 100, after })).tokens));
    expect(tokens.map((token) => [token.username, token.balance?.seconds])).toEqual(
      dataset().userTokens.map((token) => [token.username, token.balance_seconds]),
    );
    const reads = harness.requests();
    expect(reads.every((request) => request.path.endsWith('/user_token/') && request.query.get('balance') === 'true')).toBe(true);
    const organization = dataset().userTokens[0]!.organization;
    const filtered = await harness.data(TokensPageDocument, { first: 500, filter: { organization } });
    expect(present(filtered.tokens).edges.map((edge) => edge.node.username)).toEqual(
      dataset().userTokens.filter((token) => token.organization === organization).map((token) => token.username),
    );
  });

  it('walks every user extra, and filters by parent and organization id', async () => {
    const extras = await walkForward(64, async (after) => present((await harness.data(ExtrasPageDocument, { first: 64, after })).extras));
    expect(extras.map((extra) => Number(extra.gateId))).toEqual(dataset().userExtras.map((extra) => extra.id));
    expect(extras.map((extra) => extra.devices?.length)).toEqual(dataset().userExtras.map((extra) => extra.assignedDevices.length));
    const parent = dataset().userExtras[3]!.parent;
    const byParent = await harness.data(ExtrasPageDocument, { first: 5, filter: { parent: String(parent) } });
    expect(present(byParent.extras).edges.map((edge) => Number(edge.node.gateId))).toEqual([dataset().userExtras[3]!.id]);
    const byOrganization = await harness.data(ExtrasPageDocument, { first: 500, filter: { organizationId: BIG_ORGANIZATION.id } });
    expect(present(byOrganization.extras).totalCount).toBe(dataset().userExtras.filter((extra) => extra.organization_id === BIG_ORGANIZATION.id).length);
  });
});

describe('edgeUsers (Link headers)', () => {
  it('walks every edge user across edge`s own pages', async () => {
    const users = await walkForward(40, async (after) => present((await harness.data(EdgeUsersPageDocument, { first: 40, after })).edgeUsers));
    expect(users.map((user) => user.username)).toEqual(dataset().edgeUsers.map((user) => user.username));
    const gateNames = new Set(dataset().gateUsers.map((user) => user.username));
    expect(users.map((user) => user.user?.username ?? null)).toEqual(
      dataset().edgeUsers.map((user) => (gateNames.has(user.username) ? user.username : null)),
    );
  });

  it('reads edge`s pages only as far as the query needs', async () => {
    const pages = Math.ceil(dataset().edgeUsers.length / 25);
    expect(pages).toBeGreaterThan(5);
    harness.simulators.resetRequests();
    const firstPage = await harness.data(`{ edgeUsers(first: 10) { pageInfo { hasNextPage } edges { node { username } } } }`);
    expect(firstPage).toMatchObject({ edgeUsers: { pageInfo: { hasNextPage: true } } });
    expect(harness.requests()).toHaveLength(1);

    // The first page's links show how pages are named: the count is the first page and the last.
    harness.simulators.resetRequests();
    const count = await harness.data(`{ edgeUsers(first: 10) { totalCount } }`);
    expect(count).toEqual({ edgeUsers: { totalCount: dataset().edgeUsers.length } });
    expect(harness.requests()).toHaveLength(2);

    const historyReads = () => harness.requests().filter((request) => request.path.endsWith('/history/'));
    harness.simulators.resetRequests();
    const recent = await harness.data(`query($username: String!) { user(username: $username) { loginHistory(first: 3) { edges { node { attemptedAt } } } } }`, {
      username: LONG_HISTORY_USERNAME,
    });
    expect(recent).toMatchObject({ user: { loginHistory: { edges: [{}, {}, {}] } } });
    expect(historyReads()).toHaveLength(1);

    harness.simulators.resetRequests();
    const counted = await harness.data(LoginHistoryPageDocument, { username: LONG_HISTORY_USERNAME, first: 3 });
    expect(counted.user?.loginHistory?.totalCount).toBe(LONG_HISTORY_LENGTH);
    // Asked for in edge's largest pages (100): the first of them, and the last.
    expect(historyReads()).toHaveLength(2);
  });

  it('reads usernameContains as the fuzzy substring match edge does', async () => {
    const { edgeUsers } = await harness.data(EdgeUsersPageDocument, { first: 50, filter: { usernameContains: 'bob' } });
    const expected = dataset().edgeUsers.filter((user) => user.username.toLowerCase().includes('bob')).map((user) => user.username);
    expect(present(edgeUsers).edges.map((edge) => edge.node.username)).toEqual(expected);
    expect(expected).toEqual(expect.arrayContaining(['bob', 'Bob', 'BOBBY.X']));
  });

  it('walks a login history that spans several edge pages, both ways', async () => {
    const username = LONG_HISTORY_USERNAME;
    const history = dataset().edgeUsers.find((user) => user.username === username)!.history.map((attempt) => new Date(`${attempt.attempted_on}Z`).toISOString());
    expect(history).toHaveLength(LONG_HISTORY_LENGTH);
    const read = async (args: { first?: number; after?: string; last?: number; before?: string }) =>
      (await harness.data(LoginHistoryPageDocument, { username, ...args })).user!.loginHistory!;
    const forward = await walkForward(40, (after) => read({ first: 40, after }));
    expect(forward.map((node) => node.attemptedAt)).toEqual(history);
    const backward = await walkBackward(45, (before) => read({ last: 45, before }));
    expect(backward.map((node) => node.attemptedAt)).toEqual(history);
  });
});

describe('switchUsers (page/per_page)', () => {
  it('walks every switch user in the default order, across switch pages', async () => {
    const users = await walkForward(70, async (after) => present((await harness.data(SwitchUsersPageDocument, { first: 70, after })).switchUsers));
    const expected = [...dataset().switchUsers].sort((a, b) => a.user_id - b.user_id).map((user) => user.user_id);
    expect(users.map((user) => user.userId)).toEqual(expected);
  });

  it('orders and filters as asked', async () => {
    const descending = await harness.data(SwitchUsersPageDocument, { first: 150, orderBy: { field: 'USER_ID', direction: 'DESC' } });
    const ids = [...dataset().switchUsers].map((user) => user.user_id).sort((a, b) => b - a);
    expect(present(descending.switchUsers).edges.map((edge) => edge.node.userId)).toEqual(ids.slice(0, 150));

    const carriers = await harness.data(SwitchUsersPageDocument, { first: 500, filter: { userType: 'carrier', active: true } });
    const expectedCarriers = dataset().switchUsers.filter((user) => user.user_type === 'carrier' && user.active);
    expect(present(carriers.switchUsers).totalCount).toBe(expectedCarriers.length);
    expect(new Set(present(carriers.switchUsers).edges.map((edge) => edge.node.userType))).toEqual(new Set(['carrier']));

    const named = await harness.data(SwitchUsersPageDocument, { first: 50, filter: { nameContains: 'bob' } });
    expect(present(named.switchUsers).edges.map((edge) => edge.node.name).sort()).toEqual(
      dataset().switchUsers.filter((user) => user.name.toLowerCase().includes('bob')).map((user) => user.name).sort(),
    );

    const neverLoggedIn = await harness.data(SwitchUsersPageDocument, { first: 500, filter: { neverLoggedIn: true } });
    expect(present(neverLoggedIn.switchUsers).totalCount).toBe(dataset().switchUsers.filter((user) => user.last_login_time === null).length);
    expect(present(neverLoggedIn.switchUsers).edges.every((edge) => edge.node.lastLoginTime === null)).toBe(true);

    const some = dataset().switchUsers.slice(5, 9).map((user) => user.user_id);
    const byIds = await harness.data(SwitchUsersPageDocument, { first: 10, filter: { userIds: some } });
    expect(present(byIds.switchUsers).edges.map((edge) => edge.node.userId).sort()).toEqual([...some].sort());
    const noIds = await harness.data(SwitchUsersPageDocument, { first: 10, filter: { userIds: [] } });
    expect(present(noIds.switchUsers).totalCount).toBe(0);
  });
});
