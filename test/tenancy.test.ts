import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { harnessPerTest, startHarness, type Harness } from './support/harness.ts';
import { apiKey } from './support/credentials.ts';
import { present } from './support/expect.ts';

/**
 * Tenant isolation: a client bound to an organization sees and changes only that organization's
 * people, by every path; everything of another organization looks exactly as if it did not exist.
 * Each probe of another organization's identifier is compared with the same probe of an
 * identifier that exists nowhere: the two answers must be the same, byte for byte.
 */

type Json = Record<string, any>;

const acme = apiKey('acme-ops', ['users:read', 'users:write'], 'acme');
const umbrella = apiKey('umbrella-ops', ['users:read', 'users:write'], 'umbrella');
const admin = apiKey('admin', ['users:read', 'users:write', 'admin']);

const headersOf = (client: { key: string }) => ({ 'x-api-key': client.key });
const globalId = (typename: string, id: string | number) => Buffer.from(`${typename}:${id}`).toString('base64url');

let harness: Harness;
beforeAll(async () => {
  harness = await startHarness({ env: { API_KEYS: JSON.stringify([acme.entry, umbrella.entry, admin.entry]) } });
});
afterAll(() => harness.close());

async function ask(client: { key: string }, query: string, variables: Json = {}): Promise<Json> {
  return (await harness.execute(query, variables, headersOf(client))) as Json;
}

async function dataFor(client: { key: string }, query: string, variables: Json = {}): Promise<Json> {
  const result = await ask(client, query, variables);
  expect(result['errors'], JSON.stringify(result['errors'])).toBeUndefined();
  return present(result['data']);
}

const dataset = () => harness.simulators.dataset;
const organizationOf = (username: string) => dataset().gateUsers.find((user) => user.username === username)?.organization ?? null;
const membersOf = (organization: string) => new Set(dataset().gateUsers.filter((user) => user.organization === organization).map((user) => user.username));

describe('lists: counts, cursors and items are the organization’s own', () => {
  it('filters gate users, user tokens and user extras, with totalCount over the organization only', async () => {
    const members = membersOf('acme');
    const memberIds = new Set(dataset().gateUsers.filter((user) => user.organization === 'acme').map((user) => Number(user.id)));
    const data = await dataFor(
      acme,
      `{
        users(first: 200) { totalCount edges { node { username organization } } }
        tokens(first: 200) { totalCount edges { node { username organization } } }
        extras(first: 200) { totalCount edges { node { gateId user { username organization } } } }
        foreignUsers: users(first: 5, filter: { organization: "umbrella" }) { totalCount edges { cursor } }
        foreignTokens: tokens(first: 5, filter: { organization: "umbrella" }) { totalCount edges { cursor } }
      }`,
    );
    expect(data['users'].totalCount).toBe(members.size);
    expect(new Set(data['users'].edges.map((edge: Json) => edge.node.username))).toEqual(members);
    const tokens = dataset().userTokens.filter((token) => token.organization === 'acme');
    expect(data['tokens'].totalCount).toBe(tokens.length);
    expect(data['tokens'].edges.every((edge: Json) => edge.node.organization === 'acme')).toBe(true);
    const extras = dataset().userExtras.filter((extra) => memberIds.has(extra.parent));
    expect(data['extras'].totalCount).toBe(extras.length);
    expect(new Set(data['extras'].edges.map((edge: Json) => Number(edge.node.gateId)))).toEqual(new Set(extras.map((extra) => extra.id)));
    expect(data['extras'].edges.every((edge: Json) => edge.node.user.organization === 'acme')).toBe(true);
    expect(data['foreignUsers']).toEqual({ totalCount: 0, edges: [] });
    expect(data['foreignTokens']).toEqual({ totalCount: 0, edges: [] });
  });

  it('filters edge and switch accounts by the organization of the gate user of the same username, paging over the filtered list', async () => {
    const members = membersOf('acme');
    const edgeAccounts = dataset().edgeUsers.filter((user) => members.has(user.username)).map((user) => user.username);
    const switchAccounts = dataset().switchUsers.filter((user) => members.has(user.name)).map((user) => user.name);
    expect(edgeAccounts.length).toBeGreaterThan(50);
    // Accounts with no gate user at all are admin's only.
    expect(dataset().edgeUsers.some((user) => organizationOf(user.username) === null)).toBe(true);

    const seen: { edge: string[]; switch: string[] } = { edge: [], switch: [] };
    const totals = new Set<number>();
    for (const [field, name, kept] of [['edgeUsers', 'username', seen.edge], ['switchUsers', 'name', seen.switch]] as const) {
      let after: string | null = null;
      do {
        const page: Json = (await dataFor(acme, `query ($after: String) { list: ${field}(first: 20, after: $after) { totalCount pageInfo { hasNextPage endCursor } edges { node { ${name} } } } }`, { after }))['list'];
        totals.add(page['totalCount']);
        kept.push(...page['edges'].map((edge: Json) => edge.node[name]));
        after = page['pageInfo'].hasNextPage ? page['pageInfo'].endCursor : null;
      } while (after);
    }
    expect(seen.edge).toEqual(edgeAccounts);
    expect(totals).toEqual(new Set([edgeAccounts.length, switchAccounts.length]));
    expect([...seen.switch].sort()).toEqual([...switchAccounts].sort());

    const backwards = (await dataFor(acme, '{ edgeUsers(last: 3) { totalCount edges { node { username } } } }'))['edgeUsers'];
    expect(backwards.edges.map((edge: Json) => edge.node.username)).toEqual(edgeAccounts.slice(-3));
  });

  it('lets admin see every organization and the accounts that have no gate user', async () => {
    const data = await dataFor(admin, '{ users(first: 1) { totalCount } edgeUsers(first: 1) { totalCount } switchUsers(first: 1) { totalCount } }');
    expect(data['users'].totalCount).toBe(dataset().gateUsers.length);
    expect(data['edgeUsers'].totalCount).toBe(dataset().edgeUsers.length);
    expect(data['switchUsers'].totalCount).toBe(dataset().switchUsers.length);
  });
});

