// The upstream read cache (issue 23) as clients meet it: gateways sharing one Redis, against the
// simulators; time moved by an injected clock, never waited for.
import { randomUUID } from 'node:crypto';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { schema } from '../src/schema/index.ts';
import type { Simulators } from '../src/simulators/index.ts';
import { apiKey } from './support/credentials.ts';
import { FakeClock } from './support/fake-clock.ts';
import { harnessPerTest, type Harness, type HarnessOptions } from './support/harness.ts';
import { startOwnRedis, startTestRedis, type TestRedis } from './support/redis.ts';
import { selectEverything } from './support/select-everything.ts';
import { observedGatewayPerTest, valueOf } from './support/signals.ts';

type Json = Record<string, any>;

const TTL_MS = 60_000;

const PERSON = `query Person($username: String!) {
  user(username: $username) {
    username email organization
    token { isActive accessLevel } balance { seconds } extra { preferences }
    edgeAccount { id email } accessTokens(first: 10) { totalCount } loginHistory(first: 3) { totalCount }
    switchAccount { userId email }
  }
}`;

const ADD_BALANCE = `mutation($username: String!, $seconds: Int!) {
  addBalance(input: { username: $username, seconds: $seconds }) { __typename ... on BalancePayload { balance { seconds } } }
}`;

let redis: TestRedis;
beforeAll(async () => {
  redis = await startTestRedis();
});
afterAll(() => redis.stop());

const harnessWith = harnessPerTest();

/** Gateways whose reads are cached for TTL_MS in one Redis (a key prefix of this test's own), on one clock. */
function cachedOn(redisUrl: string, clock: FakeClock, more: Partial<HarnessOptions> = {}): HarnessOptions {
  return { redisKeyPrefix: `test-${randomUUID()}:`, clock, ...more, env: { REDIS_URL: redisUrl, UPSTREAM_CACHE_TTL_MS: String(TTL_MS), ...more.env } };
}

/** Two gateways, each with its own pools, loaders and Redis connections, sharing the simulators, one Redis and one clock. */
async function twoGateways(more: Partial<HarnessOptions> = {}): Promise<{ first: Harness; second: Harness; clock: FakeClock }> {
  const clock = new FakeClock();
  const options = cachedOn(redis.url, clock, more);
  const first = await harnessWith(options);
  const second = await harnessWith({ ...options, sharing: first });
  return { first, second, clock };
}

async function person(harness: Harness, username: string, headers: Record<string, string> = {}): Promise<Json> {
  const result = (await harness.execute(PERSON, { username }, headers)) as Json;
  expect(result['errors'], JSON.stringify(result['errors'])).toBeUndefined();
  return result['data']['user'];
}

/** Someone on every upstream: a gate user with a user token and an edge and a switch account. */
function everywhere(simulators: Simulators, index = 0): string {
  const { dataset } = simulators;
  const found = dataset.userTokens
    .map((token) => token.username)
    .filter((username) => dataset.edgeUsers.some((user) => user.username === username) && dataset.switchUsers.some((user) => user.name === username));
  const username = found[index];
  if (!username) throw new Error('the dataset has too few people on every upstream');
  return username;
}

describe('two gateways sharing one Redis', () => {
  it('serve a person read through one from the cache through the other: the upstreams see no call', async () => {
    const { first, second } = await twoGateways();
    const username = everywhere(first.simulators);
    first.simulators.resetRequests();
    const read = await person(first, username);
    const calls = first.requests().length;
    expect(calls).toBeGreaterThan(5);
    first.simulators.resetRequests();
    expect(await person(second, username)).toEqual(read);
    expect(await person(first, username)).toEqual(read);
    expect(first.requests()).toEqual([]);
  });

  it('show a top-up through either at once through both', async () => {
    const { first, second } = await twoGateways();
    const username = everywhere(first.simulators, 1);
    const before = (await person(second, username))['balance']['seconds'] as number;
    await person(first, username);
    const added = (await first.execute(ADD_BALANCE, { username, seconds: 60 })) as Json;
    expect(added['data']['addBalance']).toEqual({ __typename: 'BalancePayload', balance: { seconds: before + 60 } });
    expect((await person(second, username))['balance']['seconds']).toBe(before + 60);
    expect((await person(first, username))['balance']['seconds']).toBe(before + 60);
    // And the other way round, once both have it cached again.
    await second.execute(ADD_BALANCE, { username, seconds: 30 });
    expect((await person(first, username))['balance']['seconds']).toBe(before + 90);
    expect((await person(second, username))['balance']['seconds']).toBe(before + 90);
  });

  it('show a change made at the upstream directly once the TTL has passed by the clock, and not before', async () => {
    const { first, second, clock } = await twoGateways();
    const username = everywhere(first.simulators, 2);
    const was = (await person(first, username))['email'] as string;
    const user = first.simulators.dataset.gateUsers.find((candidate) => candidate.username === username);
    if (!user) throw new Error(`gate has no ${username}`);
    user.email = `changed-${randomUUID()}@example.com`;
    clock.advance(TTL_MS - 1);
    expect((await person(second, username))['email']).toBe(was);
    clock.advance(1);
    expect((await person(second, username))['email']).toBe(user.email);
    expect((await person(first, username))['email']).toBe(user.email);
  });
});

