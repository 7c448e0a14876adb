// The gateway in two other configurations, against the same independent upstreams:
// - a client bound to one organization by an API key (README "Tenant isolation"), with edge
//   reached by `Authorization: Token user:token` (EDGE_TOKEN) instead of Basic;
// - wrong credentials for all three upstreams (switch answers its code 120 with HTTP 200).
import { describeErrors, graphql, report, type Answer } from './client.ts';
import type { Dataset } from './dataset.ts';
import {
  diff,
  EDGE_USER_FIELDS,
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
  SWITCH_FIELDS,
  USER_FIELDS,
} from './expect.ts';
import { selectSwitchItems } from './switch.ts';

type Json = Record<string, any>;

/** Token fields without `token`, which needs the tokens:secret scope. */
const TOKEN_FIELDS_NO_SECRET = 'gateId username email organization isActive accessLevel maxSessions createdAt lastLogin updatedAt';
function expectTokenNoSecret(token: Parameters<typeof expectToken>[0]): Json {
  const { token: _secret, ...rest } = expectToken(token);
  return rest;
}

/** The organization with the most user tokens filed elsewhere than their user: the sharpest test. */
export function tenantOrganization(data: Dataset): string {
  const organizationOf = new Map(data.gateUsers.map((user) => [user.username, user.organization]));
  const crossings = new Map<string, number>();
  for (const token of data.gateTokens) {
    const home = organizationOf.get(token.username);
    if (home !== undefined && home !== token.organization) {
      crossings.set(token.organization, (crossings.get(token.organization) ?? 0) + 1);
      crossings.set(home, (crossings.get(home) ?? 0) + 1);
    }
  }
  return [...crossings.entries()].sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1))[0]?.[0] ?? 'globex';
}

function connectionOf(answer: Answer, field: string): Json | null | undefined {
  return answer.data?.[field] as Json | null | undefined;
}

async function listCheck(label: string, field: string, args: string, fields: string, expected: Json[], window: { first?: number; last?: number }): Promise<void> {
  const answer = await graphql(label, `{ list: ${field}(${args}) { totalCount pageInfo { hasNextPage hasPreviousPage } edges { node { ${fields} } } } }`);
  const got = connectionOf(answer, 'list');
  const want = relayWindow(expected, window);
  report.verdict(label, [
    ...describeErrors(answer.errors),
    ...diff({ totalCount: expected.length, pageInfo: { hasNextPage: want.hasNextPage, hasPreviousPage: want.hasPreviousPage }, edges: want.items.map((node) => ({ node })) }, got),
  ]);
}