/** Everything of one person, as admin reads it: the identifiers another organization will try. */
async function identifiersOf(username: string) {
  const data = await dataFor(
    admin,
    `query ($username: String!) { user(username: $username) {
      id gateId email
      token { id gateId balance { id } }
      extra { id gateId devices { id } }
      edgeAccount { id edgeId accessTokens(first: 5) { edges { node { id } } } loginHistory(first: 2) { edges { node { id } } } }
      switchAccount { id userId }
    } }`,
    { username },
  );
  const user = present(data['user']);
  const edgeAccount = present(user.edgeAccount);
  return {
    username,
    email: user.email as string,
    gateId: user.gateId as string,
    edgeId: edgeAccount.edgeId as string,
    extraGateId: present(user.extra).gateId as string,
    accessTokenId: present(edgeAccount.accessTokens.edges[0]).node.id as string,
    switchUserId: present(user.switchAccount).userId as number,
    nodeIds: [
      user.id,
      present(user.token).id,
      present(user.token).balance.id,
      user.extra.id,
      ...user.extra.devices.map((device: Json) => device.id),
      edgeAccount.id,
      ...edgeAccount.accessTokens.edges.map((edge: Json) => edge.node.id),
      ...edgeAccount.loginHistory.edges.map((edge: Json) => edge.node.id),
      present(user.switchAccount).id,
    ] as string[],
  };
}

type Identifiers = Awaited<ReturnType<typeof identifiersOf>>;

/** Identifiers of the same shapes as `target`'s that name nothing on any upstream. */
function nobodyLike(target: Identifiers): Identifiers {
  const typenameOf = (id: string) => Buffer.from(id, 'base64url').toString().split(':')[0];
  const byTypename = new Map(NOBODY.nodeIds.map((id) => [typenameOf(id), id]));
  return { ...NOBODY, nodeIds: target.nodeIds.map((id) => present(byTypename.get(typenameOf(id)))) };
}

