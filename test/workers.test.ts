// WORKERS > 1 (issue 22, item 4): gateway processes sharing one port, run as production runs them
// (`node src/index.ts`), asked over HTTP. Which worker answered a request is read from its log
// line's `pid`; each request goes on a connection of its own, since the primary hands out
// connections, not requests, to the workers in turn.
import { spawn, type ChildProcess } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { once } from 'node:events';
import { readdirSync, readFileSync } from 'node:fs';
import type { Readable } from 'node:stream';
import { Client } from 'undici';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { IDEMPOTENT_REPLAYED_HEADER } from '../src/server/plugins/use-idempotent-replay.ts';
import { startSimulators } from '../src/simulators/index.ts';
import { upstreamEnv } from './support/harness.ts';
import { person } from './support/people.ts';
import { environmentWithoutSettings, readJsonLines } from './support/gateway-process.ts';
import { openSilentServer, startTestRedis, type TestRedis } from './support/redis.ts';

type Json = Record<string, any>;
type Line = Json & { pid: number; logger: string; msg: string };

/** Sequential connections reach the workers in turn; past this many, both should long have answered. */
const MAX_CONNECTIONS_TO_REACH_BOTH = 20;

const PROVISION = `mutation Provision($input: ProvisionUserInput!) {
  provisionUser(input: $input) { __typename ... on ProvisionUserPayload { user { username } } }
}`;
const USER = 'query User($username: String!) { user(username: $username) { username email } }';

class GatewayProcess {
  readonly child: ChildProcess;
  readonly lines: Line[] = [];
  readonly notJson: string[] = [];
  readonly #listeners = new Set<(line: Line) => void>();
  readonly exited: Promise<number | null>;

