import { offsetToCursor } from '@pothos/plugin-relay';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startHarness, type Harness } from './support/harness.ts';

/**
 * Every combination of `first`, `last`, `after` and `before` (cursors inside the list, at its
 * ends and past them), on each kind of upstream list, against the Relay spec's own algorithm
 * (https://relay.dev/graphql/connections.htm#sec-Pagination-algorithm) run over the whole list.
 */
let harness: Harness;
beforeAll(async () => {
  harness = await startHarness();
});
afterAll(() => harness.close());

interface Window {
  first?: number;
  last?: number;
  after?: number;
  before?: number;
}

/** The spec's algorithm over the whole list; where it lets a server choose, this API's choice. */
function expectedPage<T>(all: readonly T[], window: Window) {
  const first = window.first === undefined && window.last === undefined ? 20 : window.first;
  const afterNamesEdge = window.after !== undefined && window.after < all.length;
  const beforeNamesEdge = window.before !== undefined && window.before < all.length;
  // ApplyCursorsToEdges: only a cursor that names an edge removes anything.
  const start = afterNamesEdge ? (window.after as number) + 1 : 0;
  const end = beforeNamesEdge ? (window.before as number) : all.length;
  const cursorEdges = all.map((item, position) => ({ item, position })).slice(start, Math.max(start, end));
  let edges = cursorEdges;
  if (first !== undefined && edges.length > first) edges = edges.slice(0, first);
  if (window.last !== undefined && edges.length > window.last) edges = edges.slice(edges.length - window.last);
  return {
    items: edges.map((edge) => edge.item),
    cursors: edges.map((edge) => offsetToCursor(edge.position)),
    // HasNextPage / HasPreviousPage; the "may" steps answer true when the cursor names an edge.
    hasNextPage: first !== undefined ? cursorEdges.length > first : beforeNamesEdge,
    hasPreviousPage: window.last !== undefined ? cursorEdges.length > window.last : afterNamesEdge,
  };
}

/** The windows tried on a list of `length` items. */
function windowsFor(length: number): Window[] {
  const positions = [undefined, 0, 4, length - 1, length, length + 5];
  const windows: Window[] = [];
  for (const [first, last] of [
    [undefined, undefined],
    [0, undefined],
    [2, undefined],
    [7, undefined],
    [undefined, 0],
    [undefined, 3],
    [7, 3],
  ] as const) {
    for (const after of positions) for (const before of positions) windows.push({ first, last, after, before });
  }
  return windows;
}

interface ListCase {
  name: string;
  /** A query with `$first`, `$last`, `$after` and `$before`, and the connection it asks for. */
  query: string;
  connection: (data: any) => { edges: { cursor: string; node: { key: unknown } }[]; pageInfo: Record<string, unknown> };
  items: () => unknown[];
}

const args = 'first: $first, last: $last, after: $after, before: $before';
const vars = '$first: Int, $last: Int, $after: String, $before: String';
const page = 'pageInfo { hasNextPage hasPreviousPage startCursor endCursor } edges { cursor node { key: ';

const lists: ListCase[] = [
  {
    name: 'gate users (limit/offset)',
    query: `query(${vars}) { users(${args}, filter: { organization: "hooli" }) { ${page} username } } } }`,
    connection: (data) => data.users,
    items: () => harness.simulators.dataset.gateUsers.filter((user) => user.organization === 'hooli').map((user) => user.username),
  },
  {
    name: 'switch users (page/per_page)',
    query: `query(${vars}) { switchUsers(${args}, filter: { userType: "carrier" }, orderBy: { field: USER_ID }) { ${page} userId } } } }`,
    connection: (data) => data.switchUsers,
    items: () =>
      harness.simulators.dataset.switchUsers
        .filter((user) => user.user_type === 'carrier')
        .map((user) => user.user_id)
        .sort((a, b) => a - b),
  },
  {
    name: 'an edge login history (Link headers, two pages)',
    query: `query(${vars}) { user(username: "rachel.evans") { loginHistory(${args}) { ${page} attemptedAt } } } } }`,
    connection: (data) => data.user.loginHistory,
    items: () =>
      harness.simulators.dataset.edgeUsers
        .find((user) => user.username === 'rachel.evans')!
        .history.map((attempt) => new Date(`${attempt.attempted_on}Z`).toISOString()),
  },
  {
    name: 'edge users (Link headers, exactly one full page)',
    query: `query(${vars}) { edgeUsers(${args}, filter: { isActive: false }) { ${page} username } } } }`,
    connection: (data) => data.edgeUsers,
    items: () => harness.simulators.dataset.edgeUsers.filter((user) => !user.is_active).map((user) => user.username),
  },
];

describe.each(lists)('$name', (list) => {
  it('answers every combination of arguments exactly as the spec`s algorithm does', async () => {
    const all = list.items();
    expect(all.length).toBeGreaterThan(8);
    const windows = windowsFor(all.length);
    const mismatches: unknown[] = [];
    for (let at = 0; at < windows.length; at += 25) {
      await Promise.all(
        windows.slice(at, at + 25).map(async (window) => {
          const variables = {
            first: window.first,
            last: window.last,
            after: window.after === undefined ? undefined : offsetToCursor(window.after),
            before: window.before === undefined ? undefined : offsetToCursor(window.before),
          };
          const connection = list.connection(await harness.data(list.query, variables));
          const expected = expectedPage(all, window);
          const actual = {
            items: connection.edges.map((edge) => edge.node.key),
            cursors: connection.edges.map((edge) => edge.cursor),
            hasNextPage: connection.pageInfo['hasNextPage'],
            hasPreviousPage: connection.pageInfo['hasPreviousPage'],
          };
          const cursorsMatch = connection.pageInfo['startCursor'] === (expected.cursors[0] ?? null) && connection.pageInfo['endCursor'] === (expected.cursors.at(-1) ?? null);
          if (JSON.stringify(actual) !== JSON.stringify(expected) || !cursorsMatch) mismatches.push({ window, expected, actual });
        }),
      );
    }
    expect(mismatches).toEqual([]);
  });
});
