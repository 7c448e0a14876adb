import { createServer as createTcpServer, type Server as TcpServer } from 'node:net';
import type { AddressInfo } from 'node:net';
import { afterAll, describe, expect, it } from 'vitest';
import { NodesDocument, UsersPageDocument } from './generated/graphql.ts';
import { present } from './support/expect.ts';
import { harnessPerTest, type GraphQLResult } from './support/harness.ts';
import { EVERYWHERE_USERNAME, LONG_HISTORY_LENGTH, LONG_HISTORY_USERNAME } from '../src/simulators/index.ts';
import { MAX_NODE_IDS } from '../src/schema/nodes.ts';

const harnessWith = harnessPerTest();

type Loose = GraphQLResult<Record<string, any>>;
const codesOf = (result: Loose) => (result.errors ?? []).map((error) => [error.path?.join('.'), error.extensions?.['code']]);

describe('UPSTREAM_TIMEOUT_MS bounds each upstream call as a whole', () => {
  const tcpServers: TcpServer[] = [];
  afterAll(() => Promise.all(tcpServers.map((server) => new Promise((resolve) => server.close(resolve)))));

  it('ends a body trickled in small pieces, however steadily it comes', async () => {
    const harness = await harnessWith({ env: { UPSTREAM_TIMEOUT_MS: '1000' }, reshape: { gate: { trickle: { bytes: 16, everyMs: 400 } } } });
    // Unbounded, the ~2 KB page would take some 50 s to arrive: longer than the test may run.
    const result = await harness.execute(UsersPageDocument, { first: 5 });
    expect(result.errors?.[0]).toMatchObject({
      path: ['users'],
      message: 'gate did not answer GET /user/ within 1000 ms',
      extensions: { code: 'UPSTREAM_TIMEOUT', upstream: 'gate' },
    });
  });

  it('ends a status line and headers trickled a byte at a time', async () => {
    const server = createTcpServer((socket) => {
      const head = 'HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: 2\r\n\r\n{}';
      let at = 0;
      const timer = setInterval(() => (at < head.length ? socket.write(head[at++] ?? '') : clearInterval(timer)), 150);
      socket.on('close', () => clearInterval(timer));
      socket.on('error', () => clearInterval(timer));
    });
    tcpServers.push(server);
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const { port } = server.address() as AddressInfo;
    const harness = await harnessWith({ env: { UPSTREAM_TIMEOUT_MS: '1000' }, override: { gate: { url: `http://127.0.0.1:${port}/api/v1` } } });
    // A byte every 150 ms: the head alone would take some 11 s, the answer never comes whole.
    const result = await harness.execute(UsersPageDocument, { first: 5 });
    expect(result.errors?.[0]?.extensions).toMatchObject({ code: 'UPSTREAM_TIMEOUT', upstream: 'gate' });
  });

  it('lets a slow answer through when it is whole within the time', async () => {
    const harness = await harnessWith({ env: { UPSTREAM_TIMEOUT_MS: '5000' }, reshape: { gate: { trickle: { bytes: 512, everyMs: 5 } } } });
    const users = present((await harness.data(UsersPageDocument, { first: 20 })).users);
    expect(users.edges).toHaveLength(20);
  });
});