const NOBODY: Identifiers = {
  username: 'no.such.person',
  email: 'no.such.person@example.com',
  gateId: '987654',
  edgeId: 'no-such-edge-id',
  extraGateId: '987654',
  switchUserId: 987654,
  accessTokenId: globalId('AccessToken', 'no-such-edge-id/no-such-token'),
  nodeIds: [
    globalId('User', 'no.such.person'),
    globalId('Token', '987654'),
    globalId('Balance', '987654'),
    globalId('Extra', '987654'),
    globalId('Device', '987654/DEV-9999'),
    globalId('EdgeUser', 'no-such-edge-id'),
    globalId('AccessToken', 'no-such-edge-id/no-such-token'),
    globalId('LoginHistory', `no-such-edge-id/${encodeURIComponent('2024-01-01T00:00:00.000Z')}/0`),
    globalId('SwitchUser', '987654'),
  ],
};

/** Every read that takes an identifier: root fields, filters, node and nodes, with the relations below. */
const READS: { name: string; query: string; variables: (target: Identifiers) => Json }[] = [
  {
    name: 'user(username) and its relations',
    query: `query ($username: String!) { user(username: $username) { username email token { token username } extra { gateId } edgeAccount { edgeId } switchAccount { name } balance { seconds } accessTokens(first: 3) { totalCount } loginHistory(first: 3) { totalCount } } }`,
    variables: ({ username }) => ({ username }),
  },
  {
    name: 'list filters by username, parent and name',
    query: `query ($username: String!, $parent: ID!, $switchUserId: Int!) {
      users(first: 5, filter: { username: $username }) { totalCount edges { cursor node { email } } }
      tokens(first: 5, filter: { username: $username }) { totalCount edges { cursor node { email } } }
      extras(first: 5, filter: { parent: $parent }) { totalCount edges { cursor node { gateId } } }
      edgeUsers(first: 5, filter: { usernameContains: $username }) { totalCount edges { cursor node { email } } }
      switchUsers(first: 5, filter: { nameContains: $username }) { totalCount edges { cursor node { email } } }
      byIds: switchUsers(first: 5, filter: { userIds: [$switchUserId] }) { totalCount edges { cursor node { email } } }
    }`,
    variables: ({ username, gateId, switchUserId }) => ({ username, parent: gateId, switchUserId }),
  },
  {
    name: 'node, for each kind of record',
    query: `query ($ids: [ID!]!) { nodes(ids: $ids) { id __typename } }`,
    variables: ({ nodeIds }) => ({ ids: nodeIds }),
  },
  {
    name: 'node, one by one',
    query: `query ($id: ID!) { node(id: $id) { id ... on EdgeUser { accessTokens(first: 2) { totalCount } loginHistory(first: 2) { totalCount } } } }`,
    variables: ({ nodeIds }) => ({ id: nodeIds[5] }),
  },
];

