import { offsetToCursor } from '@pothos/plugin-relay';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EDGE_PAGING_DEFAULTS, LONG_HISTORY_LENGTH, LONG_HISTORY_USERNAME, type EdgePaging } from '../src/simulators/index.ts';
import { harnessPerTest, startHarness, type Harness } from './support/harness.ts';
import { answersInRounds } from './support/held-answers.ts';
import { present } from './support/expect.ts';

/**
 * edge's lists, read by the page numbers their links show: the fewest calls and rounds, and the
 * same answers as following the links, against servers that name and size their pages differently.
 * Rounds are shown by a proxy that holds edge's answers and lets them go a round at a time.
 */

const cursorAt = (position: number) => offsetToCursor(position);

const usernamesQuery = `query($first: Int, $after: String, $last: Int, $before: String) {
  edgeUsers(first: $first, after: $after, last: $last, before: $before) { pageInfo { hasNextPage hasPreviousPage } edges { node { username } } }
}`;

interface UsernamesPage {
  edgeUsers: { pageInfo: { hasNextPage: boolean; hasPreviousPage: boolean }; edges: { node: { username: string } }[] };
}

const modes: [string, Partial<EdgePaging>][] = [
  ['page and per_page, 25 a page, at most 100 (the simulators)', {}],
  ['page and page_size, 10 a page, at most 50', { sizeParam: 'page_size', defaultSize: 10, maxSize: 50 }],
  ['p and n, 20 a page, at most 1000', { pageParam: 'p', sizeParam: 'n', defaultSize: 20, maxSize: 1000 }],
  ['a size parameter it ignores (25 a page, whatever is asked)', { ignoresSize: true }],
];

describe.each(modes)('edge lists paged with %s', (_mode, paging) => {
  const settings = { ...EDGE_PAGING_DEFAULTS, ...paging };
  /** The largest page this edge serves. */
  const largest = settings.ignoresSize ? settings.defaultSize : settings.maxSize;
  let harness: Harness;
  const rounds = answersInRounds();
  const usernames = () => harness.simulators.dataset.edgeUsers.map((user) => user.username);
  const edgeCalls = () => harness.requests().filter((request) => request.upstream === 'edge');
  /**
   * The edge calls one query makes; and, asked again with edge's answers held, that it makes them
   * in 2 rounds: one call (whose answer tells how long the list is), then all the others, each sent
   * before any of them is answered.
   */
  async function measured<T>(run: () => Promise<T>): Promise<{ answer: T; calls: number; historyCalls: number }> {
    harness.simulators.resetRequests();
    const answer = await run();
    const calls = edgeCalls();
    rounds.expect(calls.length > 1 ? [1, calls.length - 1] : [1]);
    harness.simulators.resetRequests();
    expect(await run()).toEqual(answer);
    expect(edgeCalls()).toHaveLength(calls.length);
    return { answer, calls: calls.length, historyCalls: calls.filter((call) => call.path.endsWith('/history/')).length };
  }
  const page = (variables: Record<string, unknown>) => harness.data(usernamesQuery, variables) as Promise<UsernamesPage>;

  beforeAll(async () => {
    harness = await startHarness({ edgePaging: paging, reshape: { edge: { hold: rounds.hold } } });
    expect(usernames().length).toBeGreaterThan(4 * settings.defaultSize);
    // A list's first read ever is as the docs say (no parameters): its links teach the rest.
    await page({ first: 1 });
    await harness.data(`query($username: String!) { user(username: $username) { loginHistory(first: 1) { totalCount } } }`, { username: LONG_HISTORY_USERNAME });
  });
  afterAll(() => harness.close());

  it('counts a list of many pages in 2 calls at most, in 2 rounds', async () => {
    const { answer, calls } = await measured(() => harness.data(`{ edgeUsers(first: 1) { totalCount } }`));
    expect(answer).toEqual({ edgeUsers: { totalCount: usernames().length } });
    expect(calls).toBeLessThanOrEqual(2);
  });

  it('reads `last: 5` in 3 calls at most, in 2 rounds', async () => {
    const { answer, calls } = await measured(() => page({ last: 5 }));
    expect(answer.edgeUsers.edges.map((edge) => edge.node.username)).toEqual(usernames().slice(-5));
    expect(answer.edgeUsers.pageInfo).toEqual({ hasNextPage: false, hasPreviousPage: true });
    expect(calls).toBeLessThanOrEqual(3);
  });

  it.each([150, 97])('reads 5 rows deep in the list (after position %i) in 2 calls at most, in 2 rounds', async (after) => {
    const { answer, calls } = await measured(() => page({ first: 5, after: cursorAt(after) }));
    expect(answer.edgeUsers.edges.map((edge) => edge.node.username)).toEqual(usernames().slice(after + 1, after + 6));
    expect(answer.edgeUsers.pageInfo).toEqual({ hasNextPage: true, hasPreviousPage: true });
    // A window across two of the list's pages is asked for as one page of another size, where the upstream honours sizes.
    expect(calls).toBeLessThanOrEqual(settings.ignoresSize && Math.floor((after + 1) / largest) !== Math.floor((after + 5) / largest) ? 3 : 2);
  });

  it('reads a login history that fits in one of edge’s largest pages in 1 call, count and all', async () => {
    const fits = harness.simulators.dataset.edgeUsers
      .filter((user) => user.history.length > 3 && user.history.length <= largest && harness.simulators.dataset.gateUsers.some((gate) => gate.username === user.username))
      .sort((a, b) => b.history.length - a.history.length)[0];
    const account = present(fits);
    const { answer, calls, historyCalls } = await measured(() =>
      harness.data(`query($username: String!) { user(username: $username) { loginHistory(first: 3) { totalCount edges { node { attemptedAt } } } } }`, {
        username: account.username,
      }),
    );
    expect(answer).toMatchObject({ user: { loginHistory: { totalCount: account.history.length } } });
    expect(historyCalls).toBe(1);
    // Besides, the account is found by its username: 1 call.
    expect(calls).toBe(2);
  });

  it('answers every window exactly as the list is, forwards and backwards', async () => {
    const all = usernames();
    for (const size of [7, 33]) {
      const forward: string[] = [];
      let after: string | undefined;
      for (let pages = 0; pages < 100; pages++) {
        const { edgeUsers } = await page({ first: size, after });
        forward.push(...edgeUsers.edges.map((edge) => edge.node.username));
        if (!edgeUsers.pageInfo.hasNextPage) break;
        after = cursorAt(forward.length - 1);
      }
      expect(forward).toEqual(all);
      const backward: string[] = [];
      let before: string | undefined;
      for (let pages = 0; pages < 100; pages++) {
        const { edgeUsers } = await page({ last: size, before });
        backward.unshift(...edgeUsers.edges.map((edge) => edge.node.username));
        if (!edgeUsers.pageInfo.hasPreviousPage) break;
        before = cursorAt(all.length - backward.length);
      }
      expect(backward).toEqual(all);
    }
    const history = await harness.data(`query($username: String!) { user(username: $username) { loginHistory(last: 4) { totalCount edges { node { attemptedAt } } } } }`, {
      username: LONG_HISTORY_USERNAME,
    });
    const expected = present(harness.simulators.dataset.edgeUsers.find((user) => user.username === LONG_HISTORY_USERNAME)).history.slice(-4);
    expect(history).toEqual({
      user: { loginHistory: { totalCount: LONG_HISTORY_LENGTH, edges: expected.map((attempt) => ({ node: { attemptedAt: new Date(`${attempt.attempted_on}Z`).toISOString() } })) } },
    });
  });
});

