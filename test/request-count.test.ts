import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { NestedUsersDocument } from './generated/graphql.ts';
import { present } from './support/expect.ts';
import { startHarness, type Harness } from './support/harness.ts';
import { answersInRounds } from './support/held-answers.ts';
import type { SimulatedRequest } from '../src/simulators/index.ts';
import { GatewayMetrics } from '../src/server/telemetry/metrics.ts';

/** edge's simulator serves 25 items a page unless asked otherwise (the gateway never asks). */
const EDGE_PAGE_SIZE = 25;
const FIRST = 50;

let harness: Harness;
/** Which requests go out together is shown by proxies that hold the answers and let them go a round at a time. */
const rounds = answersInRounds();
beforeAll(async () => {
  harness = await startHarness({ reshape: { gate: { hold: rounds.hold }, edge: { hold: rounds.hold }, switch: { hold: rounds.hold } } });
});
afterAll(() => harness.close());

/** The fewest requests that can answer the nested query, derived from what the simulators hold. */
function minimalRequestCount(): { total: number; byUpstream: Record<string, number> } {
  const data = harness.simulators.dataset;
  const people = data.gateUsers.slice(0, FIRST);
  const pages = (items: number) => Math.max(1, Math.ceil(items / EDGE_PAGE_SIZE));
  let edge = 0;
  for (const person of people) {
    const fuzzy = data.edgeUsers.filter((user) => user.username.toLowerCase().includes(person.username.toLowerCase()));
    const exact = fuzzy.findIndex((user) => user.username === person.username);
    // The search stops at the page holding the exact match, or walks every page in vain.
    edge += exact === -1 ? pages(fuzzy.length) : Math.floor(exact / EDGE_PAGE_SIZE) + 1;
    const account = fuzzy[exact];
    if (account) edge += pages(account.history.length);
  }
  const byUpstream = { gate: 1 + 2 * people.length, edge, switch: people.length };
  return { total: byUpstream.gate + byUpstream.edge + byUpstream.switch, byUpstream };
}

const countBy = (requests: SimulatedRequest[], key: (request: SimulatedRequest) => string) => {
  const counts: Record<string, number> = {};
  for (const request of requests) counts[key(request)] = (counts[key(request)] ?? 0) + 1;
  return counts;
};

describe('upstream requests for users(first: 50) with every relation', () => {
  it('makes exactly the minimal number of upstream requests, none twice', async () => {
    harness.simulators.resetRequests();
    const data = await harness.data(NestedUsersDocument, { first: FIRST });
    expect(present(data.users).edges).toHaveLength(FIRST);
    const requests = harness.requests();
    const expected = minimalRequestCount();
    expect(countBy(requests, (request) => request.upstream)).toEqual(expected.byUpstream);
    expect(requests).toHaveLength(expected.total);
    const distinct = new Set(requests.map((request) => `${request.upstream} ${request.path}?${request.query.toString()}`));
    expect(distinct.size).toBe(requests.length);
    // token and balance are one read of the user token, with the balance.
    const tokenReads = requests.filter((request) => request.path.endsWith('/user_token/'));
    expect(tokenReads).toHaveLength(FIRST);
    expect(tokenReads.every((request) => request.query.get('balance') === 'true')).toBe(true);
  });

  it('sends the lookups of one level concurrently', async () => {
    // The list first; then the whole second level (the edge searches, whose history comes next,
    // and the lookups that end a chain), every lookup of it sent before any is answered.
    rounds.expect([1, FIRST + 3 * FIRST]);
    harness.simulators.resetRequests();
    await harness.data(NestedUsersDocument, { first: FIRST });
    const requests = harness.requests();
    const edgeSearches = requests.filter((request) => request.upstream === 'edge' && request.path.endsWith('/users/') && request.query.get('page') === null);
    const chainEnds = requests.filter(
      (request) => request.path.endsWith('/user_token/') || request.path.endsWith('/user_extra/') || request.path.endsWith('/user/list'),
    );
    expect([edgeSearches.length, chainEnds.length]).toEqual([FIRST, 3 * FIRST]);
    expect(requests.slice(0, 1 + FIRST + 3 * FIRST).filter((request) => request.path.endsWith('/history/'))).toEqual([]);
  });

  it('reads the upstream pages of a page above 100 concurrently', async () => {
    rounds.expect([3]);
    harness.simulators.resetRequests();
    await harness.data(`{ users(first: 250) { edges { node { username } } } }`);
    expect(harness.requests()).toHaveLength(3);
  });

  it('sends the lookups that lead to more reads (edge accounts, then their history) before those that end a chain', async () => {
    const sent: string[] = [];
    const ordered = await startHarness({ observer: { attemptStarted: (attempt) => (sent.push(`${attempt.upstream} ${attempt.route}`), () => undefined) } });
    try {
      await ordered.data(NestedUsersDocument, { first: FIRST });
    } finally {
      await ordered.close();
    }
    const positions = (...calls: string[]) => sent.flatMap((call, index) => (calls.includes(call) ? [index] : []));
    const edgeSearches = positions('edge /users/');
    const chainEnds = positions('gate /user_token/', 'gate /user_extra/', 'switch /user/list');
    expect([edgeSearches.length, chainEnds.length]).toEqual([FIRST, 3 * FIRST]);
    expect(Math.max(...edgeSearches)).toBeLessThan(Math.min(...chainEnds));
  });

  it('batches lookups by id where the upstream allows it (switch user_id_in)', async () => {
    const ids = harness.simulators.dataset.switchUsers.slice(0, 40).map((user) => Buffer.from(`SwitchUser:${user.user_id}`).toString('base64url'));
    harness.simulators.resetRequests();
    const result = await harness.data(`query($ids: [ID!]!) { nodes(ids: $ids) { ... on SwitchUser { userId } } }`, { ids });
    expect((result as { nodes: { userId: number }[] }).nodes.map((node) => node.userId)).toEqual(
      harness.simulators.dataset.switchUsers.slice(0, 40).map((user) => user.user_id),
    );
    const requests = harness.requests();
    expect(requests).toHaveLength(1);
    expect(requests[0]?.query.get('user_id_in')?.split(',')).toHaveLength(40);
  });

  it('passes the incoming x-request-id to every upstream request, and makes one when absent', async () => {
    harness.simulators.resetRequests();
    const response = await harness.execute(NestedUsersDocument, { first: 3 }, { 'x-request-id': 'req-abc-123' });
    expect(response.errors).toBeUndefined();
    const requests = harness.requests();
    expect(requests.length).toBeGreaterThan(10);
    expect(new Set(requests.map((request) => request.requestId))).toEqual(new Set(['req-abc-123']));

    harness.simulators.resetRequests();
    await harness.execute(NestedUsersDocument, { first: 3 });
    const generated = new Set(harness.requests().map((request) => request.requestId));
    expect(generated.size).toBe(1);
    expect([...generated][0]).toMatch(/^[0-9a-f-]{36}$/);
  });
});

