// Organizations: the ones gate has members of, what an organization's members hold (balances,
// access tokens, switch sessions), tenancy, and provisioning into a new organization only on purpose.
import { parse } from 'graphql';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { schema } from '../src/schema/index.ts';
import { estimateUpstreamCalls } from '../src/server/query-cost.ts';
import { apiKey } from './support/credentials.ts';
import { present } from './support/expect.ts';
import { harnessPerTest, startHarness, type Harness } from './support/harness.ts';
import { expectedOrganization, REPORT_CLOCK } from './support/organizations.ts';
import { person } from './support/people.ts';

type Json = Record<string, any>;

const admin = apiKey('admin', ['users:read', 'users:write', 'admin']);
const tinycoOps = apiKey('tinyco-ops', ['users:read', 'users:write'], 'tinyco');
/** Bound to an organization gate has no member of yet: its first people come with newOrganization. */
const freshOps = apiKey('fresh-ops', ['users:read', 'users:write'], 'fresh-org');
const API_KEYS = JSON.stringify([admin.entry, tinycoOps.entry, freshOps.entry]);

let harness: Harness;
beforeAll(async () => {
  harness = await startHarness({ env: { API_KEYS, MAX_UPSTREAM_CALLS: '5000' }, clock: { now: () => REPORT_CLOCK } });
});
afterAll(() => harness.close());

async function dataAsIn(target: Harness, client: { key: string }, query: string, variables: Json = {}): Promise<Json> {
  const result = (await target.execute(query, variables, { 'x-api-key': client.key })) as Json;
  expect(result['errors'], JSON.stringify(result['errors'])).toBeUndefined();
  return present(result['data']);
}

const dataAs = (client: { key: string }, query: string, variables: Json = {}) => dataAsIn(harness, client, query, variables);

const ORGANIZATION = `query ($name: String!, $below: Int!) {
  organization(name: $name) {
    name memberCount
    members(first: 500) { totalCount edges { node { username } } }
    balanceTotals { tokens seconds totalUsageSeconds humanReadable }
    membersBelowBalance(seconds: $below, first: 500) { totalCount edges { node { username balance { seconds } } } }
    activeAccessTokens(first: 500) { totalCount edges { node { edgeId active owner { username } } } }
    onlineSwitchUsers(first: 500) { totalCount edges { node { name isOnline } } }
  }
}`;

