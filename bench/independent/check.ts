// Black-box conformance of the gateway against the independent upstreams: starts bench/independent/
// main.ts and the gateway (`node src/index.ts`, AUTH_MODE=none), sends GraphQL
// written from schema/schema.graphql, and compares every answer with what the dataset says it
// must be. One PASS/FAIL line per check; exits 1 on any FAIL.
//
//   node bench/independent/check.ts            (VERBOSE=1 for every diff line)
import { fileURLToPath } from 'node:url';
import { createHash, randomBytes } from 'node:crypto';
import { startChild, stopAllChildren, stopChildrenOnExit, type ManagedChild } from '../support/children.ts';
import { readyUrl } from '../support/gateway.ts';
import { freePorts } from '../support/ports.ts';
import { buildDataset, type Dataset } from './dataset.ts';
import {
  ACCESS_TOKEN_FIELDS,
  BALANCE_FIELDS,
  diff,
  EDGE_USER_FIELDS,
  expectAccessToken,
  expectBalance,
  expectEdgeUser,
  expectExtra,
  expectLogin,
  expectSwitchUser,
  expectToken,
  expectUser,
  EXTRA_FIELDS,
  LOGIN_FIELDS,
  personOf,
  relayWindow,
  secondsOfHumanReadable,
  SWITCH_FIELDS,
  TOKEN_FIELDS,
  USER_FIELDS,
  type WindowArgs,
} from './expect.ts';
import { parseInstant, selectSwitchItems, type SwitchOrderField, type SwitchQuery } from './switch.ts';
import { runMutationChecks } from './mutations.ts';
import { answersScannedCount, collectSecrets, describeErrors, graphql, leaks, report, results, setGatewayUrl, setUpstreamEnv, type Answer } from './client.ts';
import { outsiderIds, runCredentialChecks, runTenantChecks, runTenantNodeChecks, tenantOrganization } from './configurations.ts';

const repositoryRoot = fileURLToPath(new URL('../..', import.meta.url));

// ---------- connections ----------

const PAGE_INFO = 'pageInfo { hasNextPage hasPreviousPage startCursor endCursor }';

interface Connection {
  totalCount?: number | null;
  pageInfo: { hasNextPage: boolean; hasPreviousPage: boolean; startCursor: string | null; endCursor: string | null };
  edges: Array<{ cursor: string; node: Record<string, unknown> }>;
}

/**
 * A list as the check walks it: how to ask for a window, what the whole list must be, and the
 * cursors the gateway handed out for items it answered correctly (by their index).
 */
class ListUnderTest<T> {
  readonly cursorAt = new Map<number, string>();
  readonly label: string;
  readonly expected: readonly T[];
  readonly project: (item: T) => Record<string, unknown>;
  readonly ask: (args: Record<string, unknown>, selection: string) => Promise<{ connection: Connection | null | undefined; answer: Answer }>;
  readonly fields: string;
  constructor(
    label: string,
    expected: readonly T[],
    project: (item: T) => Record<string, unknown>,
    /** the root field with its filter arguments, e.g. `users(filter: $filter, ` … the page args are added */
    ask: (args: Record<string, unknown>, selection: string) => Promise<{ connection: Connection | null | undefined; answer: Answer }>,
    fields: string,
  ) {
    this.label = label;
    this.expected = expected;
    this.project = project;
    this.ask = ask;
    this.fields = fields;
  }

  async window(name: string, args: WindowArgs): Promise<boolean> {
    const variables: Record<string, unknown> = { first: args.first, last: args.last };
    const details: string[] = [];
    for (const side of ['after', 'before'] as const) {
      const index = args[side];
      if (index === undefined) continue;
      const cursor = this.cursorAt.get(index);
      if (cursor === undefined) {
        report.fail(`${this.label}: ${name}`, [`no cursor known for item ${index} (an earlier page failed)`]);
        return false;
      }
      variables[side] = cursor;
    }
    const { connection, answer } = await this.ask(variables, `totalCount ${PAGE_INFO} edges { cursor node { ${this.fields} } }`);
    if (answer.errors.length > 0) details.push(...describeErrors(answer.errors));
    if (!connection) {
      details.push('connection is null');
      return report.verdict(`${this.label}: ${name}`, details);
    }
    const want = relayWindow(this.expected, args);
    details.push(...diff(this.expected.length, connection.totalCount, '$.totalCount'));
    details.push(...diff({ hasNextPage: want.hasNextPage, hasPreviousPage: want.hasPreviousPage }, { hasNextPage: connection.pageInfo.hasNextPage, hasPreviousPage: connection.pageInfo.hasPreviousPage }, '$.pageInfo'));
    const edges = connection.edges ?? [];
    details.push(...diff(want.items.map(this.project), edges.map((edge) => edge.node), '$.edges[].node'));
    const startCursor = edges[0]?.cursor ?? null;
    const endCursor = edges.at(-1)?.cursor ?? null;
    if (connection.pageInfo.startCursor !== startCursor || connection.pageInfo.endCursor !== endCursor) {
      details.push(`$.pageInfo: startCursor/endCursor are not the first/last edge's cursor`);
    }
    // Cursors are remembered only for items answered right, by their place in the whole list.
    const offset = want.items.length > 0 ? this.expected.indexOf(want.items[0] as T) : 0;
    edges.forEach((edge, position) => {
      const item = want.items[position];
      if (item !== undefined && diff(this.project(item), edge.node).length === 0) this.cursorAt.set(offset + position, edge.cursor);
    });
    return report.verdict(`${this.label}: ${name}`, details);
  }

