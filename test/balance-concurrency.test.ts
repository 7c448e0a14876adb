import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startSimulators, type Simulators } from '../src/simulators/index.ts';
import { harnessPerTest, upstreamEnv, type GraphQLResult, type Harness } from './support/harness.ts';
import { apiKey } from './support/credentials.ts';
import { startTestRedis, type TestRedis } from './support/redis.ts';
import { environmentWithoutSettings } from './support/gateway-process.ts';

const ADD = `mutation($username: String!) {
  addBalance(input: { username: $username, seconds: 10 }) { __typename ... on Error { message } ... on BalancePayload { balance { seconds } } }
}`;

/** A person whose user token is free to top up. */
function someoneWithAToken(simulators: Simulators, index: number): { username: string; balance: () => number } {
  const token = simulators.dataset.userTokens[index];
  if (!token) throw new Error('the dataset has too few user tokens');
  return { username: token.username, balance: () => token.balance_seconds };
}

let redis: TestRedis;
beforeAll(async () => {
  redis = await startTestRedis();
});
afterAll(() => redis.stop());

describe('100 concurrent top-ups of one user lose nothing', () => {
  const harnessWith = harnessPerTest();

  async function topUpHundredTimes(harness: Harness, index: number) {
    const person = someoneWithAToken(harness.simulators, index);
    const before = person.balance();
    const results = (await Promise.all(Array.from({ length: 100 }, () => harness.execute(ADD, { username: person.username })))) as GraphQLResult<{
      addBalance: { __typename: string };
    }>[];
    expect(results.map((result) => result.data?.addBalance.__typename)).toEqual(Array(100).fill('BalancePayload'));
    expect(person.balance()).toBe(before + 1000);
  }

  it('through one gateway', async () => {
    await topUpHundredTimes(await harnessWith({}), 3);
  });

  it('through one gateway whose locks are on Redis', async () => {
    await topUpHundredTimes(await harnessWith({ env: { REDIS_URL: redis.url }, redisKeyPrefix: `test-${randomUUID()}:` }), 4);
  });
});

describe('two gateway processes sharing one Redis', () => {
  const writer = apiKey('balance-writer', ['users:read', 'users:write', 'admin']);
  let simulators: Simulators;
  const gateways: ChildProcess[] = [];
  beforeAll(async () => {
    simulators = await startSimulators();
  });
  afterAll(async () => {
    await Promise.all(
      gateways.map(async (gateway) => {
        if (gateway.exitCode !== null) return;
        gateway.kill('SIGTERM');
        await once(gateway, 'exit');
      }),
    );
    await simulators.close();
  });

  /** A gateway as `npm start` runs it, on the same upstreams and Redis as the others; answers its GraphQL URL. */
  async function startGatewayProcess(): Promise<string> {
    const gateway = spawn(process.execPath, ['src/index.ts'], {
      env: {
        ...environmentWithoutSettings(),
        HOST: '127.0.0.1',
        PORT: '0',
        LOG_LEVEL: 'warn',
        REDIS_URL: redis.url,
        API_KEYS: JSON.stringify([writer.entry]),
        ...upstreamEnv(simulators),
      },
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    gateways.push(gateway);
    // Read on to the end (a pipe nobody reads breaks the gateway's writes when it closes).
    return new Promise((resolve, reject) => {
      let output = '';
      gateway.stdout?.on('data', (chunk) => {
        output += String(chunk);
        const ready = /ready: (http:\/\/\S+\/graphql)/.exec(output);
        if (ready?.[1]) resolve(ready[1]);
      });
      gateway.once('exit', () => reject(new Error(`the gateway exited before it was ready:\n${output}`)));
    });
  }

  it('lose no top-up: 50 through each, all at once, end exactly 1000 seconds up', { timeout: 30_000 }, async () => {
    const urls = await Promise.all([startGatewayProcess(), startGatewayProcess()]);
    const person = someoneWithAToken(simulators, 5);
    const before = person.balance();
    const topUp = async (url: string) => {
      const response = await fetch(url, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'x-api-key': writer.key },
        body: JSON.stringify({ query: ADD, variables: { username: person.username } }),
      });
      return ((await response.json()) as GraphQLResult<{ addBalance: { __typename: string } }>).data?.addBalance.__typename;
    };
    const outcomes = await Promise.all(urls.flatMap((url) => Array.from({ length: 50 }, () => topUp(url))));
    expect(outcomes).toEqual(Array(100).fill('BalancePayload'));
    expect(person.balance()).toBe(before + 1000);
  });
});