/** Every mutation that takes an identifier, or files a record under an organization. */
const WRITES: { name: string; field: string; input: (target: Identifiers) => Json }[] = [
  { name: 'updateUser', field: 'updateUser', input: ({ username }) => ({ username, changes: { firstName: 'Mallory' } }) },
  { name: 'updateUser by gateId', field: 'updateUser', input: ({ gateId }) => ({ gateId, changes: { firstName: 'Mallory' } }) },
  { name: 'replaceUser', field: 'replaceUser', input: ({ username }) => ({ username, user: { username, email: 'mallory@example.com' } }) },
  { name: 'deleteUser', field: 'deleteUser', input: ({ username }) => ({ username }) },
  { name: 'updateToken', field: 'updateToken', input: ({ username }) => ({ username, changes: { maxSessions: 5 } }) },
  { name: 'deleteToken', field: 'deleteToken', input: ({ username }) => ({ username }) },
  { name: 'setBalance', field: 'setBalance', input: ({ username }) => ({ username, seconds: 1 }) },
  { name: 'addBalance', field: 'addBalance', input: ({ username }) => ({ username, seconds: 3600, idempotencyKey: `steal-${username}` }) },
  { name: 'createExtra', field: 'createExtra', input: ({ username }) => ({ username, preferences: { stolen: true } }) },
  { name: 'createExtra by parent', field: 'createExtra', input: ({ gateId }) => ({ parent: gateId, preferences: { stolen: true } }) },
  { name: 'updateExtra', field: 'updateExtra', input: ({ extraGateId }) => ({ gateId: extraGateId, changes: { preferences: { stolen: true } } }) },
  { name: 'updateExtra by username', field: 'updateExtra', input: ({ username }) => ({ username, changes: { preferences: { stolen: true } } }) },
  { name: 'replaceExtra', field: 'replaceExtra', input: ({ extraGateId }) => ({ gateId: extraGateId, extra: { preferences: {} } }) },
  { name: 'deleteExtra', field: 'deleteExtra', input: ({ extraGateId }) => ({ gateId: extraGateId }) },
  { name: 'updateEdgeUser', field: 'updateEdgeUser', input: ({ username }) => ({ username, changes: { firstName: 'Mallory' } }) },
  { name: 'updateEdgeUser by edgeId', field: 'updateEdgeUser', input: ({ edgeId }) => ({ edgeId, changes: { firstName: 'Mallory' } }) },
  { name: 'deleteEdgeUser', field: 'deleteEdgeUser', input: ({ edgeId }) => ({ edgeId }) },
  { name: 'createAccessToken', field: 'createAccessToken', input: ({ username }) => ({ username, title: 'backdoor' }) },
  { name: 'createAccessToken by edgeId', field: 'createAccessToken', input: ({ edgeId }) => ({ edgeId, title: 'backdoor' }) },
  { name: 'revokeAccessToken', field: 'revokeAccessToken', input: ({ accessTokenId }) => ({ id: accessTokenId }) },
  { name: 'deleteAccessToken', field: 'deleteAccessToken', input: ({ accessTokenId }) => ({ id: accessTokenId }) },
  { name: 'deprovisionUser', field: 'deprovisionUser', input: ({ username }) => ({ username }) },
];

const FAILURE = '__typename ... on Error { message } ... on ValidationError { fieldErrors { field message } }';

function mutation(field: string): string {
  const inputType = `${field.charAt(0).toUpperCase()}${field.slice(1)}Input`;
  return `mutation ($input: ${inputType}!) { result: ${field}(input: $input) { ${FAILURE} } }`;
}

/** An answer with the identifiers it was asked about put back to placeholders, to compare two answers. */
function normalized(answer: Json, target: Identifiers): string {
  let text = JSON.stringify(answer);
  for (const [name, value] of Object.entries(target)) {
    if (typeof value === 'string') text = text.replaceAll(value, `<${name}>`);
  }
  return text;
}

/** What of a person the simulators hold, to see that nothing of it changed. */
function recordsOf(username: string): string {
  const data = dataset();
  const user = data.gateUsers.find((candidate) => candidate.username === username);
  return JSON.stringify([
    user,
    data.userTokens.find((token) => token.username === username),
    data.userExtras.find((extra) => String(extra.parent) === user?.id),
    data.edgeUsers.find((account) => account.username === username),
  ]);
}