  /** Every page forward from the start, `size` at a time, until hasNextPage is false. */
  async walkForward(size: number): Promise<void> {
    let after: number | undefined;
    for (let page = 1; ; page++) {
      const ok = await this.window(`walk forward first:${size} page ${page}`, { first: size, after });
      const next = (after ?? -1) + size;
      if (!ok || next >= this.expected.length - 1 || page > 50) return;
      after = next;
    }
  }

  /** Every page backward from the end, `size` at a time. */
  async walkBackward(size: number): Promise<void> {
    let before: number | undefined;
    for (let page = 1; ; page++) {
      const ok = await this.window(`walk backward last:${size} page ${page}`, { last: size, before });
      const start = (before ?? this.expected.length) - size;
      if (!ok || start <= 0 || page > 50) return;
      before = start;
    }
  }
}

function connectionAt(answer: Answer, path: string[]): Connection | null | undefined {
  let value: unknown = answer.data;
  for (const key of path) value = value === null || value === undefined ? value : (value as Record<string, unknown>)[key];
  return value as Connection | null | undefined;
}

/** A root list: `field(first:…, …, <extra args>)`. */
function rootList<T>(label: string, field: string, extraDeclarations: string, extraArgs: string, extraVariables: Record<string, unknown>, expected: readonly T[], project: (item: T) => Record<string, unknown>, fields: string): ListUnderTest<T> {
  return new ListUnderTest(label, expected, project, async (args, selection) => {
    const query = `query List($first: Int, $last: Int, $after: String, $before: String${extraDeclarations}) {
      list: ${field}(first: $first, last: $last, after: $after, before: $before${extraArgs}) { ${selection} } }`;
    const answer = await graphql(label, query, { ...args, ...extraVariables });
    return { connection: connectionAt(answer, ['list']), answer };
  }, fields);
}

/** A person's relation list: `user(username:) { field(first:…) }`. */
function personList<T>(label: string, username: string, field: 'loginHistory' | 'accessTokens', expected: readonly T[], project: (item: T) => Record<string, unknown>, fields: string): ListUnderTest<T> {
  return new ListUnderTest(label, expected, project, async (args, selection) => {
    const query = `query Rel($username: String!, $first: Int, $last: Int, $after: String, $before: String) {
      user(username: $username) { list: ${field}(first: $first, last: $last, after: $after, before: $before) { ${selection} } } }`;
    const answer = await graphql(label, query, { ...args, username });
    return { connection: connectionAt(answer, ['user', 'list']), answer };
  }, fields);
}

// ---------- the checks ----------

async function checkUsers(data: Dataset): Promise<void> {
  const users = rootList('users', 'users', '', '', {}, data.gateUsers, expectUser, USER_FIELDS);
  await users.window('first:50', { first: 50 });
  await users.window('no first/last (20 by default)', {});
  await users.window('first:5 after item 9', { first: 5, after: 9 });
  await users.window('last:10 before item 30', { last: 10, before: 30 });
  await users.window('last:3 after item 9 before item 30', { last: 3, after: 9, before: 30 });
  await users.window('first:4 after item 9 before item 30', { first: 4, after: 9, before: 30 });
  await users.walkForward(120);
  await users.walkBackward(150);
  await users.window('first:500', { first: 500 });
  await users.window('first:500 after item 499', { first: 500, after: 499 });
  await users.window('last:500', { last: 500 });
  await users.window('first:0', { first: 0 });
  await users.window('first:5 after the last item', { first: 5, after: 599 });
  await users.window('last:5 before the first item', { last: 5, before: 0 });
  await users.window('last:500 before item 550', { last: 500, before: 550 });

  const tooMany = await graphql('users first:501', '{ users(first: 501) { totalCount } }');
  report.verdict('users: first:501 is refused with BAD_USER_INPUT (README: never a silent cut)', tooMany.errors.some((error) => error.extensions?.code === 'BAD_USER_INPUT') ? [] : [`got ${tooMany.text.slice(0, 200)}`]);

  for (const organization of data.organizations) {
    const members = data.gateUsers.filter((user) => user.organization === organization.name);
    const list = rootList(`users(filter: {organization: ${organization.name}})`, 'users', ', $filter: UserFilter', ', filter: $filter', { filter: { organization: organization.name } }, members, expectUser, USER_FIELDS);
    await list.window('first:500', { first: 500 });
  }
  for (const username of ['bob', 'ann+ops', 'Bobby', 'BOB', 'nobody.at.all']) {
    const members = data.gateUsers.filter((user) => user.username === username);
    const list = rootList(`users(filter: {username: ${JSON.stringify(username)}})`, 'users', ', $filter: UserFilter', ', filter: $filter', { filter: { username } }, members, expectUser, USER_FIELDS);
    await list.window('first:10', { first: 10 });
  }
}