describe('lists longer than any fixed number of pages', () => {
  it('counts an edge list of hundreds of pages', async () => {
    const harness = await harnessWith({ reshape: { edge: { query: (query) => query.set('per_page', '1') } } });
    const edgeUserCount = harness.simulators.dataset.edgeUsers.length;
    expect(edgeUserCount).toBeGreaterThan(200);
    const { edgeUsers } = (await harness.data('{ edgeUsers(first: 2) { totalCount edges { node { username } } } }')) as { edgeUsers: { totalCount: number } };
    expect(edgeUsers.totalCount).toBe(edgeUserCount);
  });

  it('counts a long edge list by its first and last pages, whatever EDGE_MAX_PAGES says', async () => {
    const harness = await harnessWith({ env: { EDGE_MAX_PAGES: '3' } });
    harness.simulators.resetRequests();
    const result = await harness.data(`query($username: String!) { user(username: $username) { loginHistory(first: 3) { totalCount } } }`, {
      username: LONG_HISTORY_USERNAME,
    });
    expect(result).toEqual({ user: { loginHistory: { totalCount: LONG_HISTORY_LENGTH } } });
    expect(harness.requests().filter((request) => request.path.endsWith('/history/'))).toHaveLength(2);
    expect(LONG_HISTORY_LENGTH / 25).toBeGreaterThan(3);
  });

  it('stops at EDGE_MAX_PAGES with its own code, on that field alone, where the links must be followed', async () => {
    // Links signed page by page: two numbers change from one to the next, so no page is asked for by number.
    const signed = {
      headers: (headers: Record<string, string>) => {
        headers['link'] &&= headers['link'].replace(/<([^>]*)>/g, (_all, url: string) => `<${url}&sig=s${new URL(url).searchParams.get('page')}>`);
      },
      query: (query: URLSearchParams) => query.delete('sig'),
    };
    const harness = await harnessWith({ env: { EDGE_MAX_PAGES: '3' }, reshape: { edge: signed } });
    const query = `query($username: String!) {
      users(first: 1) { edges { node { username } } }
      user(username: $username) {
        email
        recent: loginHistory(first: 3) { edges { node { attemptedAt } } }
        counted: loginHistory(first: 1) { totalCount edges { node { attemptedAt } } }
      }
    }`;
    harness.simulators.resetRequests();
    const result = (await harness.execute(query, { username: LONG_HISTORY_USERNAME })) as Loose;
    expect(result.data?.['users'].edges).toHaveLength(1);
    expect(result.data?.['user']).toMatchObject({ email: expect.any(String), recent: { edges: [{}, {}, {}] }, counted: { totalCount: null, edges: [{}] } });
    expect(codesOf(result)).toEqual([['user.counted.totalCount', 'UPSTREAM_LIST_TOO_LONG']]);
    expect(result.errors?.[0]?.message).toMatch(/more than|past 3 pages.*EDGE_MAX_PAGES/);
    expect(harness.requests().filter((request) => request.path.endsWith('/history/'))).toHaveLength(3);
    expect(LONG_HISTORY_LENGTH / 25).toBeGreaterThan(3);
  });

  it('refuses a list whose links go round in a circle', async () => {
    const harness = await harnessWith({
      reshape: { edge: { headers: (headers) => void (headers['link'] &&= headers['link'].replace(/page=\d+&/g, 'page=1&')) } },
    });
    const result = (await harness.execute('{ edgeUsers(first: 1) { totalCount } }')) as Loose;
    expect(codesOf(result)).toEqual([['edgeUsers.totalCount', 'UPSTREAM_BAD_RESPONSE']]);
    // Its numbers are tried once (the first page, the page they name), then its links followed to the loop.
    expect(present(harness.proxies.edge).seen.length).toBeLessThanOrEqual(5);
  });
});