describe('tenancy', () => {
  it('never shows a client bound to one organization another organization’s cached records', async () => {
    const admin = apiKey('cache-admin', ['users:read', 'admin']);
    const acme = apiKey('cache-acme', ['users:read'], 'acme');
    const { first, second } = await twoGateways({ env: { API_KEYS: JSON.stringify([admin.entry, acme.entry]) } });
    const { dataset } = first.simulators;
    const foreign = dataset.gateUsers.find((user) => user.organization !== 'acme' && dataset.userTokens.some((token) => token.username === user.username));
    const own = dataset.gateUsers.find((user) => user.organization === 'acme');
    if (!foreign || !own) throw new Error('the dataset has no person of acme and of another organization');
    const asAdmin = { 'x-api-key': admin.key };
    const asAcme = { 'x-api-key': acme.key };
    expect(await person(first, foreign.username, asAdmin)).toMatchObject({ username: foreign.username });
    // What admin's reads cached is there to be read, and acme sees none of it.
    first.simulators.resetRequests();
    expect(await person(second, foreign.username, asAcme)).toBeNull();
    expect(first.requests().filter((request) => request.path.includes('/user/username/'))).toEqual([]);
    const listed = (await second.execute('{ users(first: 200) { edges { node { organization } } } tokens(first: 200) { edges { node { organization } } } }', {}, asAcme)) as Json;
    const organizations = [...listed['data']['users']['edges'], ...listed['data']['tokens']['edges']].map((edge: Json) => edge.node.organization);
    expect(new Set(organizations)).toEqual(new Set(['acme']));
    expect(await person(second, own.username, asAcme)).toMatchObject({ username: own.username, organization: 'acme' });
  });
});

describe('writes', () => {
  it('check what a client bound to an organization may touch anew, never by what the cache holds', async () => {
    const acme = apiKey('cache-acme-writer', ['users:read', 'users:write'], 'acme');
    const { first, second } = await twoGateways({ env: { API_KEYS: JSON.stringify([acme.entry]) } });
    const { dataset } = first.simulators;
    const moving = dataset.gateUsers.find((user) => user.organization === 'acme' && dataset.edgeUsers.some((edge) => edge.username === user.username));
    if (!moving) throw new Error('acme has nobody with an edge account');
    const asAcme = { 'x-api-key': acme.key };
    expect(await person(first, moving.username, asAcme)).toMatchObject({ organization: 'acme' });
    // Moved to another organization at gate directly: the cache still holds it as acme's.
    moving.organization = 'umbrella';
    expect(await person(second, moving.username, asAcme)).toMatchObject({ organization: 'acme' });
    const update = `mutation($username: String!) {
      updateEdgeUser(input: { username: $username, changes: { description: "acme was here" } }) { __typename }
    }`;
    const answer = (await second.execute(update, { username: moving.username }, asAcme)) as Json;
    expect(answer['data']['updateEdgeUser']).toEqual({ __typename: 'NotFoundError' });
    expect(dataset.edgeUsers.find((edge) => edge.username === moving.username)?.description).not.toBe('acme was here');
  });
});

