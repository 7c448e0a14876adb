// Balance changes whose outcome is not known, settled and never applied twice: a PATCH still
// travelling when the gateway gave up (held by the simulator, released when the test says), a
// read a change is computed from that must not join a read begun before it, and an injected clock
// that moves past WRITE_SETTLE_MS instead of waiting for it.
import { describe, expect, it } from 'vitest';
import type { Simulators } from '../src/simulators/index.ts';
import { harnessPerTest, type Harness } from './support/harness.ts';
import { startOwnRedis } from './support/redis.ts';

const ADD = `mutation($input: AddBalanceInput!) {
  addBalance(input: $input) { __typename ... on Error { message } ... on BalancePayload { balance { seconds } } }
}`;

interface Outcome {
  __typename: string;
  message?: string;
  balance?: { seconds: number };
}

async function add(harness: Harness, username: string, seconds: number, idempotencyKey?: string): Promise<Outcome> {
  const result = await harness.execute<{ addBalance: Outcome }, Record<string, unknown>>(ADD, { input: { username, seconds, idempotencyKey } });
  expect(result.errors).toBeUndefined();
  return (result.data as { addBalance: Outcome }).addBalance;
}

/** A person with a user token, and its balance as gate holds it now. */
function tokenHolder(simulators: Simulators, index: number) {
  const token = simulators.dataset.userTokens[index];
  if (!token) throw new Error('the dataset has too few user tokens');
  return { username: token.username, id: token.id, balance: () => token.balance_seconds, token };
}

const patches = (harness: Harness) => harness.requests().filter((request) => request.method === 'PATCH').length;

/** A clock the test moves: the settle window passes when the test says so. */
function testClock() {
  let now = Date.UTC(2026, 11, 7);
  return { now: () => now, advance: (ms: number) => (now += ms) };
}

describe('a top-up whose PATCH is still travelling when the gateway gives up', () => {
  const harnessWith = harnessPerTest();
  const settleMs = 60_000;

  async function start() {
    const clock = testClock();
    const harness = await harnessWith({ env: { GATE_TIMEOUT_MS: '300', WRITE_SETTLE_MS: String(settleMs) }, clock });
    return { harness, clock };
  }

  it('answers OutcomeUnknown, not "did not land"; the keyed retry answers its outcome and never adds twice', async () => {
    const { harness } = await start();
    const person = tokenHolder(harness.simulators, 11);
    const before = person.balance();
    harness.simulators.injectFault('gate', { method: 'PATCH', path: '/user_token/:id/', action: 'hold' });

    const first = await add(harness, person.username, 100, 'settle-1');
    expect(first.__typename).toBe('OutcomeUnknown');
    expect(person.balance()).toBe(before);

    // Retried while the PATCH is still on its way: still unknown, and nothing is sent again.
    const sentSoFar = patches(harness);
    expect((await add(harness, person.username, 100, 'settle-1')).__typename).toBe('OutcomeUnknown');
    expect(patches(harness)).toBe(sentSoFar);

    // Another change of the balance meanwhile would build on a value the PATCH may overwrite: refused.
    expect((await add(harness, person.username, 50)).__typename).toBe('LockTimeout');

    // The PATCH lands late; the keyed retry now finds it and answers it, writing nothing.
    expect(await harness.simulators.releaseHeld('gate')).toBe(1);
    const settled = await add(harness, person.username, 100, 'settle-1');
    expect(settled).toEqual({ __typename: 'BalancePayload', balance: { seconds: before + 100 } });
    expect(patches(harness)).toBe(sentSoFar);
    expect(person.balance()).toBe(before + 100);

    // The balance is free again, and the key stays answered.
    expect(await add(harness, person.username, 50)).toEqual({ __typename: 'BalancePayload', balance: { seconds: before + 150 } });
    expect(await add(harness, person.username, 100, 'settle-1')).toEqual({ __typename: 'BalancePayload', balance: { seconds: before + 100 } });
    expect(person.balance()).toBe(before + 150);
  });

  it('once WRITE_SETTLE_MS has passed without it landing, the keyed retry tops up, once', async () => {
    const { harness, clock } = await start();
    const person = tokenHolder(harness.simulators, 12);
    const before = person.balance();
    harness.simulators.injectFault('gate', { method: 'PATCH', path: '/user_token/:id/', action: 'hold' });
    expect((await add(harness, person.username, 60, 'settle-2')).__typename).toBe('OutcomeUnknown');

    clock.advance(settleMs);
    expect(await add(harness, person.username, 60, 'settle-2')).toEqual({ __typename: 'BalancePayload', balance: { seconds: before + 60 } });
    expect(await add(harness, person.username, 60, 'settle-2')).toEqual({ __typename: 'BalancePayload', balance: { seconds: before + 60 } });
    expect(person.balance()).toBe(before + 60);
  });

  it('another change settles the unknown one first, and the key still learns that it landed', async () => {
    const { harness } = await start();
    const person = tokenHolder(harness.simulators, 13);
    const before = person.balance();
    harness.simulators.injectFault('gate', { method: 'PATCH', path: '/user_token/:id/', action: 'hold' });
    expect((await add(harness, person.username, 30, 'settle-3')).__typename).toBe('OutcomeUnknown');
    await harness.simulators.releaseHeld('gate');

    expect(await add(harness, person.username, 5)).toEqual({ __typename: 'BalancePayload', balance: { seconds: before + 35 } });
    // The key's attempt was settled as landed by the change above: its retry adds nothing.
    expect(await add(harness, person.username, 30, 'settle-3')).toEqual({ __typename: 'BalancePayload', balance: { seconds: before + 35 } });
    expect(person.balance()).toBe(before + 35);
  });
});