describe.each([
  { attacker: acme, attackerOrganization: 'acme', victim: 'grace.hopper', victimOrganization: 'umbrella' },
  { attacker: umbrella, attackerOrganization: 'umbrella', victim: 'bob', victimOrganization: 'acme' },
])('$attackerOrganization trying $victim of $victimOrganization', ({ attacker, attackerOrganization, victim, victimOrganization }) => {
  let target: Identifiers;
  let before: string;
  beforeAll(async () => {
    expect(organizationOf(victim)).toBe(victimOrganization);
    // Every kind of record, an access token and a device included, for the sweep to try.
    const edgeId = dataset().edgeUsers.find((account) => account.username === victim)?.id;
    await dataFor(admin, 'mutation ($input: CreateAccessTokenInput!) { createAccessToken(input: $input) { __typename } }', { input: { edgeId, title: 'seen by admin' } });
    target = await identifiersOf(victim);
    before = recordsOf(victim);
  });

  it.each(READS)('reads: $name answer as for no one at all', async ({ query, variables }) => {
    harness.simulators.resetRequests();
    const answer = await ask(attacker, query, variables(target));
    const nobody = await ask(attacker, query, variables(nobodyLike(target)));
    expect(normalized(answer, target)).toBe(normalized(nobody, nobodyLike(target)));
    expect(answer['errors']).toBeUndefined();
    const text = JSON.stringify(answer);
    for (const distinct of [target.email, target.edgeId, ...target.nodeIds]) expect(text).not.toContain(distinct);
    // The other organization's people are not there: the lookups found no one to show.
    expect(JSON.stringify(answer['data'])).not.toMatch(/"totalCount":[1-9]/);
  });

  it.each(WRITES)('writes: $name is NotFoundError, as for no one at all, and writes nothing', async ({ field, input }) => {
    harness.simulators.resetRequests();
    const answer = await ask(attacker, mutation(field), { input: input(target) });
    const writes = harness.requests().filter((request) => request.method !== 'GET');
    const nobody = await ask(attacker, mutation(field), { input: input(NOBODY) });
    expect(answer['data']?.result.__typename).toBe('NotFoundError');
    expect(normalized(answer, target)).toBe(normalized(nobody, NOBODY));
    expect(writes).toEqual([]);
  });

  it('creates people only in its own organization: another is a ValidationError naming the field', async () => {
    harness.simulators.resetRequests();
    const fresh = `${attackerOrganization}.newcomer`;
    const refusals: [string, Json, string][] = [
      ['createUser', { username: fresh, email: `${fresh}@example.com`, password: 'long-enough-1', organization: victimOrganization }, 'organization'],
      ['createToken', { username: fresh, email: `${fresh}@example.com`, organization: victimOrganization }, 'organization'],
      ['createToken', { username: victim, email: 'x@example.com', organization: attackerOrganization }, 'username'],
      ['createEdgeUser', { username: victim, password: 'long-enough-1', firstName: 'M', lastName: 'M', email: 'm@example.com' }, 'username'],
      ['provisionUser', { idempotencyKey: `foreign-${fresh}`, username: fresh, email: `${fresh}@example.com`, password: 'long-enough-1', organization: victimOrganization }, 'organization'],
      ['updateUser', { username: attackerOrganization === 'acme' ? 'bob' : 'grace.hopper', changes: { organization: victimOrganization } }, 'changes.organization'],
      ['updateToken', { username: attackerOrganization === 'acme' ? 'bob' : 'grace.hopper', changes: { organization: victimOrganization } }, 'changes.organization'],
    ];
    for (const [field, input, named] of refusals) {
      const { data } = await ask(attacker, mutation(field), { input });
      expect(data?.result.__typename, field).toBe('ValidationError');
      expect(data?.result.fieldErrors.map((problem: Json) => problem.field), field).toEqual([named]);
    }
    expect(harness.requests().filter((request) => request.method !== 'GET')).toEqual([]);
  });

  it('left every record of the other organization as it was', () => {
    expect(recordsOf(victim)).toBe(before);
  });
});

describe('an organization-bound writer in its own organization', () => {
  it('files a new person under its organization when none is named, and changes its own people', async () => {
    const created = await dataFor(
      acme,
      `mutation { createUser(input: { username: "acme.newhire", email: "newhire@acme.com", password: "long-enough-1" }) { ... on CreateUserPayload { user { organization } } } }`,
    );
    expect(created['createUser'].user.organization).toBe('acme');
    const changed = await dataFor(acme, `mutation { updateUser(input: { username: "acme.newhire", changes: { firstName: "Newt" } }) { __typename ... on UpdateUserPayload { user { firstName } } } }`);
    expect(changed['updateUser']).toEqual({ __typename: 'UpdateUserPayload', user: { firstName: 'Newt' } });
    const seen = await dataFor(umbrella, '{ user(username: "acme.newhire") { username } }');
    expect(seen['user']).toBeNull();
  });

  it('keeps its idempotency keys to itself: another client with the same key runs anew', async () => {
    const add = 'mutation ($input: AddBalanceInput!) { addBalance(input: $input) { ... on BalancePayload { balance { seconds } } } }';
    const start = present(dataset().userTokens.find((token) => token.username === 'bob')).balance_seconds;
    const input = { username: 'bob', seconds: 60, idempotencyKey: 'shared-key-1' };
    const first = await dataFor(acme, add, { input });
    const second = await dataFor(admin, add, { input });
    expect(first['addBalance'].balance.seconds).toBe(start + 60);
    expect(second['addBalance'].balance.seconds).toBe(start + 120);
    expect(harness.audit.at(-1)).toMatchObject({ who: 'apikey:admin', replayed: false });
  });
});