  constructor(env: NodeJS.ProcessEnv) {
    this.child = spawn(process.execPath, ['src/index.ts'], { env: { ...environmentWithoutSettings(), HOST: '127.0.0.1', PORT: '0', ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
    this.exited = once(this.child, 'close').then(([code]) => code as number | null);
    for (const stream of [this.child.stdout, this.child.stderr]) {
      readJsonLines<Line>(
        stream as Readable,
        (line) => {
          this.lines.push(line);
          for (const listener of this.#listeners) listener(line);
        },
        (other) => this.notJson.push(other),
      );
    }
  }

  /** The first line, already written or still to come, that `matches`; fails if the process ends first. */
  line(matches: (line: Line) => boolean): Promise<Line> {
    const found = this.lines.find(matches);
    if (found) return Promise.resolve(found);
    return new Promise((resolve, reject) => {
      const listener = (line: Line) => {
        if (!matches(line)) return;
        this.#listeners.delete(listener);
        resolve(line);
      };
      this.#listeners.add(listener);
      void this.exited.then(() => reject(new Error(`the gateway exited first; it wrote:\n${this.lines.map((each) => JSON.stringify(each)).join('\n')}`)));
    });
  }

  async origin(): Promise<string> {
    const ready = await this.line((line) => line.logger === 'lifecycle' && typeof line['url'] === 'string');
    return new URL(ready['url'] as string).origin;
  }

  /** The processes the primary forked, as Linux lists them now. */
  workerPids(): number[] {
    return readdirSync('/proc')
      .filter((entry) => /^\d+$/.test(entry))
      .filter((pid) => {
        try {
          // The fields after the command's parentheses: state, then the parent's pid.
          return Number(readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]?.split(' ')[1]) === this.child.pid;
        } catch {
          return false;
        }
      })
      .map(Number);
  }

  async stop(): Promise<void> {
    if (this.child.exitCode === null && this.child.signalCode === null) this.child.kill('SIGKILL');
    await this.exited;
  }
}

interface Answer {
  status: number;
  body: Json;
  headers: Record<string, string | string[] | undefined>;
  /** The worker that answered, by its request log line. */
  pid: number;
}

/** One GraphQL request on a connection of its own, and the worker that answered it. */
async function send(gateway: GatewayProcess, query: string, variables: Json = {}): Promise<Answer> {
  const requestId = `workers-test-${randomUUID()}`;
  const connection = new Client(await gateway.origin());
  try {
    const response = await connection.request({
      method: 'POST',
      path: '/graphql',
      headers: { 'content-type': 'application/json', 'x-request-id': requestId },
      body: JSON.stringify({ query, variables }),
    });
    const body = (await response.body.json()) as Json;
    const logged = await gateway.line((line) => line.logger === 'request' && line['requestId'] === requestId);
    return { status: response.statusCode, body, headers: response.headers, pid: logged.pid };
  } finally {
    await connection.close();
  }
}

/** Sends until a worker other than `pid` answers: every answer, that one last. */
async function sendUntilAnotherWorker(gateway: GatewayProcess, pid: number, query: string, variables: Json = {}): Promise<Answer[]> {
  const answers: Answer[] = [];
  while (answers.length < MAX_CONNECTIONS_TO_REACH_BOTH) {
    const answer = await send(gateway, query, variables);
    answers.push(answer);
    if (answer.pid !== pid) return answers;
  }
  throw new Error(`${answers.length} connections in a row all reached worker ${pid}`);
}

function isProcessAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/** The value of a series in Prometheus text, 0 when it is not there. */
function seriesValue(metrics: string, series: string): number {
  const line = metrics.split('\n').find((each) => each.startsWith(`${series} `));
  return line ? Number(line.slice(series.length + 1)) : 0;
}

let redis: TestRedis;
beforeAll(async () => {
  redis = await startTestRedis();
});
afterAll(() => redis?.stop());

describe('WORKERS=2 with embedded simulators', () => {
  let gateway: GatewayProcess;
  beforeAll(async () => {
    gateway = new GatewayProcess({ WORKERS: '2', REDIS_URL: redis.url, LOG_LEVEL: 'info' });
    await gateway.origin();
  }, 120_000);
  afterAll(() => gateway?.stop());

  it('writes one ready line, from the primary, naming the URL and the number of workers', () => {
    const ready = gateway.lines.filter((line) => typeof line['url'] === 'string');
    expect(ready).toEqual([expect.objectContaining({ logger: 'lifecycle', pid: gateway.child.pid, workers: 2, simulated: ['gate', 'edge', 'switch'] })]);
    expect(ready[0]?.msg).toMatch(/^GraphQL gateway ready: http:\/\/127\.0\.0\.1:\d+\/graphql \(embedded simulators for: gate, edge, switch\), served by 2 worker processes/);
    expect(gateway.notJson).toEqual([]);
  });

  it('serves queries from two worker processes, neither of them the primary', async () => {
    const first = await send(gateway, '{ __typename }');
    const answers = [first, ...(await sendUntilAnotherWorker(gateway, first.pid, '{ __typename }'))];
    expect(answers.every((answer) => answer.status === 200 && answer.body['data']?.['__typename'] === 'Query')).toBe(true);
    const pids = new Set(answers.map((answer) => answer.pid));
    expect(pids.size).toBe(2);
    expect(pids.has(gateway.child.pid as number)).toBe(false);
    expect([...pids].every((pid) => gateway.workerPids().includes(pid))).toBe(true);
  });

  it('answers /metrics, whichever worker is asked, with the requests every worker served', async () => {
    const operation = `Counted${randomUUID().replaceAll('-', '')}`;
    const query = `query ${operation} { __typename }`;
    const first = await send(gateway, query);
    const answers = [first, ...(await sendUntilAnotherWorker(gateway, first.pid, query))];
    const series = `graphql_requests_total{operation="${operation}",outcome="ok"}`;
    // Two scrapes in a row, on connections of their own: each reaches another worker.
    for (const scrape of [1, 2]) {
      const connection = new Client(await gateway.origin());
      try {
        const response = await connection.request({ method: 'GET', path: '/metrics' });
        expect(response.statusCode, `scrape ${scrape}`).toBe(200);
        const metrics = await response.body.text();
        expect(seriesValue(metrics, series), `scrape ${scrape}`).toBe(answers.length);
        // Every worker's breakers: one of each upstream's states per worker.
        expect(seriesValue(metrics, 'upstream_breaker_state{upstream="gate",state="closed"}')).toBe(2);
      } finally {
        await connection.close();
      }
    }
  });

  it('shares its embedded simulators: a user provisioned through one worker is read through the other', async () => {
    const username = `shared.${randomUUID().slice(0, 8)}`;
    const created = await send(gateway, PROVISION, { input: person(username, `workers-${randomUUID()}`) });
    expect(created.body['data']?.['provisionUser']).toEqual({ __typename: 'ProvisionUserPayload', user: { username } });
    const reads = await sendUntilAnotherWorker(gateway, created.pid, USER, { username });
    expect(reads.at(-1)?.pid).not.toBe(created.pid);
    for (const read of reads) expect(read.body['data']?.['user']).toEqual({ username, email: `${username}@acme.com` });
  });

  it('keeps an idempotency key across workers: the write replayed through the other worker is a replay', async () => {
    const input = person(`replayed.${randomUUID().slice(0, 8)}`, `workers-${randomUUID()}`);
    const first = await send(gateway, PROVISION, { input });
    expect(first.body['data']?.['provisionUser']?.['__typename']).toBe('ProvisionUserPayload');
    expect(first.headers[IDEMPOTENT_REPLAYED_HEADER.toLowerCase()]).toBeUndefined();
    const replays = await sendUntilAnotherWorker(gateway, first.pid, PROVISION, { input });
    expect(replays.at(-1)?.pid).not.toBe(first.pid);
    for (const replay of replays) {
      expect(replay.body['data']).toEqual(first.body['data']);
      expect(replay.headers[IDEMPOTENT_REPLAYED_HEADER.toLowerCase()]).toBe('true');
    }
  });

  it('replaces a worker that dies, and says so', async () => {
    const [victim] = gateway.workerPids();
    if (victim === undefined) throw new Error('no worker found');
    process.kill(victim, 'SIGKILL');
    const replaced = await gateway.line((line) => line['replaced'] === victim);
    expect(replaced).toMatchObject({ logger: 'lifecycle', pid: gateway.child.pid, msg: `worker ${replaced['worker']} serves in place of worker ${victim}` });
    expect(gateway.lines).toContainEqual(expect.objectContaining({ logger: 'lifecycle', worker: victim, signal: 'SIGKILL', msg: expect.stringMatching(/exited unexpectedly/) }));
    const workers = gateway.workerPids();
    expect(workers).toHaveLength(2);
    expect(workers).toContain(replaced['worker']);
    // The newcomer serves too.
    const answer = await sendUntilAnotherWorker(gateway, workers.find((pid) => pid !== replaced['worker']) as number, '{ __typename }');
    expect(answer.at(-1)?.pid).toBe(replaced['worker']);
  });
});

describe('WORKERS=2', () => {
  it('refuses to start without REDIS_URL: one fatal line naming WORKERS and REDIS_URL, exit 1', { timeout: 60_000 }, async () => {
    const gateway = new GatewayProcess({ WORKERS: '2' });
    expect(await gateway.exited).toBe(1);
    expect(gateway.notJson).toEqual([]);
    expect(gateway.lines).toEqual([
      expect.objectContaining({
        level: 60,
        logger: 'lifecycle',
        msg: 'Invalid configuration: REDIS_URL is required when WORKERS is more than 1 (it is 2): the workers share locks, idempotency keys and rate limits through it',
      }),
    ]);
  });

  it('that cannot start says why once, from the first worker, and the primary exits 1 without starting the others', { timeout: 60_000 }, async () => {
    const silent = await openSilentServer();
    try {
      const gateway = new GatewayProcess({ WORKERS: '2', REDIS_URL: silent.url });
      expect(await gateway.exited).toBe(1);
      expect(gateway.notJson).toEqual([]);
      const [reason, stopped, ...more] = gateway.lines;
      expect(reason).toMatchObject({ level: 60, logger: 'lifecycle', setting: 'REDIS_URL', msg: expect.stringMatching(/^REDIS_URL: Redis at .* did not answer PING/) });
      expect(reason?.pid).not.toBe(gateway.child.pid);
      expect(stopped).toMatchObject({
        level: 60,
        logger: 'lifecycle',
        pid: gateway.child.pid,
        msg: `the gateway could not start: worker ${reason?.pid} exited before it was ready (exit code 1)`,
      });
      expect(more).toEqual([]);
    } finally {
      await silent.close();
    }
  });

  it('on SIGTERM answers the queries under way in every worker, then every worker and the primary exit 0, none left behind', { timeout: 120_000 }, async () => {
    const simulators = await startSimulators();
    const gateway = new GatewayProcess({ WORKERS: '2', REDIS_URL: redis.url, LOG_LEVEL: 'info', AUTH_MODE: 'none', ...upstreamEnv(simulators) });
    try {
      const origin = await gateway.origin();
      const workers = gateway.workerPids();
      expect(workers).toHaveLength(2);
      // One query on each of two connections, held at gate: one in each worker. The primary hands
      // connections out round robin, a worker going to the back once it has taken one: the second
      // connection is opened only once the first one's query is held, so it goes to the other worker.
      simulators.injectFault('gate', { action: 'hold', path: '/user/', times: 2 });
      const connections = [new Client(origin), new Client(origin)];
      const queries: Promise<{ status: number; body: Json }>[] = [];
      for (const connection of connections) {
        queries.push(
          connection
            .request({ method: 'POST', path: '/graphql', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ query: '{ users(first: 2) { edges { node { username } } } }' }) })
            .then(async (response) => ({ status: response.statusCode, body: (await response.body.json()) as Json })),
        );
        await simulators.whenHeld('gate', queries.length);
      }
      gateway.child.kill('SIGTERM');
      await gateway.line((line) => line.logger === 'lifecycle' && line['signal'] === 'SIGTERM');
      await simulators.releaseHeld('gate');
      for (const answer of await Promise.all(queries)) {
        expect(answer.status).toBe(200);
        expect(answer.body['data']?.['users']?.['edges']).toHaveLength(2);
      }
      expect(await gateway.exited).toBe(0);
      // Read once every line was: a request's line may be written after its answer.
      const served = gateway.lines.filter((line) => line.logger === 'request').map((line) => line.pid);
      expect(new Set(served)).toEqual(new Set(workers));
      expect(gateway.lines.at(-1)).toMatchObject({ logger: 'lifecycle', pid: gateway.child.pid, msg: 'closed' });
      expect(workers.filter(isProcessAlive)).toEqual([]);
      await Promise.all(connections.map((connection) => connection.close()));
    } finally {
      await gateway.stop();
      await simulators.close();
    }
  });
});