describe('what one request may cost', () => {
  it(`takes at most ${MAX_NODE_IDS} ids in nodes(ids:), asking no upstream beyond that`, async () => {
    const harness = await harnessWith({});
    const ids = (count: number) => Array.from({ length: count }, (_, index) => Buffer.from(`Token:${index + 1}`).toString('base64url'));
    harness.simulators.resetRequests();
    const tooMany = (await harness.execute(NodesDocument, { ids: ids(MAX_NODE_IDS + 1) })) as Loose;
    expect(tooMany.errors?.[0]).toMatchObject({ message: `\`ids\` may hold at most ${MAX_NODE_IDS} ids (got ${MAX_NODE_IDS + 1}).`, extensions: { code: 'BAD_USER_INPUT' } });
    expect(harness.requests()).toHaveLength(0);
    const { nodes } = await harness.data(NodesDocument, { ids: ids(MAX_NODE_IDS) });
    expect(nodes).toHaveLength(MAX_NODE_IDS);
  });

  it('takes at most 100 switch user ids in a filter', async () => {
    const harness = await harnessWith({});
    harness.simulators.resetRequests();
    const result = (await harness.execute('query($ids: [Int!]) { switchUsers(filter: { userIds: $ids }) { totalCount } }', {
      ids: Array.from({ length: 101 }, (_, index) => index),
    })) as Loose;
    expect(result.errors?.[0]).toMatchObject({ message: '`filter.userIds` may hold at most 100 ids', extensions: { code: 'BAD_USER_INPUT' } });
    expect(harness.requests()).toHaveLength(0);
  });

  it('refuses an exact-name search on switch that would read past SWITCH_NAME_SEARCH_MAX_MATCHES', async () => {
    // Pages of one, the longest name first: "bob" comes last of bobby, bobcat, bob.smith, bob.
    const onePerPageByNameDescending = (query: URLSearchParams) => {
      query.set('per_page', '1');
      query.set('order_by', 'name');
      query.set('order_dir', 'desc');
    };
    const username = EVERYWHERE_USERNAME;
    const query = `query($username: String!) { user(username: $username) { email switchAccount { name } } }`;

    const capped = await harnessWith({ env: { SWITCH_NAME_SEARCH_MAX_MATCHES: '2' }, reshape: { switch: { query: onePerPageByNameDescending } } });
    const refused = (await capped.execute(query, { username })) as Loose;
    expect(refused.data?.['user']).toMatchObject({ email: expect.any(String), switchAccount: null });
    expect(codesOf(refused)).toEqual([['user.switchAccount', 'UPSTREAM_SEARCH_TOO_BROAD']]);
    expect(present(capped.proxies.switch).seen).toHaveLength(1);

    const roomy = await harnessWith({ reshape: { switch: { query: onePerPageByNameDescending } } });
    expect(await roomy.data(query, { username })).toMatchObject({ user: { switchAccount: { name: username } } });
  });

  it('refuses an exact-username search on edge that would read past EDGE_NAME_SEARCH_MAX_MATCHES', async () => {
    // Pages of one, and the person's own account hidden: the search reads every fuzzy match of "bob".
    const hideAccount = {
      edge: {
        query: (query: URLSearchParams) => query.set('per_page', '1'),
        body: (body: unknown) => (Array.isArray(body) ? body.filter((user: { username?: string }) => user.username !== EVERYWHERE_USERNAME) : body),
      },
    };
    const query = `query($username: String!) { user(username: $username) { email edgeAccount { username } } }`;
    const capped = await harnessWith({ env: { EDGE_NAME_SEARCH_MAX_MATCHES: '2' }, reshape: hideAccount });
    const refused = (await capped.execute(query, { username: EVERYWHERE_USERNAME })) as Loose;
    expect(refused.data?.['user']).toMatchObject({ email: expect.any(String), edgeAccount: null });
    expect(codesOf(refused)).toEqual([['user.edgeAccount', 'UPSTREAM_SEARCH_TOO_BROAD']]);
    // The hidden account's page comes back empty, then one match a page until two are in hand.
    expect(present(capped.proxies.edge).seen).toHaveLength(3);

    const roomy = await harnessWith({ reshape: hideAccount });
    expect(await roomy.data(query, { username: EVERYWHERE_USERNAME })).toMatchObject({ user: { edgeAccount: null } });
    const fuzzyMatches = roomy.simulators.dataset.edgeUsers.filter((user) => user.username.toLowerCase().includes(EVERYWHERE_USERNAME)).length;
    expect(present(roomy.proxies.edge).seen).toHaveLength(fuzzyMatches);
  });

  it.each([
    ['a declared length', undefined],
    ['a chunked body', { bytes: 1024, everyMs: 0 }],
  ])('refuses an upstream answer above UPSTREAM_MAX_RESPONSE_BYTES, with %s', async (_case, trickle) => {
    const harness = await harnessWith({ env: { UPSTREAM_MAX_RESPONSE_BYTES: '4096' }, reshape: { gate: trickle ? { trickle } : {} } });
    const result = (await harness.execute(UsersPageDocument, { first: 100 })) as Loose;
    expect(result.errors?.[0]).toMatchObject({
      path: ['users'],
      message: 'gate answered /user/ with more than 4096 bytes (UPSTREAM_MAX_RESPONSE_BYTES)',
      extensions: { code: 'UPSTREAM_RESPONSE_TOO_LARGE', upstream: 'gate' },
    });
    const small = present((await harness.data(UsersPageDocument, { first: 2 })).users);
    expect(small.edges).toHaveLength(2);
  });
});

describe('very long inputs', () => {
  const huge = 'x'.repeat(20_000);
  const cases: [string, string, Record<string, unknown>?][] = [
    ['a username', 'query($u: String!) { user(username: $u) { username } }', { u: huge }],
    ['a user filter', 'query($o: String) { users(filter: { organization: $o }) { totalCount } }', { o: huge }],
    ['an edge search', 'query($s: String) { edgeUsers(filter: { usernameContains: $s }) { totalCount } }', { s: huge }],
    ['a switch search', 'query($s: String) { switchUsers(filter: { nameContains: $s }) { totalCount } }', { s: huge }],
    ['a cursor', 'query($c: String) { users(first: 1, after: $c) { totalCount } }', { c: huge }],
    ['a global id', 'query($id: ID!) { node(id: $id) { id } }', { id: huge }],
    ['a global id among others', 'query($ids: [ID!]!) { nodes(ids: $ids) { id } }', { ids: [huge] }],
    ['a User id of a long username', 'query($id: ID!) { node(id: $id) { id } }', { id: Buffer.from(`User:${huge}`).toString('base64url') }],
    ['a value of the wrong type', 'query($n: Int) { users(first: $n) { totalCount } }', { n: huge }],
    ['an inline value of the wrong type', `{ users(first: "${huge}") { totalCount } }`],
    ['an unknown field', `{ users${huge} { totalCount } }`],
  ];

  it.each(cases)('refuses %s up front, with a short message that does not echo it', async (_case, query, variables) => {
    const harness = await harnessWith({});
    harness.simulators.resetRequests();
    const result = (await harness.execute(query, variables)) as Loose;
    expect(result.errors?.length).toBeGreaterThan(0);
    for (const error of result.errors ?? []) {
      expect(['BAD_USER_INPUT', 'GRAPHQL_VALIDATION_FAILED', undefined]).toContain(error.extensions?.['code']);
      expect(error.message.length).toBeLessThan(600);
      expect(error.message).not.toMatch(/x{41}/);
    }
    expect(harness.requests()).toHaveLength(0);
  });
});