describe('when gate lets others through, or a list is too long to filter', () => {
  const start = harnessPerTest();
  const keys = { API_KEYS: JSON.stringify([acme.entry]) };

  it('checks every record again: a gate that ignores `organization` still gives the organization’s own list and counts', async () => {
    const lax = await start({ env: keys, reshape: { gate: { query: (query) => query.delete('organization') } } });
    const members = new Set(lax.simulators.dataset.gateUsers.filter((user) => user.organization === 'acme').map((user) => user.username));
    const first = await lax.execute('{ users(first: 120) { pageInfo { endCursor } } }', {}, headersOf(acme));
    const after = (present(first.data) as Json)['users'].pageInfo.endCursor;
    const query = 'query ($after: String) { users(first: 20, after: $after) { totalCount edges { node { username organization } } } tokens(first: 3) { totalCount } }';
    const answer = await lax.execute(query, { after }, headersOf(acme));
    expect(answer.errors).toBeUndefined();
    const data = present(answer.data) as Json;
    expect(data['users'].totalCount).toBe(members.size);
    expect(data['users'].edges).toHaveLength(members.size - 120);
    expect(data['users'].edges.every((edge: Json) => edge.node.organization === 'acme')).toBe(true);
    expect(data['tokens'].totalCount).toBe(lax.simulators.dataset.userTokens.filter((token) => token.organization === 'acme').length);
  });

  it('refuses a list longer than TENANT_SCAN_MAX_ITEMS without saying how long it is', async () => {
    const short = await start({ env: { ...keys, TENANT_SCAN_MAX_ITEMS: '100' } });
    const answer = await short.execute('{ switchUsers(first: 5) { totalCount } users(first: 2) { totalCount } }', {}, headersOf(acme));
    expect(answer.data).toEqual({ switchUsers: null, users: { totalCount: 130 } });
    expect(answer.errors?.map((error) => error.extensions?.['code'])).toEqual(['UPSTREAM_LIST_TOO_LONG']);
    expect(answer.errors?.[0]?.message).toMatch(/TENANT_SCAN_MAX_ITEMS/);
    expect(answer.errors?.[0]?.message).not.toMatch(/\b3\d\d\b/);
  });

  it('costs the organization’s user list, read once per request, plus the upstream list it filters', async () => {
    const counted = await start({ env: keys });
    counted.simulators.resetRequests();
    const answer = await counted.execute('{ edgeUsers(first: 5) { totalCount } switchUsers(first: 5) { totalCount } }', {}, headersOf(acme));
    expect(answer.errors).toBeUndefined();
    const paths = counted.requests().map((request) => request.path);
    // acme's 130 gate users in two pages of 100, shared by both lists; every edge page (Link headers), every switch page.
    expect(paths.filter((path) => path.endsWith('/user/'))).toHaveLength(2);
    expect(paths.filter((path) => path.includes('/user/list')).length).toBe(Math.ceil(counted.simulators.dataset.switchUsers.length / 100));
  });

  it('narrows user extras at gate by the number it files the organization under, once learned, checking each parent still', async () => {
    const fresh = await start({ env: keys });
    const acmeIds = new Set(fresh.simulators.dataset.gateUsers.filter((user) => user.organization === 'acme').map((user) => Number(user.id)));
    const expected = fresh.simulators.dataset.userExtras.filter((extra) => acmeIds.has(extra.parent)).length;
    const extrasQueries = () => fresh.requests().filter((request) => request.path.endsWith('/user_extra/')).map((request) => request.query.get('parent__organization_id'));
    for (const round of ['learns', 'narrows']) {
      fresh.simulators.resetRequests();
      const answer = await fresh.execute('{ extras(first: 3) { totalCount } }', {}, headersOf(acme));
      expect(answer.data, round).toEqual({ extras: { totalCount: expected } });
      if (round === 'learns') expect(extrasQueries().every((number) => number === null)).toBe(true);
      else expect(extrasQueries()).toEqual(Array.from({ length: Math.ceil(expected / 100) }, () => '1001'));
    }
  });
});