const PERSON_QUERY = `query Person($username: String!) {
  user(username: $username) {
    ${USER_FIELDS}
    token { ${TOKEN_FIELDS} }
    balance { ${BALANCE_FIELDS} }
    extra { ${EXTRA_FIELDS} }
    edgeAccount { ${EDGE_USER_FIELDS} }
    accessTokens(first: 10) { totalCount edges { node { ${ACCESS_TOKEN_FIELDS} } } }
    loginHistory(first: 5) { totalCount edges { node { ${LOGIN_FIELDS} } } }
    switchAccount { ${SWITCH_FIELDS} }
  }
}`;

function samplePeople(data: Dataset): string[] {
  const fixed = ['bob', 'bob.smith', 'Bobby', 'bobby', 'bobby.tables', 'robert.bobson', 'jon', 'Jonny', 'jonathan', 'ann+ops', 'carl@field', 'dee-dee_99', 'an', 'José.Núñez'];
  const others = data.gateUsers.filter((_, index) => index % 23 === 3).map((user) => user.username);
  return [...fixed, ...others];
}

async function checkPeople(data: Dataset): Promise<void> {
  for (const username of samplePeople(data)) {
    const person = personOf(data, username);
    if (!person) continue;
    const answer = await graphql(`user(${username})`, PERSON_QUERY, { username });
    const got = (answer.data?.['user'] ?? null) as Record<string, unknown> | null;
    const details = describeErrors(answer.errors);
    const tokens = person.edge ? (data.edgeTokens.get(person.edge.id) ?? []) : [];
    const history = person.edge ? (data.edgeHistory.get(person.edge.id) ?? []) : [];
    const expected: Record<string, unknown> = {
      ...expectUser(person.user),
      token: person.token ? expectToken(person.token) : null,
      balance: person.token ? expectBalance(person.token) : null,
      extra: person.extra ? expectExtra(person.extra) : null,
      edgeAccount: person.edge ? expectEdgeUser(person.edge) : null,
      accessTokens: { totalCount: tokens.length, edges: tokens.slice(0, 10).map((token) => ({ node: expectAccessToken(token) })) },
      loginHistory: { totalCount: history.length, edges: history.slice(0, 5).map((login) => ({ node: expectLogin(login) })) },
      switchAccount: person.switchItem ? expectSwitchUser(person.switchItem) : null,
    };
    let actual: Record<string, unknown> | null = got;
    if (got && isRecord(got['balance'])) {
      // humanReadable is the gateway's own wording: it must add up to the seconds.
      const { humanReadable, ...rest } = got['balance'];
      const seconds = secondsOfHumanReadable(humanReadable);
      if (seconds !== rest['seconds']) details.push(`$.balance.humanReadable: ${JSON.stringify(humanReadable)} does not add up to ${String(rest['seconds'])} s`);
      actual = { ...got, balance: rest };
    }
    details.push(...diff(expected, actual));
    report.verdict(`user(username: ${JSON.stringify(username)}) with every relation`, details);
  }
  for (const username of ['BOB', 'bobb', 'nobody.at.all', 'Jon']) {
    const answer = await graphql(`user(${username})`, `query($username: String!) { user(username: $username) { username } }`, { username });
    report.verdict(`user(username: ${JSON.stringify(username)}) is null (no such gate user)`, [...describeErrors(answer.errors), ...diff(null, answer.data?.['user'])]);
  }
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

async function checkHistories(data: Dataset): Promise<void> {
  // The longest histories (past edge's page cap of 75), one of medium length, one empty.
  const withEdge = data.gateUsers.map((user) => personOf(data, user.username)!).filter((person) => person.edge);
  const byLength = withEdge.map((person) => ({ person, history: data.edgeHistory.get(person.edge!.id) ?? [] })).sort((a, b) => b.history.length - a.history.length);
  const exactly = (length: number) => byLength.filter((entry) => entry.history.length === length).slice(0, 1);
  // The longest, edge's page cap exactly and one past it, a medium one, an empty one.
  const chosen = [...byLength.slice(0, 3), ...exactly(75), ...exactly(76), byLength.find((entry) => entry.history.length > 30 && entry.history.length < 60)!, byLength.find((entry) => entry.history.length === 0)!];
  for (const { person, history } of chosen) {
    const label = `loginHistory of ${person.user.username} (${history.length} attempts)`;
    const list = personList(label, person.user.username, 'loginHistory', history, expectLogin, LOGIN_FIELDS);
    await list.window('first:3', { first: 3 });
    await list.window('last:5', { last: 5 });
    await list.window('first:0', { first: 0 });
    if (history.length === 0) continue;
    await list.window(`first:5 after the last item`, { first: 5, after: history.length - 1 });
    await list.window('first:100', { first: 100 });
    await list.window('last:100', { last: 100 });
    await list.window('first:500', { first: 500 });
    await list.walkForward(40);
    await list.walkBackward(40);
    if (history.length > 80) {
      await list.window('first:5 after item 72 (across edge pages)', { first: 5, after: 72 });
      await list.window('last:7 before item 78', { last: 7, before: 78 });
      await list.window('first:10 after item 2 before item 8', { first: 10, after: 2, before: 8 });
    }
  }
  // The same history through EdgeUser (edgeAccount) rather than User.
  const longest = chosen[0]!;
  const answer = await graphql('edgeAccount.loginHistory', `query($u: String!) { user(username: $u) { edgeAccount { loginHistory(last: 7) { totalCount edges { node { ${LOGIN_FIELDS} } } } } } }`, { u: longest.person.user.username });
  const history = longest.history;
  report.verdict(`EdgeUser.loginHistory(last: 7) of ${longest.person.user.username}`, [
    ...describeErrors(answer.errors),
    ...diff({ totalCount: history.length, edges: history.slice(-7).map((login) => ({ node: expectLogin(login) })) }, (answer.data?.['user'] as Record<string, Record<string, unknown>> | null)?.['edgeAccount']?.['loginHistory']),
  ]);

  // Access tokens: a person with the most, forward and backward.
  const mostTokens = withEdge.map((person) => ({ person, tokens: data.edgeTokens.get(person.edge!.id) ?? [] })).sort((a, b) => b.tokens.length - a.tokens.length)[0]!;
  const tokens = personList(`accessTokens of ${mostTokens.person.user.username}`, mostTokens.person.user.username, 'accessTokens', mostTokens.tokens, expectAccessToken, ACCESS_TOKEN_FIELDS);
  await tokens.window('first:2', { first: 2 });
  await tokens.window('first:2 after item 1', { first: 2, after: 1 });
  await tokens.window('last:2', { last: 2 });
  await tokens.window('last:1 before item 1', { last: 1, before: 1 });
  await tokens.window('first:100 (more than edge serves in a page)', { first: 100 });
  await tokens.window('last:6', { last: 6 });
  await tokens.walkForward(30);
}

async function checkEdgeUsers(data: Dataset): Promise<void> {
  const all = rootList('edgeUsers', 'edgeUsers', '', '', {}, data.edgeUsers, expectEdgeUser, EDGE_USER_FIELDS);
  await all.window('first:100', { first: 100 });
  await all.walkForward(200);
  await all.walkBackward(90);
  await all.window('last:500', { last: 500 });
  await all.window('first:3 after item 73 (across edge pages)', { first: 3, after: 73 });
  await all.window('first:0', { first: 0 });
  await all.window(`last:4 before item 75 (edge's page boundary)`, { last: 4, before: 75 });
  await all.window('first:5 after the last item', { first: 5, after: data.edgeUsers.length - 1 });

  const contains = (value: string | null, needle: string): boolean => value !== null && value.toLowerCase().includes(needle.toLowerCase());
  const filters: Array<[string, Record<string, unknown>]> = [
    ['usernameContains bob', { usernameContains: 'bob' }],
    ['usernameContains BOB', { usernameContains: 'BOB' }],
    ['usernameContains jon', { usernameContains: 'jon' }],
    ['usernameContains +', { usernameContains: 'ann+' }],
    ['emailContains edge-mail', { emailContains: 'edge-mail' }],
    ['firstNameContains AN', { firstNameContains: 'AN' }],
    ['lastNameContains fixture + usernameContains bob', { lastNameContains: 'fixture', usernameContains: 'bob' }],
    ['isActive false', { isActive: false }],
    ['isActive true + usernameContains a', { isActive: true, usernameContains: 'a' }],
  ];
  for (const [name, filter] of filters) {
    const expected = data.edgeUsers.filter(
      (user) =>
        (filter['usernameContains'] === undefined || contains(user.username, filter['usernameContains'] as string)) &&
        (filter['emailContains'] === undefined || contains(user.email, filter['emailContains'] as string)) &&
        (filter['firstNameContains'] === undefined || contains(user.first_name, filter['firstNameContains'] as string)) &&
        (filter['lastNameContains'] === undefined || contains(user.last_name, filter['lastNameContains'] as string)) &&
        (filter['isActive'] === undefined || user.is_active === filter['isActive']),
    );
    const list = rootList(`edgeUsers(${name})`, 'edgeUsers', ', $filter: EdgeUserFilter', ', filter: $filter', { filter }, expected, expectEdgeUser, EDGE_USER_FIELDS);
    await list.window('first:100', { first: 100 });
    if (expected.length > 100) await list.window('last:10', { last: 10 });
  }

  // Links back to the person: null for edge's own service account.
  const answer = await graphql('edgeUsers links', `{ edgeUsers(first: 12) { edges { node { username user { username gateId } accessTokens(first: 5) { totalCount edges { node { title } } } } } } }`);
  const expected = data.edgeUsers.slice(0, 12).map((account) => {
    const gateUser = data.gateUsers.find((user) => user.username === account.username);
    const tokens = data.edgeTokens.get(account.id) ?? [];
    return { node: { username: account.username, user: gateUser ? { username: gateUser.username, gateId: gateUser.id } : null, accessTokens: { totalCount: tokens.length, edges: tokens.slice(0, 5).map((token) => ({ node: { title: token.title } })) } } };
  });
  report.verdict('edgeUsers(first: 12) { user, accessTokens } (service account links to null)', [...describeErrors(answer.errors), ...diff(expected, (answer.data?.['edgeUsers'] as Record<string, unknown> | null)?.['edges'])]);
}

/** Accounts spelled like a person in another case link to no one: the join is exact. */
async function checkCaseVariants(data: Dataset): Promise<void> {
  const gateNames = new Set(data.gateUsers.map((user) => user.username));
  const odd = await graphql('odd names', `{ e: edgeUsers(first: 5, filter: { usernameContains: "ops/noc" }) { edges { node { username user { username } } } }
    s: switchUsers(first: 5, filter: { nameContains: "50%off" }) { edges { node { name user { username } } } } }`);
  report.verdict('edge-only "ops/noc" and switch-only "50%off.." (path-hostile names) link to null, found by their filters', [
    ...describeErrors(odd.errors),
    ...diff({ e: { edges: [{ node: { username: 'ops/noc', user: null } }] }, s: { edges: [{ node: { name: '50%off..', user: null } }] } }, odd.data),
  ]);
  const edge = await graphql('edge case variants', `{ edgeUsers(first: 50, filter: { usernameContains: "BOB" }) { edges { node { username user { username } } } } }`);
  report.verdict('edgeUsers(usernameContains: "BOB") { user }: edge-only "BOB" links to null, "bob" to bob', [
    ...describeErrors(edge.errors),
    ...diff(
      data.edgeUsers.filter((account) => account.username.toLowerCase().includes('bob')).map((account) => ({ node: { username: account.username, user: gateNames.has(account.username) ? { username: account.username } : null } })),
      (edge.data?.['edgeUsers'] as Record<string, unknown> | null)?.['edges'],
    ),
  ]);
  const byId = selectSwitchItems(data.switchItems, { name: 'bob', orderBy: 'user_id', descending: false });
  const sw = await graphql('switch case variants', `{ switchUsers(first: 50, filter: { nameContains: "bob" }) { edges { node { name user { username } } } } }`);
  report.verdict('switchUsers(nameContains: "bob") { user }: switch-only "Bob" links to null', [
    ...describeErrors(sw.errors),
    ...diff(byId.map((item) => ({ node: { name: item.name, user: gateNames.has(item.name) ? { username: item.name } : null } })), (sw.data?.['switchUsers'] as Record<string, unknown> | null)?.['edges']),
  ]);
}

const ORDER_FIELDS: Array<[string, SwitchOrderField]> = [
  ['USER_ID', 'user_id'],
  ['NAME', 'name'],
  ['CREATE_TIME', 'create_time'],
  ['LAST_LOGIN_TIME', 'last_login_time'],
  ['ROLE_ID', 'role_id'],
  ['USER_TYPE', 'user_type'],
  ['CARRIER_NAME', 'carrier_name'],
];

async function checkSwitch(data: Dataset): Promise<void> {
  const byId = selectSwitchItems(data.switchItems, { orderBy: 'user_id', descending: false });
  const all = rootList('switchUsers', 'switchUsers', '', '', {}, byId, expectSwitchUser, SWITCH_FIELDS);
  await all.window('first:100', { first: 100 });
  await all.window('no first/last', {});
  await all.walkForward(200);
  await all.walkBackward(120);
  await all.window('first:7 after item 47 (across switch pages)', { first: 7, after: 47 });
  await all.window('first:0', { first: 0 });
  await all.window('last:50 before item 100 (switch page boundaries)', { last: 50, before: 100 });
  await all.window('first:5 after the last item', { first: 5, after: byId.length - 1 });

  for (const [field, orderBy] of ORDER_FIELDS) {
    for (const direction of ['ASC', 'DESC'] as const) {
      const expected = selectSwitchItems(data.switchItems, { orderBy, descending: direction === 'DESC' });
      const list = rootList(`switchUsers(orderBy: ${field} ${direction})`, 'switchUsers', ', $orderBy: SwitchUserOrder', ', orderBy: $orderBy', { orderBy: { field, direction } }, expected, expectSwitchUser, SWITCH_FIELDS);
      await list.window('first:60', { first: 60 });
      await list.window('last:10', { last: 10 });
    }
  }

  const someIds = [byId[3]!.user_id, byId[100]!.user_id, byId[7]!.user_id, 999_999];
  const instantOf = (text: string): number => parseInstant(text) as number;
  const filters: Array<[string, Record<string, unknown>, Omit<SwitchQuery, 'orderBy' | 'descending'>]> = [
    ['active true', { active: true }, { active: true }],
    ['active false', { active: false }, { active: false }],
    ['nameContains bob', { nameContains: 'bob' }, { name: 'bob' }],
    ['nameContains BOB', { nameContains: 'BOB' }, { name: 'BOB' }],
    ['carrierNameContains bob', { carrierNameContains: 'bob' }, { carrierName: 'bob' }],
    ['userType carrier', { userType: 'carrier' }, { userType: 'carrier' }],
    ['roleId 3', { roleId: 3 }, { roleId: 3 }],
    ['isOnline 0', { isOnline: 0 }, { isOnline: 0 }],
    ['createdAfter 2024-06-01', { createdAfter: '2024-06-01T00:00:00.000Z' }, { createdAfter: instantOf('2024-06-01T00:00:00Z') }],
    ['createdBefore 2023-01-01', { createdBefore: '2023-01-01T00:00:00.000Z' }, { createdBefore: instantOf('2023-01-01T00:00:00Z') }],
    ['lastLoginAfter 2025-06-01 + lastLoginBefore 2026-06-01', { lastLoginAfter: '2025-06-01T00:00:00.000Z', lastLoginBefore: '2026-06-01T00:00:00.000Z' }, { lastLoginAfter: instantOf('2025-06-01T00:00:00Z'), lastLoginBefore: instantOf('2026-06-01T00:00:00Z') }],
    ['neverLoggedIn true', { neverLoggedIn: true }, { lastLoginIsNull: true }],
    ['neverLoggedIn false', { neverLoggedIn: false }, { lastLoginIsNull: false }],
    [`userIds ${someIds.join(',')}`, { userIds: someIds }, { userIds: someIds }],
    ['userType client + active true', { userType: 'client', active: true }, { userType: 'client', active: true }],
  ];
  for (const [name, filter, query] of filters) {
    const expected = selectSwitchItems(data.switchItems, { ...query, orderBy: 'user_id', descending: false });
    const list = rootList(`switchUsers(${name})`, 'switchUsers', ', $filter: SwitchUserFilter', ', filter: $filter', { filter }, expected, expectSwitchUser, SWITCH_FIELDS);
    await list.window('first:100', { first: 100 });
    if (expected.length > 60) await list.window('last:5', { last: 5 });
  }
  // A filter with an order.
  const carriers = selectSwitchItems(data.switchItems, { userType: 'carrier', orderBy: 'carrier_name', descending: true });
  const ordered = rootList('switchUsers(userType carrier, orderBy CARRIER_NAME DESC)', 'switchUsers', ', $filter: SwitchUserFilter, $orderBy: SwitchUserOrder', ', filter: $filter, orderBy: $orderBy', { filter: { userType: 'carrier' }, orderBy: { field: 'CARRIER_NAME', direction: 'DESC' } }, carriers, expectSwitchUser, SWITCH_FIELDS);
  await ordered.window('first:40', { first: 40 });

  const answer = await graphql('switch links', `{ switchUsers(first: 40) { edges { node { name user { username gateId } } } } }`);
  const expected = byId.slice(0, 40).map((item) => {
    const gateUser = data.gateUsers.find((user) => user.username === item.name);
    return { node: { name: item.name, user: gateUser ? { username: gateUser.username, gateId: gateUser.id } : null } };
  });
  report.verdict('switchUsers(first: 40) { user } (switch admin links to null)', [...describeErrors(answer.errors), ...diff(expected, (answer.data?.['switchUsers'] as Record<string, unknown> | null)?.['edges'])]);
}

async function checkTokensAndExtras(data: Dataset): Promise<void> {
  const tokens = rootList('tokens', 'tokens', '', '', {}, data.gateTokens, expectToken, TOKEN_FIELDS);
  await tokens.window('first:150', { first: 150 });
  await tokens.walkForward(250);
  await tokens.window('last:30', { last: 30 });
  for (const filter of [{ organization: 'globex' }, { username: 'ann+ops' }, { username: 'Bobby' }, { organization: 'northwind', username: 'bob' }]) {
    const expected = data.gateTokens.filter((token) => (filter.organization === undefined || token.organization === filter.organization) && (filter.username === undefined || token.username === filter.username));
    const list = rootList(`tokens(filter: ${JSON.stringify(filter)})`, 'tokens', ', $filter: TokenFilter', ', filter: $filter', { filter }, expected, expectToken, TOKEN_FIELDS);
    await list.window('first:200', { first: 200 });
  }
  const balanceAnswer = await graphql('tokens balance', `{ tokens(first: 120) { edges { node { username balance { seconds totalUsageSeconds lastActivity } } } } }`);
  report.verdict('tokens(first: 120) { balance }', [
    ...describeErrors(balanceAnswer.errors),
    ...diff(data.gateTokens.slice(0, 120).map((token) => ({ node: { username: token.username, balance: expectBalance(token) } })), (balanceAnswer.data?.['tokens'] as Record<string, unknown> | null)?.['edges']),
  ]);

  const extras = rootList('extras', 'extras', '', '', {}, data.gateExtras, expectExtra, EXTRA_FIELDS);
  await extras.window('first:120', { first: 120 });
  await extras.walkForward(300);
  await extras.window('last:25', { last: 25 });
  const bob = data.gateUsers.find((user) => user.username === 'bob')!;
  for (const filter of [{ organizationId: '3103' }, { parent: bob.id }, { organizationId: '3101', parent: bob.id }]) {
    const expected = data.gateExtras.filter((extra) => (filter.organizationId === undefined || extra.organization_id === filter.organizationId) && (filter.parent === undefined || String(extra.parent) === filter.parent));
    const list = rootList(`extras(filter: ${JSON.stringify(filter)})`, 'extras', ', $filter: ExtraFilter', ', filter: $filter', { filter }, expected, expectExtra, EXTRA_FIELDS);
    await list.window('first:200', { first: 200 });
  }
  const linkAnswer = await graphql('extras links', `{ extras(first: 30) { edges { node { gateId user { username gateId } } } } }`);
  report.verdict('extras(first: 30) { user }', [
    ...describeErrors(linkAnswer.errors),
    ...diff(data.gateExtras.slice(0, 30).map((extra) => {
      const owner = data.gateUsers.find((user) => Number(user.id) === extra.parent)!;
      return { node: { gateId: String(extra.id), user: { username: owner.username, gateId: owner.id } } };
    }), (linkAnswer.data?.['extras'] as Record<string, unknown> | null)?.['edges']),
  ]);
}

/** Every id the API hands out finds its object again through node and nodes. */
async function checkNodes(data: Dataset): Promise<void> {
  const username = 'robert.bobson';
  const person = personOf(data, username)!;
  const answer = await graphql('ids', `query($u: String!) { user(username: $u) { id username token { id gateId balance { id seconds } } extra { id gateId devices { id deviceId } } edgeAccount { id edgeId }
    accessTokens(first: 2) { edges { node { id edgeId } } } loginHistory(first: 2) { edges { node { id attemptedAt } } } switchAccount { id userId } } }`, { u: username });
  const user = answer.data?.['user'] as Record<string, any> | null;
  if (!user) {
    report.fail('node/nodes: ids of robert.bobson', [...describeErrors(answer.errors), 'user is null']);
    return;
  }
  const objects: Array<[string, string, Record<string, unknown>]> = [
    [user['id'], 'User', { username }],
    [user['token']?.['id'], 'Token', { gateId: String(person.token!.id) }],
    [user['token']?.['balance']?.['id'], 'Balance', { seconds: Math.floor(person.token!._balance_seconds) }],
    [user['extra']?.['id'], 'Extra', { gateId: String(person.extra!.id) }],
    [user['edgeAccount']?.['id'], 'EdgeUser', { edgeId: person.edge!.id }],
    [user['switchAccount']?.['id'], 'SwitchUser', { userId: person.switchItem!.user_id }],
    ...((user['accessTokens']?.['edges'] ?? []) as Array<{ node: { id: string; edgeId: string } }>).map((edge): [string, string, Record<string, unknown>] => [edge.node.id, 'AccessToken', { edgeId: edge.node.edgeId }]),
    ...((user['loginHistory']?.['edges'] ?? []) as Array<{ node: { id: string; attemptedAt: string } }>).map((edge): [string, string, Record<string, unknown>] => [edge.node.id, 'LoginHistory', { attemptedAt: edge.node.attemptedAt }]),
    ...((user['extra']?.['devices'] ?? []) as Array<{ id: string; deviceId: string }>).map((device): [string, string, Record<string, unknown>] => [device.id, 'Device', { deviceId: device.deviceId }]),
  ];
  const selection = `__typename ... on User { username } ... on Token { gateId } ... on Balance { seconds } ... on Extra { gateId } ... on EdgeUser { edgeId } ... on SwitchUser { userId } ... on AccessToken { edgeId } ... on LoginHistory { attemptedAt } ... on Device { deviceId }`;
  const ids = objects.map(([id]) => id);
  const nodes = await graphql('nodes', `query($ids: [ID!]!) { nodes(ids: $ids) { ${selection} } }`, { ids });
  report.verdict(`nodes(ids:) finds the ${ids.length} objects of robert.bobson again`, [
    ...describeErrors(nodes.errors),
    ...diff(objects.map(([, typename, fields]) => ({ __typename: typename, ...fields })), nodes.data?.['nodes']),
  ]);
  const first = objects[4]!;
  const node = await graphql('node', `query($id: ID!) { node(id: $id) { ${selection} } }`, { id: first[0] });
  report.verdict('node(id:) of an EdgeUser', [...describeErrors(node.errors), ...diff({ __typename: first[1], ...first[2] }, node.data?.['node'])]);
}

// ---------- running it all ----------

const gatewayLog: string[] = [];

/** The gateway as a black box: node src/index.ts, ready once it prints its ready line. */
async function startGateway(name: string, env: Record<string, string | undefined>): Promise<{ url: string; child: ManagedChild }> {
  const [port] = await freePorts(1);
  const child = startChild({
    name,
    command: process.execPath,
    args: ['src/index.ts'],
    cwd: repositoryRoot,
    env: {
      HOST: '127.0.0.1',
      PORT: String(port),
      LOG_LEVEL: process.env['GATEWAY_LOG_LEVEL'] ?? 'warn',
      EDGE_TOKEN: undefined,
      API_KEYS: undefined,
      API_KEYS_FILE: undefined,
      JWT_PUBLIC_KEY: undefined,
      JWT_JWKS_URL: undefined,
      REDIS_URL: undefined,
      RATE_LIMIT_PER_MINUTE: undefined,
      NODE_ENV: undefined,
      AUTH_MODE: undefined,
      ...env,
    },
  });
  child.onOutput((line) => {
    if (gatewayLog.length < 400 && /"level":(40|50|60)/.test(line)) gatewayLog.push(`${name}: ${line}`);
  });
  await child.waitForStdout(readyUrl, 'ready line', 60_000);
  return { url: `http://127.0.0.1:${port}/graphql`, child };
}

async function runSection(name: string, run: () => Promise<void>): Promise<void> {
  console.log(`\n== ${name}`);
  try {
    await run();
  } catch (error) {
    const cause = error instanceof Error && error.cause ? [`cause: ${String((error.cause as Error).message ?? error.cause)}`] : [];
    report.fail(`${name}: the check itself threw`, [...cause, error instanceof Error ? (error.stack ?? error.message) : String(error)]);
  }
}

async function main(): Promise<void> {
  stopChildrenOnExit();
  const data = buildDataset();
  collectSecrets(data);

  const servers = startChild({ name: 'independent-upstreams', command: process.execPath, args: ['bench/independent/main.ts'], cwd: repositoryRoot, env: { SIMULATOR_LATENCY_MS: process.env['INDEP_LATENCY_MS'] ?? '0', INDEP_LOG_WRITES: '1' } });
  const keys = ['GATE_URL', 'GATE_TOKEN', 'EDGE_URL', 'EDGE_USERNAME', 'EDGE_PASSWORD', 'SWITCH_URL', 'SWITCH_TOKEN'] as const;
  const collected: Record<string, string> = {};
  const upstreamEnv = await servers.waitForStdout((line) => {
    const match = /^([A-Z_]+)=(.*)$/.exec(line);
    if (match) collected[match[1] as string] = match[2] as string;
    return keys.every((key) => collected[key] !== undefined) ? { ...collected } : undefined;
  }, 'upstream env lines', 30_000);

  setUpstreamEnv(upstreamEnv);

  const gateway = await startGateway('gateway', { ...upstreamEnv, AUTH_MODE: 'none' });
  setGatewayUrl(gateway.url);
  console.log(`gateway at ${gateway.url}, upstreams ${upstreamEnv['GATE_URL']} ${upstreamEnv['EDGE_URL']} ${upstreamEnv['SWITCH_URL']}`);

  const sections: Array<[string, () => Promise<void>]> = [
    ['users', () => checkUsers(data)],
    ['people', () => checkPeople(data)],
    ['histories and tokens', () => checkHistories(data)],
    ['edge users', () => checkEdgeUsers(data)],
    ['switch users', () => checkSwitch(data)],
    ['gate tokens and extras', () => checkTokensAndExtras(data)],
    ['node and nodes', () => checkNodes(data)],
    ['case variants', () => checkCaseVariants(data)],
  ];
  for (const [name, run] of sections) await runSection(name, run);

  // A client bound to one organization, on a gateway that reaches edge by Token auth.
  const organization = tenantOrganization(data);
  const foreignIds = await outsiderIds(data, organization);
  await runSection(`tenant isolation (API key bound to ${organization}; EDGE_TOKEN)`, async () => {
    const key = randomBytes(24).toString('base64url');
    const apiKeys = JSON.stringify([{ id: 'indep-tenant', sha256: createHash('sha256').update(key).digest('hex'), scopes: ['users:read'], organization }]);
    const tenant = await startGateway('tenant-gateway', {
      GATE_URL: upstreamEnv['GATE_URL'], GATE_TOKEN: upstreamEnv['GATE_TOKEN'], SWITCH_URL: upstreamEnv['SWITCH_URL'], SWITCH_TOKEN: upstreamEnv['SWITCH_TOKEN'],
      EDGE_URL: upstreamEnv['EDGE_URL'], EDGE_USERNAME: undefined, EDGE_PASSWORD: undefined, EDGE_TOKEN: `${data.credentials.edgeUsername}:${data.credentials.edgeAdminToken}`,
      API_KEYS: apiKeys,
    });
    try {
      setGatewayUrl(tenant.url, { 'x-api-key': key });
      const anonymous = await fetch(tenant.url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ query: '{ users(first: 1) { totalCount } }' }) });
      report.verdict('tenant gateway: a request without a key is refused 401', anonymous.status === 401 ? [] : [`status ${anonymous.status}`]);
      await runTenantChecks(data, organization);
      await runTenantNodeChecks(foreignIds, organization);
    } finally {
      await tenant.child.stop();
    }
  });

  await runSection('wrong upstream credentials', async () => {
    const wrong = await startGateway('wrong-credentials-gateway', {
      ...upstreamEnv, AUTH_MODE: 'none', GATE_TOKEN: 'not-the-gate-token', EDGE_PASSWORD: 'not-the-edge-password', SWITCH_TOKEN: 'not-the-switch-token',
      UPSTREAM_RETRIES: '0',
    });
    try {
      setGatewayUrl(wrong.url);
      await runCredentialChecks(['Invalid token.', 'Invalid username/password.', 'Incorrect token provided']);
    } finally {
      await wrong.child.stop();
    }
  });

  setGatewayUrl(gateway.url);
  if (gateway.child.hasExited) {
    report.fail('the gateway kept running through the checks', [`it exited; its last lines:`, ...gateway.child.outputTail().split('\n')]);
  }
  const writes: string[] = [];
  servers.onOutput((line, stream) => {
    if (stream === 'stderr' && writes.length < 200) writes.push(line);
  });
  await runSection('mutations (on new people only)', () => runMutationChecks(data));
  if (process.env['SHOW_WRITES'] === '1' || results.failed.some((name) => /extra|user|token|balance|provision/i.test(name))) {
    console.log(`\nwrites the upstreams received during the mutations (${writes.length}):`);
    for (const line of writes) console.log(`  ${line.slice(0, 400)}`);
  }

  console.log('\n== secrets');
  report.verdict(`no secret in any of ${answersScannedCount()} gateway answers`, [...new Set(leaks)]);

  if (gatewayLog.length > 0) {
    console.log(`\ngateway warnings/errors (${gatewayLog.length}, first 8):`);
    for (const line of gatewayLog.slice(0, 8)) console.log(`  ${line.slice(0, 400)}`);
  }
  console.log(`\nSUMMARY: ${results.passed} passed, ${results.failed.length} failed`);
  for (const name of results.failed) console.log(`  FAIL ${name}`);
  await stopAllChildren();
  process.exit(results.failed.length > 0 ? 1 : 0);
}

await main();