describe('the organizations gate holds', () => {
  it('lists every organization gate has members of, by name, with its member count', async () => {
    const counts = new Map<string, number>();
    for (const user of harness.simulators.dataset.gateUsers) {
      if (user.organization) counts.set(user.organization, (counts.get(user.organization) ?? 0) + 1);
    }
    const expected = [...counts].map(([name, memberCount]) => ({ name, memberCount })).sort((a, b) => (a.name < b.name ? -1 : 1));
    expect(expected.length).toBeGreaterThan(3);
    expect((await dataAs(admin, '{ organizations { name memberCount } }'))['organizations']).toEqual(expected);
  });

  it('answers one organization with its members, balance totals, members below a balance, usable access tokens and online switch users', async () => {
    const dataset = harness.simulators.dataset;
    for (const name of ['acme', 'tinyco']) {
      const expected = expectedOrganization(dataset, name, REPORT_CLOCK);
      const below = 300_000;
      const { organization } = await dataAs(admin, ORGANIZATION, { name, below });
      expect(organization.name).toBe(name);
      expect(organization.memberCount).toBe(expected.members.length);
      expect(organization.members.totalCount).toBe(expected.members.length);
      expect(organization.members.edges.map((edge: Json) => edge.node.username)).toEqual(expected.members);
      expect(organization.balanceTotals).toMatchObject({ tokens: expected.tokens, seconds: expected.seconds, totalUsageSeconds: expected.usage });

      const lowest = expected.members
        .filter((username) => (expected.balanceOf.get(username) ?? Number.POSITIVE_INFINITY) < below)
        .sort((a, b) => (expected.balanceOf.get(a) as number) - (expected.balanceOf.get(b) as number));
      const belowNodes = organization.membersBelowBalance.edges.map((edge: Json) => edge.node);
      expect(belowNodes.map((node: Json) => node.username)).toEqual(lowest);
      expect(belowNodes.every((node: Json) => node.balance.seconds < below)).toBe(true);
      expect(organization.membersBelowBalance.totalCount).toBe(lowest.length);

      expect(organization.activeAccessTokens.edges.map((edge: Json) => ({ owner: edge.node.owner.username, edgeId: edge.node.edgeId }))).toEqual(expected.activeTokens);
      expect(organization.activeAccessTokens.totalCount).toBe(expected.activeTokens.length);
      expect(organization.onlineSwitchUsers.edges.map((edge: Json) => edge.node)).toEqual(expected.online.map((name) => ({ name, isOnline: 1 })));
    }
    // The clock decides: some of acme's tokens are usable at it, and some active ones have expired.
    const acme = expectedOrganization(dataset, 'acme', REPORT_CLOCK);
    expect(acme.activeTokens.length).toBeGreaterThan(0);
    expect(acme.activeTokens.length).toBeLessThan(expectedOrganization(dataset, 'acme', 0).activeTokens.length);
    expect(acme.online.length).toBeGreaterThan(0);
  });

  it('pages the usable access tokens member by member, reading only the members the page needs', async () => {
    const expected = expectedOrganization(harness.simulators.dataset, 'acme', REPORT_CLOCK).activeTokens;
    const query = `query ($after: String) { organization(name: "acme") { activeAccessTokens(first: 3, after: $after) { pageInfo { hasNextPage endCursor } edges { node { edgeId } } } } }`;
    harness.simulators.resetRequests();
    const first = (await dataAs(admin, query))['organization'].activeAccessTokens;
    expect(first.edges.map((edge: Json) => edge.node.edgeId)).toEqual(expected.slice(0, 3).map((token) => token.edgeId));
    expect(first.pageInfo.hasNextPage).toBe(true);
    // One batch of a hundred members at most (acme has 130): their edge accounts and token lists, and the member list.
    const edgeCalls = harness.requests().filter((request) => request.upstream === 'edge').length;
    expect(edgeCalls).toBeLessThanOrEqual(2 * 100);
    const second = (await dataAs(admin, query, { after: first.pageInfo.endCursor }))['organization'].activeAccessTokens;
    expect(second.edges.map((edge: Json) => edge.node.edgeId)).toEqual(expected.slice(3, 6).map((token) => token.edgeId));
  });

  it('answers null for an organization gate has no member of', async () => {
    expect(await dataAs(admin, '{ organization(name: "acm") { name } }')).toEqual({ organization: null });
  });

  it('shows a client bound to an organization its own alone', async () => {
    const expected = expectedOrganization(harness.simulators.dataset, 'tinyco', REPORT_CLOCK);
    expect(await dataAs(tinycoOps, '{ organizations { name memberCount } }')).toEqual({ organizations: [{ name: 'tinyco', memberCount: expected.members.length }] });
    expect(await dataAs(tinycoOps, '{ organization(name: "acme") { name memberCount } }')).toEqual({ organization: null });
    const { organization } = await dataAs(tinycoOps, ORGANIZATION, { name: 'tinyco', below: 300_000 });
    expect(organization.members.edges.map((edge: Json) => edge.node.username)).toEqual(expected.members);
    expect(organization.balanceTotals).toMatchObject({ tokens: expected.tokens, seconds: expected.seconds });
    expect(organization.onlineSwitchUsers.edges.map((edge: Json) => edge.node.name)).toEqual(expected.online);
  });

  it('costs what it reads: organizations the whole user list, an organization’s lists their pages', () => {
    const estimate = (query: string, organizationBound = false) => estimateUpstreamCalls({ schema, document: parse(query), model: { organizationBound } });
    expect(estimate('{ organizations { name memberCount } }')).toBe(200);
    expect(estimate('{ organizations { name } }', true)).toBe(200);
    // Anything read per organization counts once for every user there could be: ask organization(name:) for it.
    expect(estimate('{ organizations { members(first: 1) { totalCount } } }')).toBeGreaterThan(20_000);
    expect(estimate('{ organization(name: "acme") { members(first: 100) { edges { node { balance { seconds } } } } } }')).toBe(1 + 1 + 100);
    expect(estimate('{ organization(name: "acme") { balanceTotals { seconds } membersBelowBalance(seconds: 5) { totalCount } } }')).toBe(1 + 200 + 200);
    expect(estimate('{ organization(name: "acme") { activeAccessTokens(first: 10) { edges { node { owner { username } } } } } }')).toBe(1 + 200 + 100 * 3 + 10);
    expect(estimate('{ organization(name: "acme") { onlineSwitchUsers { totalCount } activeAccessTokens { totalCount } } }')).toBe(1 + 200 + 200 + 300);
  });
});