export async function runTenantChecks(data: Dataset, organization: string): Promise<void> {
  const members = data.gateUsers.filter((user) => user.organization === organization);
  const memberNames = new Set(members.map((user) => user.username));
  const memberIds = new Set(members.map((user) => Number(user.id)));
  const outsider = data.gateUsers.find((user) => user.organization !== organization && personOf(data, user.username)?.edge && personOf(data, user.username)?.switchItem)!;
  console.log(`(bound to organization ${organization}: ${members.length} people)`);

  await listCheck(`tenant ${organization}: users(first: 500)`, 'users', 'first: 500', USER_FIELDS, members.map(expectUser), { first: 500 });
  await listCheck(`tenant ${organization}: users(last: 7)`, 'users', 'last: 7', USER_FIELDS, members.map(expectUser), { last: 7 });
  await listCheck(`tenant ${organization}: users(filter: {organization: ${outsider.organization}}) is empty`, 'users', `first: 10, filter: { organization: ${JSON.stringify(outsider.organization)} }`, USER_FIELDS, [], { first: 10 });

  const tokens = data.gateTokens.filter((token) => token.organization === organization);
  await listCheck(`tenant ${organization}: tokens(first: 500) are those filed under it`, 'tokens', 'first: 500', TOKEN_FIELDS_NO_SECRET, tokens.map(expectTokenNoSecret), { first: 500 });
  const tokenLinks = await graphql('tenant token links', `{ tokens(first: 500) { edges { node { username user { username } } } } }`);
  report.verdict(`tenant ${organization}: Token.user is null where the token's user is in another organization`, [
    ...describeErrors(tokenLinks.errors),
    ...diff(tokens.map((token) => ({ node: { username: token.username, user: memberNames.has(token.username) ? { username: token.username } : null } })), connectionOf(tokenLinks, 'tokens')?.['edges']),
  ]);

  const extras = data.gateExtras.filter((extra) => memberIds.has(extra.parent));
  await listCheck(`tenant ${organization}: extras(first: 500) of its people`, 'extras', 'first: 500', EXTRA_FIELDS, extras.map(expectExtra), { first: 500 });

  const accounts = data.edgeUsers.filter((account) => memberNames.has(account.username));
  await listCheck(`tenant ${organization}: edgeUsers(first: 500) of its people (Token auth to edge)`, 'edgeUsers', 'first: 500', EDGE_USER_FIELDS, accounts.map(expectEdgeUser), { first: 500 });
  await listCheck(`tenant ${organization}: edgeUsers(last: 30)`, 'edgeUsers', 'last: 30', EDGE_USER_FIELDS, accounts.map(expectEdgeUser), { last: 30 });
  const fuzzy = accounts.filter((account) => account.username.toLowerCase().includes('an'));
  await listCheck(`tenant ${organization}: edgeUsers(filter: {usernameContains: "an"})`, 'edgeUsers', 'first: 100, filter: { usernameContains: "an" }', EDGE_USER_FIELDS, fuzzy.map(expectEdgeUser), { first: 100 });

  const items = selectSwitchItems(data.switchItems, { orderBy: 'user_id', descending: false }).filter((item) => memberNames.has(item.name));
  await listCheck(`tenant ${organization}: switchUsers(first: 500) of its people`, 'switchUsers', 'first: 500', SWITCH_FIELDS, items.map(expectSwitchUser), { first: 500 });
  const byName = selectSwitchItems(data.switchItems, { orderBy: 'name', descending: true }).filter((item) => memberNames.has(item.name));
  await listCheck(`tenant ${organization}: switchUsers(first: 25, orderBy: NAME DESC)`, 'switchUsers', 'first: 25, orderBy: { field: NAME, direction: DESC }', SWITCH_FIELDS, byName.map(expectSwitchUser), { first: 25 });

  // One of its own people, every relation; a token filed elsewhere is as if it did not exist.
  const crossing = members.find((user) => {
    const token = data.gateTokens.find((candidate) => candidate.username === user.username);
    return token && token.organization !== organization;
  });
  for (const user of [members[0]!, ...(crossing ? [crossing] : [])]) {
    const person = personOf(data, user.username)!;
    const token = person.token && person.token.organization === organization ? person.token : undefined;
    const history = person.edge ? (data.edgeHistory.get(person.edge.id) ?? []) : [];
    const answer = await graphql('tenant person', `query($u: String!) { user(username: $u) { ${USER_FIELDS} token { ${TOKEN_FIELDS_NO_SECRET} } extra { gateId } edgeAccount { edgeId } loginHistory(first: 3) { totalCount edges { node { ${LOGIN_FIELDS} } } } switchAccount { userId } } }`, { u: user.username });
    report.verdict(`tenant ${organization}: user(${JSON.stringify(user.username)})${token === person.token ? '' : ' (its token is filed under another organization: null)'}`, [
      ...describeErrors(answer.errors),
      ...diff({
        ...expectUser(user),
        token: token ? expectTokenNoSecret(token) : null,
        extra: person.extra ? { gateId: String(person.extra.id) } : null,
        edgeAccount: person.edge ? { edgeId: person.edge.id } : null,
        loginHistory: { totalCount: history.length, edges: history.slice(0, 3).map((login) => ({ node: expectLogin(login) })) },
        switchAccount: person.switchItem ? { userId: person.switchItem.user_id } : null,
      }, answer.data?.['user']),
    ]);
  }

  // Someone else's person, and their objects by id (ids made by an admin gateway are the same).
  const other = await graphql('tenant outsider', `query($u: String!) { user(username: $u) { username } }`, { u: outsider.username });
  report.verdict(`tenant ${organization}: user(${JSON.stringify(outsider.username)}) of ${outsider.organization} is null, without FORBIDDEN`, [
    ...describeErrors(other.errors),
    ...diff(null, other.data?.['user']),
  ]);

  const secret = await graphql('tenant token secret', `query($u: String!) { user(username: $u) { token { username token } } }`, { u: members.find((user) => personOf(data, user.username)?.token?.organization === organization)!.username });
  const forbidden = secret.errors.some((error) => error.extensions?.code === 'FORBIDDEN');
  const tokenValue = ((secret.data?.['user'] as Json | null)?.['token'] as Json | null)?.['token'];
  report.verdict(`tenant ${organization}: Token.token without tokens:secret is null with FORBIDDEN`, forbidden && tokenValue === null ? [] : [`got ${secret.text.slice(0, 300)}`]);
}