describe('two gateways on one Redis', () => {
  const harnessWith = harnessPerTest();

  it('a top-up through the other gateway waits for the unknown one to settle, and neither is lost nor doubled', async () => {
    const redis = await startOwnRedis();
    try {
      const env = { REDIS_URL: redis.url, GATE_TIMEOUT_MS: '300' };
      const first = await harnessWith({ env, redisKeyPrefix: 'two-gateways:' });
      const second = await harnessWith({ env, redisKeyPrefix: 'two-gateways:', sharing: first });
      const person = tokenHolder(first.simulators, 16);
      const before = person.balance();
      first.simulators.injectFault('gate', { method: 'PATCH', path: '/user_token/:id/', action: 'hold' });
      expect((await add(first, person.username, 20, 'two-1')).__typename).toBe('OutcomeUnknown');
      // Through the other process: refused while the first PATCH may still land, writing nothing.
      expect((await add(second, person.username, 10)).__typename).toBe('LockTimeout');
      await first.simulators.releaseHeld('gate');
      expect(await add(second, person.username, 10)).toEqual({ __typename: 'BalancePayload', balance: { seconds: before + 30 } });
      // The key learns, through Redis, that its change landed: retried through either process, nothing is added.
      expect(await add(second, person.username, 20, 'two-1')).toEqual({ __typename: 'BalancePayload', balance: { seconds: before + 30 } });
      expect(await add(first, person.username, 20, 'two-1')).toEqual({ __typename: 'BalancePayload', balance: { seconds: before + 30 } });
      expect(person.balance()).toBe(before + 30);
    } finally {
      await redis.stop();
    }
  });
});

describe('the read a top-up is computed from', () => {
  const harnessWith = harnessPerTest();

  it('never joins a read of the balance begun before the lock (a change made meanwhile elsewhere is kept)', async () => {
    const harness = await harnessWith({});
    const person = tokenHolder(harness.simulators, 14);
    const before = person.balance();
    // A query reads the balance by the token's id; its read is held upstream.
    harness.simulators.injectFault('gate', { method: 'GET', path: '/user_token/:id/', action: 'hold' });
    const balanceId = Buffer.from(`Balance:${person.id}`).toString('base64url');
    const query = harness.execute(`{ node(id: "${balanceId}") { ... on Balance { seconds } } }`);
    await harness.simulators.whenHeld('gate', 1);
    // Meanwhile another gateway process tops the balance up by 20.
    person.token.balance_seconds += 20;
    // This process's top-up reads the balance under its lock: its own read, not the held one.
    expect(await add(harness, person.username, 10)).toEqual({ __typename: 'BalancePayload', balance: { seconds: before + 30 } });
    await harness.simulators.releaseHeld('gate');
    expect((await query).errors).toBeUndefined();
    expect(person.balance()).toBe(before + 30);
  });
});

describe('a Redis that restarts empty (as `.ci/run` and the README start it, with no persistence)', () => {
  const harnessWith = harnessPerTest();

  it('forgets no top-up twice: a keyed retry after the restart is refused, not applied again', async () => {
    const redis = await startOwnRedis();
    try {
      const harness = await harnessWith({ env: { REDIS_URL: redis.url }, redisKeyPrefix: 'restart-test:' });
      const person = tokenHolder(harness.simulators, 15);
      const before = person.balance();
      expect(await add(harness, person.username, 7, 'restart-1')).toEqual({ __typename: 'BalancePayload', balance: { seconds: before + 7 } });
      await redis.restart();
      const retried = await add(harness, person.username, 7, 'restart-1');
      expect(retried).toMatchObject({ __typename: 'UpstreamFailure', message: expect.stringContaining('lost the idempotency keys') });
      expect(person.balance()).toBe(before + 7);
      // A change without a key needs no memory of keys: it goes ahead.
      expect(await add(harness, person.username, 1)).toEqual({ __typename: 'BalancePayload', balance: { seconds: before + 8 } });
    } finally {
      await redis.stop();
    }
  });
});
