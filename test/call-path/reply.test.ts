// Where bytes become a reply (call-path/reply.ts), over a pool, against a server that holds its
// answers: the body parsed once, and judged by status and by the upstream's own refusals.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RefusalReader } from '../../src/upstreams/http.ts';
import { callOptions, heldServer, replyPath } from './support.ts';

/** Refuses, as switch does, a body that says `success: false`, whatever the status. */
const refusal: RefusalReader = (status, body) =>
  (body as { success?: boolean } | undefined)?.success === false ? { code: status === 200 ? 'UPSTREAM_ERROR' : undefined, message: 'refused' } : undefined;

let server: Awaited<ReturnType<typeof heldServer>>;
let path: ReturnType<typeof replyPath>;
beforeAll(async () => {
  server = await heldServer();
  path = replyPath(server.origin, [], { refusal });
});
afterAll(async () => {
  await path.close();
  await server.close();
});

/** Sends one call, answers it as given, and settles with what the call ended with. */
async function answered(status: number, body?: unknown, headers?: Record<string, string>) {
  const reply = path.call(callOptions('/api/user/7', { route: '/user/{id}' }));
  (await server.next()).answer(status, body, headers);
  return reply.catch((error: unknown) => error);
}

describe('the reply', () => {
  it('is a 2xx’s JSON body, with its status, headers and the URL requested', async () => {
    await expect(answered(200, { id: 7 }, { link: '</api/user/8>; rel="next"' })).resolves.toMatchObject({
      status: 200,
      body: { id: 7 },
      headers: { link: '</api/user/8>; rel="next"' },
      url: `${server.origin}/api/user/7`,
    });
  });

  it('has no body when the upstream sent none', async () => {
    await expect(answered(204)).resolves.toMatchObject({ status: 204, body: undefined });
  });
});

describe('the judgement', () => {
  it('names each refused status by its code, naming the route, with Retry-After in seconds', async () => {
    const cases: [number, string][] = [
      [400, 'UPSTREAM_BAD_REQUEST'],
      [401, 'UPSTREAM_UNAUTHENTICATED'],
      [403, 'UPSTREAM_FORBIDDEN'],
      [404, 'UPSTREAM_NOT_FOUND'],
      [409, 'UPSTREAM_CONFLICT'],
      [422, 'UPSTREAM_BAD_REQUEST'],
      [429, 'UPSTREAM_RATE_LIMITED'],
      [500, 'UPSTREAM_ERROR'],
      [503, 'UPSTREAM_ERROR'],
    ];
    for (const [status, code] of cases) {
      await expect(answered(status, { detail: 'no' })).resolves.toMatchObject({ code, status, message: `gate answered ${status} to GET /user/{id}` });
    }
    await expect(answered(429, undefined, { 'retry-after': '3' })).resolves.toMatchObject({ retryAfterSeconds: 3 });
  });

  it('reads the upstream’s refusal in a body, whatever the status', async () => {
    await expect(answered(200, { success: false })).resolves.toMatchObject({ code: 'UPSTREAM_ERROR', status: 200, message: 'refused' });
    await expect(answered(401, { success: false })).resolves.toMatchObject({ code: 'UPSTREAM_UNAUTHENTICATED', status: 401, message: 'refused' });
  });

  it('refuses a 2xx body that is not JSON (UPSTREAM_BAD_RESPONSE); a failure’s need not be', async () => {
    await expect(answered(200, '<html>')).resolves.toMatchObject({ code: 'UPSTREAM_BAD_RESPONSE', status: 200, message: 'gate sent a body that is not JSON' });
    await expect(answered(502, '<html>bad gateway')).resolves.toMatchObject({ code: 'UPSTREAM_ERROR', status: 502 });
  });
});