export interface AdminIds {
  /** global ids an admin gateway handed out for objects of another organization than the tenant's */
  outsiderIds: string[];
}

export async function runTenantNodeChecks(ids: string[], organization: string): Promise<void> {
  const answer = await graphql('tenant nodes', `query($ids: [ID!]!) { nodes(ids: $ids) { __typename } }`, { ids });
  report.verdict(`tenant ${organization}: nodes(ids:) of another organization's ${ids.length} objects are all null`, [
    ...describeErrors(answer.errors),
    ...diff(ids.map(() => null), answer.data?.['nodes']),
  ]);
}

/** Ids of one outsider's objects, asked of the admin gateway. */
export async function outsiderIds(data: Dataset, organization: string): Promise<string[]> {
  const outsider = data.gateUsers.find((user) => user.organization !== organization && personOf(data, user.username)?.edge && personOf(data, user.username)?.switchItem && personOf(data, user.username)?.extra)!;
  const answer = await graphql('outsider ids', `query($u: String!) { user(username: $u) { id extra { id } edgeAccount { id } switchAccount { id } loginHistory(first: 1) { edges { node { id } } } } }`, { u: outsider.username });
  const user = answer.data?.['user'] as Json | null;
  if (!user) return [];
  return [user['id'], user['extra']?.['id'], user['edgeAccount']?.['id'], user['switchAccount']?.['id'], user['loginHistory']?.['edges']?.[0]?.['node']?.['id']].filter((id): id is string => typeof id === 'string');
}

/** Every upstream refuses the gateway's credentials: each root field fails on its own, with the gateway's words. */
export async function runCredentialChecks(upstreamMessages: string[]): Promise<void> {
  const cases: Array<[string, string, string]> = [
    ['gate', 'users', '{ users(first: 1) { totalCount } }'],
    ['edge', 'edgeUsers', '{ edgeUsers(first: 1) { totalCount } }'],
    ['switch', 'switchUsers', '{ switchUsers(first: 1) { totalCount } }'],
  ];
  for (const [upstream, field, query] of cases) {
    const answer = await graphql(`${upstream} wrong credentials`, query);
    const error = answer.errors.find((candidate) => candidate.path?.[0] === field);
    const leaked = upstreamMessages.filter((message) => answer.text.includes(message));
    report.verdict(`wrong ${upstream} credentials: ${field} is null with UPSTREAM_UNAUTHENTICATED (upstream ${upstream})${upstream === 'switch' ? ', though switch answered HTTP 200 with success:false, code 120' : ''}`, [
      ...diff(null, answer.data?.[field], `$.${field}`),
      ...diff({ code: 'UPSTREAM_UNAUTHENTICATED', upstream }, { code: error?.extensions?.code, upstream: error?.extensions?.['upstream'] }, '$.errors[0].extensions'),
      ...leaked.map((message) => `the upstream's own message is in the answer: ${JSON.stringify(message)}`),
    ]);
  }
  const mixed = await graphql('mixed', '{ users(first: 1) { totalCount } switchUsers(first: 1) { totalCount } }');
  report.verdict('wrong credentials: two failing roots answer two errors, one each', diff(['switchUsers', 'users'], mixed.errors.map((error) => String(error.path?.[0])).sort()));
}