describe('identical reads of concurrent requests (UPSTREAM_SHARE_READS)', () => {
  const distinctReads = (requests: SimulatedRequest[]) => new Set(requests.map((request) => `${request.upstream} ${request.path}?${request.query.toString()}`));

  it('share one upstream call while in flight; each request gets its whole answer, and the sharing is counted', async () => {
    const metrics = new GatewayMetrics({ processMetrics: false });
    const sharing = await startHarness({ latencyMs: 15, observer: metrics.observer });
    try {
      const alone = await sharing.data(NestedUsersDocument, { first: 10 });
      sharing.simulators.resetRequests();
      const answers = await Promise.all([1, 2, 3].map(() => sharing.data(NestedUsersDocument, { first: 10 })));
      expect(answers).toEqual([alone, alone, alone]);
      const requests = sharing.requests();
      // One call per distinct read for the three requests together, not three.
      expect(requests.length).toBe(distinctReads(requests).size);
      const { body } = await metrics.scrape();
      expect(body).toMatch(/^upstream_shared_reads_total\{upstream="gate",route="\/user_token\/"\} 20$/m);
    } finally {
      await sharing.close();
    }
  });

  it('are each their own call with UPSTREAM_SHARE_READS=false', async () => {
    const unshared = await startHarness({ latencyMs: 15, env: { UPSTREAM_SHARE_READS: 'false' } });
    try {
      // Once first, so that both requests read edge's pages as the links have taught the gateway.
      await unshared.data(NestedUsersDocument, { first: 10 });
      unshared.simulators.resetRequests();
      await unshared.data(NestedUsersDocument, { first: 10 });
      const alone = unshared.requests().length;
      unshared.simulators.resetRequests();
      await Promise.all([1, 2].map(() => unshared.data(NestedUsersDocument, { first: 10 })));
      expect(unshared.requests()).toHaveLength(2 * alone);
    } finally {
      await unshared.close();
    }
  });

  it('never answer a read begun after a write with a reply begun before it', async () => {
    const person = harness.simulators.dataset.gateUsers[3]!;
    const readEmail = `query($username: String!) { user(username: $username) { email } }`;
    const before = (await harness.data(readEmail, { username: person.username })) as { user: { email: string } };
    // A slow read of the user is in flight while another request changes the user and reads it back.
    const slowRead = harness.data(readEmail, { username: person.username });
    const email = `shared.${Date.now()}@example.com`;
    const change = harness.execute(
      `mutation($input: UpdateUserInput!) { updateUser(input: $input) { __typename ... on UpdateUserPayload { user { email } } } }`,
      { input: { username: person.username, changes: { email } } },
    );
    const [changed, during] = (await Promise.all([change, slowRead])) as [{ data: { updateUser: { user: { email: string } } } }, { user: { email: string } }];
    expect(changed.data.updateUser.user.email).toBe(email);
    expect([before.user.email, email]).toContain(during.user.email);
    expect(await harness.data(readEmail, { username: person.username })).toEqual({ user: { email } });
  });
});
