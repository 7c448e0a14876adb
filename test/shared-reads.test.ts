// Identical reads in flight at once share one upstream call (UpstreamHttp), against a server
// whose answers the test holds and releases: who shares, who does not, and whose deadline counts.
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { UpstreamError, UpstreamHttp, type CallScope, type UpstreamEndpoint } from '../src/upstreams/http.ts';

/** A record whose `version` each POST raises; GETs are answered when the test releases them. */
let version = 0;
let held: (() => void)[] = [];
const seen: string[] = [];
const server = createServer((request: IncomingMessage, response: ServerResponse) => {
  seen.push(`${request.method} ${request.url}`);
  request.resume();
  request.on('end', () => {
    if (request.method === 'POST') version++;
    const atRequest = version;
    const answer = () => response.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ version: atRequest }));
    if (request.method === 'GET' && request.url !== '/api/probe') held.push(answer);
    else answer();
  });
});

const endpoint = (origin: string, shareReads = true): UpstreamEndpoint => ({
  baseUrl: `${origin}/api`,
  headers: {},
  connections: 8,
  timeouts: { callMs: 10_000, connectMs: 1_000, headersMs: 10_000, bodyMs: 10_000 },
  policy: { retry: { retries: 0, baseDelayMs: 1, maxDelayMs: 1 }, breaker: { failureRatio: 0.99, windowMs: 1_000, minimumCalls: 1_000_000, halfOpenAfterMs: 1_000 }, bulkhead: { maxInFlight: 8, maxQueued: 8 } },
  maxResponseBytes: 1_000_000,
  shareReads,
});

let origin = '';
let http: UpstreamHttp;
const shared: string[] = [];
beforeAll(async () => {
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  http = new UpstreamHttp('gate', endpoint(origin), { baseProbe: { route: '/probe' } }, { readShared: (_upstream, route) => shared.push(route) });
});
afterAll(async () => {
  await http.close();
  await new Promise((resolve) => server.close(resolve));
});
beforeEach(() => {
  seen.length = 0;
  shared.length = 0;
  held = [];
});

const scope = (deadlineMs = 5_000, requestId = 'r'): CallScope => ({ requestId, deadline: performance.now() + deadlineMs });
const READ = { route: '/record/' };
/** Waits until the server holds `count` reads, then answers them. */
async function release(count: number): Promise<void> {
  while (held.length < count) await sleep(2);
  for (const answer of held.splice(0)) answer();
}

describe('shared reads', () => {
  it('one call answers identical reads in flight at once; another query string is its own read', async () => {
    const reads = [http.request(READ, scope(5_000, 'first')), http.request(READ, scope(5_000, 'second')), http.request({ ...READ, query: { page: 2 } }, scope())];
    await release(2);
    const replies = await Promise.all(reads);
    expect(replies.map((reply) => reply.body)).toEqual([{ version }, { version }, { version }]);
    expect(seen).toEqual(['GET /api/record/', 'GET /api/record/?page=2']);
    expect(shared).toEqual(['/record/']);
  });

  it('a fresh read (one a write is computed from) goes upstream itself, never joining a read in flight', async () => {
    const queryRead = http.request(READ, scope(5_000, 'query'));
    const lockedRead = http.request(READ, { ...scope(5_000, 'under-lock'), fresh: true });
    await release(2);
    await Promise.all([queryRead, lockedRead]);
    expect(seen).toEqual(['GET /api/record/', 'GET /api/record/']);
    expect(shared).toEqual([]);
  });

  it('a read begun after a write was sent is not answered by one begun before it', async () => {
    const before = http.request(READ, scope());
    const write = http.request({ method: 'POST', route: '/record/', body: {} }, scope());
    const after = http.request(READ, scope());
    await write;
    const afterWrite = http.request(READ, scope());
    await release(3);
    const written = version;
    expect((await afterWrite).body).toEqual({ version: written });
    await Promise.all([before, after]);
    expect(seen.filter((line) => line.startsWith('GET'))).toHaveLength(3);
  });

  it('a reader waits no longer than its own deadline; the shared call goes on for the others', async () => {
    const long = http.request(READ, scope(5_000));
    const short = http.request(READ, scope(50));
    await expect(short).rejects.toMatchObject({ code: 'UPSTREAM_TIMEOUT' });
    await release(1);
    expect((await long).body).toEqual({ version });
    expect(seen).toHaveLength(1);
  });

  it('a reader whose deadline outlasts a shared call that timed out asks again on its own', async () => {
    const short = http.request(READ, scope(50));
    const long = http.request(READ, scope(5_000));
    await expect(short).rejects.toBeInstanceOf(UpstreamError);
    await release(2);
    expect((await long).body).toEqual({ version });
    expect(seen).toEqual(['GET /api/record/', 'GET /api/record/']);
  });

  it('are each their own call with sharing off (UPSTREAM_SHARE_READS=false)', async () => {
    const unshared = new UpstreamHttp('gate', endpoint(origin, false), { baseProbe: { route: '/probe' } });
    try {
      const reads = [unshared.request(READ, scope()), unshared.request(READ, scope())];
      await release(2);
      await Promise.all(reads);
      expect(seen).toEqual(['GET /api/record/', 'GET /api/record/']);
    } finally {
      await unshared.close();
    }
  });
});
