// The deadline and size cap of each exchange (call-path/deadline.ts), alone over a pool, against
// a server that holds its answers: what ends an exchange, and what error the handler above hears.
import { createServer } from 'node:net';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Pool, type Dispatcher } from 'undici';
import type { CallOptions } from '../../src/upstreams/call-path/call.ts';
import { deadline, type DeadlineSettings } from '../../src/upstreams/call-path/deadline.ts';
import { UpstreamError } from '../../src/upstreams/errors.ts';
import { callOptions, heldServer } from './support.ts';

type Exchanged = { status: number; body: string };

/** Dispatches through `deadline` alone and settles with what the handler above it heard. */
function exchange(origin: string, settings: Partial<DeadlineSettings>, options: CallOptions): Promise<Exchanged> {
  const pool = new Pool(origin);
  const dispatch = pool.compose(deadline({ upstream: 'gate', callMs: 10_000, maxResponseBytes: 1_000, ...settings }) as Dispatcher.DispatcherComposeInterceptor).dispatch;
  return new Promise<Exchanged>((resolve, reject) => {
    let status = 0;
    let body = '';
    dispatch(options, {
      onRequestStart() {},
      onResponseStart: (_controller, answered) => void (status = answered),
      onResponseData: (_controller, chunk) => void (body += chunk.toString()),
      onResponseEnd: () => resolve({ status, body }),
      onResponseError: (_controller, error) => reject(error),
    });
  }).finally(() => pool.destroy());
}

let server: Awaited<ReturnType<typeof heldServer>>;
beforeAll(async () => {
  server = await heldServer();
});
afterAll(() => server.close());

describe('the deadline', () => {
  it('ends an exchange whose body trickles on past the call timeout: UPSTREAM_TIMEOUT, naming the route, never the path', async () => {
    const exchanged = exchange(server.origin, { callMs: 50 }, callOptions('/api/record/7?secret=1', { route: '/record/{id}' }));
    const held = await server.next();
    held.response.writeHead(200, { 'content-type': 'application/json' }).write('[1,');
    const error = await exchanged.catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(UpstreamError);
    expect(error).toMatchObject({ code: 'UPSTREAM_TIMEOUT', message: 'gate did not answer GET /record/{id} within 50 ms', answerLost: false });
  });

  it('ends it at the request’s deadline when that comes first', async () => {
    const options = callOptions('/api/record/', { scope: { requestId: 'r', deadline: performance.now() + 30 } });
    const exchanged = exchange(server.origin, { callMs: 60_000 }, options);
    await server.next();
    const error = (await exchanged.catch((caught: unknown) => caught)) as UpstreamError;
    expect(error.code).toBe('UPSTREAM_TIMEOUT');
    expect(Number(/within (\d+) ms/.exec(error.message)?.[1])).toBeLessThanOrEqual(30);
  });

  it('leaves a write that was sent and not answered in time unknown (answerLost)', async () => {
    const exchanged = exchange(server.origin, { callMs: 50 }, callOptions('/api/record/', { method: 'POST', body: '{}' }));
    await server.next();
    await expect(exchanged).rejects.toMatchObject({ code: 'UPSTREAM_TIMEOUT', answerLost: true });
  });
});

describe('the size cap', () => {
  it('refuses a body whose Content-Length is past the cap, unread', async () => {
    const exchanged = exchange(server.origin, { maxResponseBytes: 10 }, callOptions('/api/list/'));
    (await server.next()).answer(200, { items: [1, 2, 3, 4, 5] });
    await expect(exchanged).rejects.toMatchObject({
      code: 'UPSTREAM_RESPONSE_TOO_LARGE',
      status: 200,
      message: 'gate answered /api/list/ with more than 10 bytes (UPSTREAM_MAX_RESPONSE_BYTES)',
    });
  });

  it('cuts off a body without a length as it passes the cap', async () => {
    const exchanged = exchange(server.origin, { maxResponseBytes: 10 }, callOptions('/api/list/'));
    const held = await server.next();
    held.response.writeHead(200, { 'content-type': 'application/json' });
    held.response.write('[1,2,3,4,');
    held.response.write('5,6,7]');
    await expect(exchanged).rejects.toMatchObject({ code: 'UPSTREAM_RESPONSE_TOO_LARGE' });
  });

  it('passes a body within the cap through as it came', async () => {
    const exchanged = exchange(server.origin, { maxResponseBytes: 10 }, callOptions('/api/list/'));
    (await server.next()).answer(404, [1, 2, 3]);
    await expect(exchanged).resolves.toEqual({ status: 404, body: '[1,2,3]' });
  });
});

describe('no answer', () => {
  it('is UPSTREAM_UNREACHABLE when the connection is reset, and a write sent before it unknown', async () => {
    const resetting = createServer((socket) => socket.once('data', () => socket.resetAndDestroy()));
    await new Promise<void>((resolve) => resetting.listen(0, '127.0.0.1', resolve));
    const origin = `http://127.0.0.1:${(resetting.address() as AddressInfo).port}`;
    try {
      await expect(exchange(origin, {}, callOptions('/api/record/', { method: 'POST', body: '{}' }))).rejects.toMatchObject({
        code: 'UPSTREAM_UNREACHABLE',
        message: 'gate could not be reached',
        answerLost: true,
      });
      await expect(exchange(origin, {}, callOptions('/api/record/'))).rejects.toMatchObject({ code: 'UPSTREAM_UNREACHABLE', answerLost: false });
    } finally {
      resetting.close();
    }
  });

  it('is UPSTREAM_UNREACHABLE, nothing sent, when nothing listens', async () => {
    const closed = createServer();
    await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
    const origin = `http://127.0.0.1:${(closed.address() as AddressInfo).port}`;
    await new Promise((resolve) => closed.close(resolve));
    await expect(exchange(origin, {}, callOptions('/api/record/', { method: 'POST', body: '{}' }))).rejects.toMatchObject({ code: 'UPSTREAM_UNREACHABLE', answerLost: false });
  });
});