describe('edge lists whose links show no pattern to rely on', () => {
  const harnessWith = harnessPerTest();

  it('follows links that carry an opaque cursor as given, and answers right', async () => {
    const encode = (search: string) => Buffer.from(search).toString('base64url');
    const harness = await harnessWith({
      reshape: {
        edge: {
          headers: (headers) => {
            if (headers['link']) headers['link'] = headers['link'].replace(/<([^>]*)>/g, (_all, url: string) => `<${new URL(url).pathname}?cursor=${encode(new URL(url).search)}>`);
          },
          query: (query) => {
            const cursor = query.get('cursor');
            if (cursor === null) return;
            query.delete('cursor');
            for (const [name, value] of new URLSearchParams(Buffer.from(cursor, 'base64url').toString())) query.set(name, value);
          },
        },
      },
    });
    const all = harness.simulators.dataset.edgeUsers.map((user) => user.username);
    const { edgeUsers } = (await harness.data(`{ edgeUsers(last: 3) { totalCount edges { node { username } } } }`)) as {
      edgeUsers: { totalCount: number; edges: { node: { username: string } }[] };
    };
    expect(edgeUsers.totalCount).toBe(all.length);
    expect(edgeUsers.edges.map((edge) => edge.node.username)).toEqual(all.slice(-3));
    // Every page, one after another, by its links.
    expect(present(harness.proxies.edge).seen.filter((url) => url.pathname.endsWith('/users/'))).toHaveLength(Math.ceil(all.length / 25));
  });

  it('falls back to the links, for good, when a page asked for by number is not the page it should be', async () => {
    // An edge that serves the first page for any URL it did not hand out itself.
    const handedOut = new Set<string>();
    let guessed = 0;
    const harness = await harnessWith({
      reshape: {
        edge: {
          headers: (headers) => {
            for (const [, url] of (headers['link'] ?? '').matchAll(/<([^>]*)>/g)) handedOut.add(new URL(url as string).search);
          },
          query: (query) => {
            if (!query.has('page') || handedOut.has(`?${query.toString()}`)) return;
            guessed++;
            query.delete('page');
          },
        },
      },
    });
    const all = harness.simulators.dataset.edgeUsers.map((user) => user.username);
    await harness.data(`{ edgeUsers(first: 1) { totalCount } }`);
    // Across two of the list's pages: asked for as one page of another size, a URL edge never handed out.
    const deep = `{ edgeUsers(first: 5, after: "${cursorAt(97)}") { edges { node { username } } } }`;
    for (let run = 0; run < 2; run++) {
      const { edgeUsers } = (await harness.data(deep)) as { edgeUsers: { edges: { node: { username: string } }[] } };
      expect(edgeUsers.edges.map((edge) => edge.node.username)).toEqual(all.slice(98, 103));
    }
    const { edgeUsers } = (await harness.data(`{ edgeUsers(first: 1) { totalCount } }`)) as { edgeUsers: { totalCount: number } };
    expect(edgeUsers.totalCount).toBe(all.length);
    // Tried once, then never again.
    expect(guessed).toBe(1);
  });
});