describe('provisioning into an organization', () => {
  const harnessWith = harnessPerTest();
  const PROVISION = `mutation ($input: ProvisionUserInput!) {
    provisionUser(input: $input) { __typename ... on ProvisionUserPayload { user { username organization } } ... on ValidationError { message fieldErrors { field message } } }
  }`;
  const provision = async (target: Harness, input: Json, client = admin) =>
    ((await target.execute(PROVISION, { input }, { 'x-api-key': client.key })) as Json)['data']?.['provisionUser'];
  const writes = (target: Harness) => target.requests().filter((request) => request.method !== 'GET');

  it('refuses a typo with a ValidationError on `organization` naming the closest known one, writing nothing', async () => {
    const target = await harnessWith({ env: { API_KEYS } });
    target.simulators.resetRequests();
    const refused = await provision(target, { ...person('typo.person'), organization: 'acmee' });
    expect(refused).toEqual({
      __typename: 'ValidationError',
      message: expect.stringContaining('organization'),
      fieldErrors: [{ field: 'organization', message: 'no member of "acmee" yet; did you mean "acme"? Set newOrganization to create it.' }],
    });
    expect(await provision(target, { ...person('case.person'), organization: 'Globex' })).toMatchObject({
      fieldErrors: [{ field: 'organization', message: expect.stringContaining('did you mean "globex"?') }],
    });
    expect(writes(target)).toEqual([]);
  });

  it('creates a new organization with newOrganization, then knows it; the flag is harmless on a known one', async () => {
    const target = await harnessWith({ env: { API_KEYS } });
    const first = { ...person('first.of.new', 'first-of-new'), organization: 'newco-labs' };
    expect(await provision(target, first)).toMatchObject({ __typename: 'ValidationError', fieldErrors: [{ field: 'organization' }] });
    // The refusal is not kept under the key: the same key with the flag runs.
    expect(await provision(target, { ...first, newOrganization: true })).toEqual({ __typename: 'ProvisionUserPayload', user: { username: 'first.of.new', organization: 'newco-labs' } });
    expect(await provision(target, { ...person('second.of.new'), organization: 'newco-labs' })).toMatchObject({ __typename: 'ProvisionUserPayload' });
    expect(await provision(target, { ...person('known.one'), organization: 'acme', newOrganization: true })).toMatchObject({ __typename: 'ProvisionUserPayload' });
    const answer = (await target.execute('{ organization(name: "newco-labs") { memberCount } }', {}, { 'x-api-key': admin.key })) as Json;
    expect(answer['data']).toEqual({ organization: { memberCount: 2 } });
    // A rerun with or without the flag replays the first answer.
    expect(await provision(target, first)).toMatchObject({ __typename: 'ProvisionUserPayload', user: { username: 'first.of.new' } });
  });

  it('suggests to a client bound to an organization nothing of others', async () => {
    const target = await harnessWith({ env: { API_KEYS } });
    // Other organizations are there, but this client sees none of them to suggest.
    const refused = await provision(target, { ...person('bound.first'), organization: 'fresh-org' }, freshOps);
    expect(refused).toMatchObject({ fieldErrors: [{ field: 'organization', message: 'no member of "fresh-org" yet. Set newOrganization to create it.' }] });
    expect(await provision(target, { ...person('bound.first'), organization: 'fresh-org', newOrganization: true }, freshOps)).toMatchObject({ __typename: 'ProvisionUserPayload' });
    expect(await dataAsIn(target, freshOps, '{ organizations { name memberCount } }')).toEqual({ organizations: [{ name: 'fresh-org', memberCount: 1 }] });
  });
});
