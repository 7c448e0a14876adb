import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { createServer, connect, type AddressInfo, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { setTimeout as sleep } from 'node:timers/promises';
import { createSharedState } from '../../src/state/index.ts';

export interface TestRedis {
  url: string;
  /** Stops the redis-server this module started; leaves a REDIS_URL server alone. */
  stop(): Promise<void>;
}

/**
 * A real Redis for the tests, never a mock and never a skip: REDIS_URL when it answers PING (CI
 * starts one), else a throwaway redis-server of our own on a free port.
 */
export async function startTestRedis(): Promise<TestRedis> {
  let refusal = '';
  const given = process.env.REDIS_URL;
  if (given) {
    const problem = await pingProblem(given);
    if (problem === undefined) return { url: given, stop: async () => {} };
    refusal = `REDIS_URL did not answer (${problem}), and `;
  }
  try {
    return await spawnRedisServer();
  } catch (error) {
    const reason = error instanceof Error ? error.message : String(error);
    throw new Error(
      `${refusal}no redis-server could be started (${reason}). The state tests need a real Redis: ` +
        'install it with `apt-get install -y redis-server`, or set REDIS_URL to one that is running.',
    );
  }
}

/** Asks through the code under test, which PINGs at start: what it says is the reason to show. */
async function pingProblem(url: string): Promise<string | undefined> {
  try {
    const state = await createSharedState({ redisUrl: url, redisTimeoutMs: 1_000 });
    await state.close();
    return undefined;
  } catch (error) {
    return error instanceof Error ? error.message : String(error);
  }
}

/**
 * A redis-server of this test's own, always (never REDIS_URL), run as `.ci/run` runs one (no
 * persistence): for tests that restart it and see what a Redis that comes back empty does.
 */
export async function startOwnRedis(): Promise<TestRedis & { restart(): Promise<void> }> {
  const port = await freePort();
  let running = await spawnRedisServer(port);
  return {
    url: running.url,
    stop: () => running.stop(),
    async restart() {
      await running.stop();
      running = await spawnRedisServer(port);
    },
  };
}

async function spawnRedisServer(port?: number): Promise<TestRedis> {
  port ??= await freePort();
  const child = spawn('redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'], {
    cwd: tmpdir(),
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  const collect = (chunk: Buffer) => (output = (output + chunk.toString()).slice(-2_000));
  child.stdout.on('data', collect);
  child.stderr.on('data', collect);
  const killOnExit = () => child.kill('SIGKILL');
  process.once('exit', killOnExit);
  const stop = async () => {
    process.off('exit', killOnExit);
    if (child.exitCode !== null || child.signalCode !== null) return;
    child.kill('SIGTERM');
    await once(child, 'exit');
  };

  const url = `redis://127.0.0.1:${port}`;
  const failed = new Promise<never>((_, reject) => {
    child.once('error', reject);
    child.once('exit', (code, signal) => reject(new Error(`redis-server exited (${signal ?? code}): ${output.trim()}`)));
  });
  const ready = (async () => {
    for (let tries = 0; tries < 100; tries++) {
      if ((await pingProblem(url)) === undefined) return { url, stop };
      await sleep(50);
    }
    throw new Error(`redis-server did not answer PING within 5 s: ${output.trim()}`);
  })();
  try {
    return await Promise.race([ready, failed]);
  } catch (error) {
    await stop();
    throw error;
  } finally {
    failed.catch(() => {}); // an exit after start is reported by the calls that then fail
  }
}

/** A loopback port nothing listens on (for the moment): connections to it are refused. */
export async function freePort(): Promise<number> {
  const listener = await listenOnLoopback(() => {});
  await listener.close();
  return listener.port;
}

export interface RedisProxy {
  /** The Redis URL with the proxy's address in place of the server's. */
  url: string;
  /** Drops every connection and refuses new ones, as a Redis that went away would. */
  cut(): Promise<void>;
  /** Holds what clients send, as a Redis that stalls would: nothing reaches it until `resume`. */
  stall(): void;
  /** Holds Redis's replies back from now on: to its clients Redis hangs (it takes commands and never answers). */
  hang(): void;
  /** Sends on what was held (commands, then replies), in order, and everything after it. */
  resume(): void;
  /** Everything the clients sent through the proxy, as text: the commands, in RESP. */
  sent(): string;
}

/** A TCP hop in front of Redis, to take Redis away from one client without touching the server. */
export async function openRedisProxy(redisUrl: string): Promise<RedisProxy> {
  const target = new URL(redisUrl);
  let sent = '';
  let heldCommands: (() => void)[] | undefined;
  let heldReplies: (() => void)[] | undefined;
  const listener = await listenOnLoopback((client) => {
    const upstream = connect(Number(target.port || 6379), target.hostname);
    upstream.on('error', () => client.destroy());
    client.on('data', (chunk: Buffer) => {
      sent += chunk.toString('latin1');
      if (heldCommands) heldCommands.push(() => upstream.write(chunk));
      else upstream.write(chunk);
    });
    upstream.on('data', (chunk: Buffer) => (heldReplies ? heldReplies.push(() => client.write(chunk)) : client.write(chunk)));
    client.on('close', () => upstream.destroy());
    upstream.on('close', () => client.destroy());
  });
  const url = new URL(redisUrl);
  url.hostname = '127.0.0.1';
  url.port = String(listener.port);
  return {
    url: url.toString(),
    cut: listener.close,
    stall: () => (heldCommands ??= []),
    hang: () => (heldReplies ??= []),
    resume: () => {
      const held = [...(heldCommands ?? []), ...(heldReplies ?? [])];
      heldCommands = heldReplies = undefined;
      for (const deliver of held) deliver();
    },
    sent: () => sent,
  };
}

export interface SilentServer {
  /** A redis:// URL to a server that accepts connections and never answers. */
  url: string;
  close(): Promise<void>;
}

/** Stands in for a Redis that hangs (or a firewall that drops replies): the case timeouts are for. */
export async function openSilentServer(): Promise<SilentServer> {
  const listener = await listenOnLoopback(() => {});
  return { url: `redis://127.0.0.1:${listener.port}`, close: listener.close };
}

/** A TCP server on a free loopback port whose `close` also drops the connections it accepted. */
async function listenOnLoopback(onConnection: (socket: Socket) => void): Promise<{ port: number; close(): Promise<void> }> {
  const sockets = new Set<Socket>();
  const server = createServer((socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    socket.on('error', () => socket.destroy());
    onConnection(socket);
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as AddressInfo;
  return {
    port,
    close: async () => {
      const closed = once(server, 'close');
      server.close();
      for (const socket of sockets) socket.destroy();
      await closed;
    },
  };
}