describe('secrets', () => {
  /** What the upstreams hold that must never be stored, with the gateway's own credentials. */
  function secretsOf(simulators: Simulators): string[] {
    const { dataset } = simulators;
    return [
      ...dataset.switchUsers.flatMap((user) => [user.passwd, user.cdr_api_token]),
      ...dataset.edgeUsers.flatMap((user) => [user.password, ...user.tokens.map((token) => token.hashed_token)]),
      ...dataset.gateUsers.map((user) => user.password),
      ...dataset.userTokens.map((token) => token.token),
      simulators.gate.token,
      simulators.edge.password,
      simulators.switch.token,
    ].filter((secret): secret is string => typeof secret === 'string' && secret.length > 0);
  }

  /** Every key under `prefix` and every value, as text. */
  async function everythingStored(redisUrl: string, prefix: string): Promise<string> {
    const client = new Redis(redisUrl);
    try {
      const keys: string[] = [];
      for await (const batch of client.scanStream({ match: `${prefix}*`, count: 500 })) keys.push(...(batch as string[]));
      const values = keys.length ? await client.mget(keys) : [];
      return [...keys, ...values].join('\n');
    } finally {
      client.disconnect();
    }
  }

  it('stores none in Redis, whatever was read', async () => {
    const withSecrets = apiKey('cache-secrets', ['users:read', 'tokens:secret', 'admin']);
    const clock = new FakeClock();
    const options = cachedOn(redis.url, clock, { env: { API_KEYS: JSON.stringify([withSecrets.entry]), MAX_UPSTREAM_CALLS: '1000000' } });
    const harness = await harnessWith(options);
    const result = (await harness.execute(selectEverything(schema, 300, 5, { given: { organization: '(name: "acme")' }, without: ['organizations'] }), {}, { 'x-api-key': withSecrets.key })) as Json;
    expect(result['errors']).toBeUndefined();
    // The client may see the token strings, and was shown them: read upstream, not from the cache.
    const tokenStrings = new Set(harness.simulators.dataset.userTokens.map((token) => token.token));
    expect(result['data']['tokens']['edges'].every((edge: Json) => tokenStrings.has(edge.node.token))).toBe(true);
    const stored = await everythingStored(redis.url, options.redisKeyPrefix as string);
    expect(stored.length).toBeGreaterThan(100_000);
    const secrets = secretsOf(harness.simulators);
    expect(secrets.length).toBeGreaterThan(500);
    expect(secrets.filter((secret) => stored.includes(secret))).toEqual([]);
  });

  it('reads the token strings upstream for a client that may see them, when another’s read cached its user tokens', async () => {
    const withSecrets = apiKey('cache-secrets', ['users:read', 'tokens:secret', 'admin']);
    const without = apiKey('cache-no-secrets', ['users:read', 'admin']);
    const { first, second } = await twoGateways({ env: { API_KEYS: JSON.stringify([withSecrets.entry, without.entry]) } });
    const username = everywhere(first.simulators, 3);
    const query = `query($username: String!) { user(username: $username) { token { isActive token } } }`;
    const held = first.simulators.dataset.userTokens.find((token) => token.username === username)?.token;
    const refused = (await first.execute(query, { username }, { 'x-api-key': without.key })) as Json;
    expect(refused['errors']?.[0]?.extensions?.code).toBe('FORBIDDEN');
    first.simulators.resetRequests();
    const shown = (await second.execute(query, { username }, { 'x-api-key': withSecrets.key })) as Json;
    expect(shown['data']['user']['token']).toEqual({ isActive: expect.any(Boolean), token: held });
    expect(first.requests().map((request) => request.path)).toContainEqual(expect.stringContaining('/user_token/'));
  });
});

describe('failures', () => {
  it('are not cached: the next read asks again, and its answer is', async () => {
    const { first, second } = await twoGateways();
    const username = everywhere(first.simulators, 4);
    first.simulators.injectFault('gate', { method: 'GET', path: '/user/username/:username/', action: 'refuse', status: 500, times: 5 });
    const failed = (await first.execute(PERSON, { username })) as Json;
    expect(failed['errors']?.[0]?.extensions?.code).toBe('UPSTREAM_ERROR');
    first.simulators.clearFaults();
    first.simulators.resetRequests();
    await person(second, username);
    expect(first.requests().some((request) => request.path.includes('/user/username/'))).toBe(true);
    first.simulators.resetRequests();
    await person(first, username);
    expect(first.requests()).toEqual([]);
  });

  it('of Redis cost nothing: with Redis stopped the gateway reads upstream, without errors', async () => {
    const own = await startOwnRedis();
    try {
      const clock = new FakeClock();
      const harness = await harnessWith(cachedOn(own.url, clock));
      const username = everywhere(harness.simulators, 5);
      const read = await person(harness, username);
      harness.simulators.resetRequests();
      expect(await person(harness, username)).toEqual(read);
      expect(harness.requests()).toEqual([]);
      await own.stop();
      expect(await person(harness, username)).toEqual(read);
      expect(harness.requests().length).toBeGreaterThan(5);
    } finally {
      await own.stop();
    }
  });
});

describe('signals', () => {
  const observed = observedGatewayPerTest();

  it('counts hits, misses, invalidations and bytes in /metrics, in a gateway without Redis (a cache in its memory)', async () => {
    const { graphql, scrape, simulators } = await observed({ env: { GATE_CACHE_TTL_MS: String(TTL_MS) } });
    const username = everywhere(simulators, 6);
    const ask = async (query: string, variables: Json) => {
      const body = (await (await graphql(query, variables)).json()) as Json;
      expect(body['errors']).toBeUndefined();
    };
    await ask(PERSON, { username });
    await ask(PERSON, { username });
    await ask(ADD_BALANCE, { username, seconds: 1 });
    const metrics = await scrape();
    // gate alone is cached: its user, user token and user extra, read once each and then hit.
    expect(valueOf(metrics, 'upstream_cache_misses_total', { upstream: 'gate' })).toBe(3);
    expect(valueOf(metrics, 'upstream_cache_hits_total', { upstream: 'gate' })).toBe(3);
    expect(valueOf(metrics, 'upstream_cache_hits_total', { upstream: 'edge' })).toBeUndefined();
    // The top-up's PATCH of the user token, before it is sent and once answered.
    expect(valueOf(metrics, 'upstream_cache_invalidations_total', { upstream: 'gate' })).toBe(2);
    const stored = valueOf(metrics, 'upstream_cache_bytes_total', { upstream: 'gate', direction: 'stored' }) ?? 0;
    expect(stored).toBeGreaterThan(300);
    expect(valueOf(metrics, 'upstream_cache_bytes_total', { upstream: 'gate', direction: 'served' })).toBe(stored);
  });
});
