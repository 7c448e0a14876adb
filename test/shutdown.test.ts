// Graceful shutdown of the real gateway process (issue #12, section 4): SIGTERM while a query runs.
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { setTimeout as sleep } from 'node:timers/promises';
import { Client } from 'undici';
import { afterEach, describe, expect, it } from 'vitest';
import { startSimulators, type Simulators } from '../src/simulators/index.ts';
import { upstreamEnv } from './support/harness.ts';
import { environmentWithoutSettings } from './support/gateway-process.ts';

const SLOW = 'query Slow { users(first: 2) { edges { node { username } } } }';

let simulators: Simulators | undefined;
let gateway: ChildProcess | undefined;
afterEach(async () => {
  if (gateway && gateway.exitCode === null && gateway.signalCode === null) {
    gateway.kill('SIGKILL');
    await once(gateway, 'exit');
  }
  await simulators?.close();
});

/** The gateway as production runs it (`node src/index.ts`, no npm in between); answers its origin. */
async function startGatewayProcess(env: NodeJS.ProcessEnv): Promise<{ process: ChildProcess; origin: string; output: () => string }> {
  const child = spawn(process.execPath, ['src/index.ts'], {
    env: { ...environmentWithoutSettings(), HOST: '127.0.0.1', PORT: '0', LOG_LEVEL: 'warn', AUTH_MODE: 'none', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  // Read on to the end (a pipe nobody reads breaks the gateway's writes when it closes).
  child.stdout?.on('data', (chunk) => (output += String(chunk)));
  child.stderr?.on('data', (chunk) => (output += String(chunk)));
  const origin = await new Promise<string>((resolve, reject) => {
    child.stdout?.on('data', () => {
      const ready = /ready: (http:\/\/[^/\s]+)\/graphql/.exec(output);
      if (ready?.[1]) resolve(ready[1]);
    });
    child.once('exit', () => reject(new Error(`the gateway exited before it was ready:\n${output}`)));
  });
  return { process: child, origin, output: () => output };
}

async function until(condition: () => boolean, what: string): Promise<void> {
  for (let waited = 0; !condition(); waited += 10) {
    if (waited > 20_000) throw new Error(`still waiting for ${what}`);
    await sleep(10);
  }
}

describe('on SIGTERM the gateway', () => {
  it('turns not ready, refuses new connections, answers the query under way, closes everything and exits 0', { timeout: 60_000 }, async () => {
    simulators = await startSimulators();
    const started = await startGatewayProcess(upstreamEnv(simulators));
    gateway = started.process;
    // The query's first upstream call is held up for a while at gate.
    simulators.injectFault('gate', { action: 'delay', ms: 1500, path: '/user/' });
    simulators.resetRequests();

    // One keep-alive connection, opened before the signal: requests on it are pipelined, so the
    // one asked after the signal reaches the gateway while the query is still under way.
    const connection = new Client(started.origin, { pipelining: 2 });
    try {
      const query = connection.request({
        method: 'GET',
        path: `/graphql?query=${encodeURIComponent(SLOW)}`,
        headers: { accept: 'application/json', 'x-graphql-yoga-csrf': '1' },
      });
      await until(() => simulators?.requests.some((request) => request.upstream === 'gate') ?? false, 'the query to reach gate');

      gateway.kill('SIGTERM');
      await until(() => started.output().includes('SIGTERM received'), 'the gateway to hear SIGTERM');
      const readiness = connection.request({ method: 'GET', path: '/readyz' });

      // A new connection is refused: the server no longer listens.
      const refused = await fetch(`${started.origin}/healthz`).then(
        () => undefined,
        (error: unknown) => (error as { cause?: { code?: string } }).cause?.code,
      );
      expect(refused).toBe('ECONNREFUSED');

      const answer = await query;
      expect(answer.statusCode).toBe(200);
      const body = (await answer.body.json()) as { data?: { users: { edges: { node: { username: string } }[] } }; errors?: unknown };
      expect(body.errors).toBeUndefined();
      expect(body.data?.users.edges).toHaveLength(2);

      const ready = await readiness;
      expect(ready.statusCode).toBe(503);
      expect(await ready.body.json()).toMatchObject({ ready: false, shuttingDown: true });

      const [code] = (await once(gateway, 'exit')) as [number | null];
      expect(code).toBe(0);
      expect(started.output()).toContain('closed');
    } finally {
      await connection.destroy();
    }
  });

  it('closes idle keep-alive connections and exits 0 when nothing is under way', { timeout: 60_000 }, async () => {
    simulators = await startSimulators();
    const started = await startGatewayProcess(upstreamEnv(simulators));
    gateway = started.process;
    const connection = new Client(started.origin);
    try {
      const disconnected = once(connection, 'disconnect');
      const health = await connection.request({ method: 'GET', path: '/healthz' });
      expect(await health.body.json()).toEqual({ status: 'ok' });
      gateway.kill('SIGTERM');
      const [code] = (await once(gateway, 'exit')) as [number | null];
      expect(code).toBe(0);
      // The server, not the client, ended the idle connection.
      await disconnected;
    } finally {
      await connection.destroy();
    }
  });
});
