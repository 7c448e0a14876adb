import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, describe, expect, it } from 'vitest';
import { UserRelationsDocument, UsersPageDocument } from './generated/graphql.ts';
import { harnessPerTest, type GraphQLResult } from './support/harness.ts';
import { EVERYWHERE_USERNAME } from '../src/simulators/index.ts';
import { gateHeaders } from '../src/server/config.ts';

const harnessWith = harnessPerTest();

/** A stand-in gate that answers every call with the given status and body, or never answers. */
async function fakeUpstream(status: number, body: string | 'never'): Promise<{ url: string; server: Server }> {
  const server = createServer((_request, response) => {
    if (body === 'never') return;
    response.writeHead(status, { 'content-type': 'application/json' });
    response.end(body);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  fakes.push(server);
  return { url: `http://127.0.0.1:${port}/api/v1`, server };
}
const fakes: Server[] = [];
afterAll(() =>
  Promise.all(
    fakes.map((server) => {
      server.closeAllConnections();
      return new Promise((resolve) => server.close(resolve));
    }),
  ),
);

function expectNoLeak(result: unknown, ...secrets: string[]) {
  const text = JSON.stringify(result);
  expect(text).not.toMatch(/stack|at .*\.ts:\d+/);
  for (const secret of secrets) expect(text).not.toContain(secret);
}

describe('upstream failures become GraphQL errors with stable codes', () => {
  it('names a refused gate token UPSTREAM_UNAUTHENTICATED without showing the token', async () => {
    const harness = await harnessWith({ override: { gate: { headers: gateHeaders('wrong-gate-secret') } } });
    const result = await harness.execute(UsersPageDocument, { first: 2 });
    expect(result.data).toEqual({ users: null });
    expect(result.errors?.[0]).toMatchObject({
      path: ['users'],
      locations: [{ line: 2, column: 3 }],
      extensions: { code: 'UPSTREAM_UNAUTHENTICATED', upstream: 'gate', upstreamStatus: 401 },
    });
    expectNoLeak(result, 'wrong-gate-secret');
  });

  it('reads switch`s success:false envelope (sent with HTTP 200) as a refusal, keeping the rest of the answer', async () => {
    const harness = await harnessWith({ override: { switch: { headers: { 'x-auth-token': 'wrong-switch-secret' } } } });
    const result = await harness.execute(UserRelationsDocument, { username: EVERYWHERE_USERNAME });
    expect(result.data?.user?.username).toBe(EVERYWHERE_USERNAME);
    expect(result.data?.user?.token).not.toBeNull();
    expect(result.data?.user?.switchAccount).toBeNull();
    expect(result.errors).toHaveLength(1);
    expect(result.errors?.[0]).toMatchObject({
      path: ['user', 'switchAccount'],
      extensions: { code: 'UPSTREAM_UNAUTHENTICATED', upstream: 'switch' },
    });
    expectNoLeak(result, 'wrong-switch-secret');
  });

  it('names refused edge credentials on every edge field, and only there', async () => {
    const basic = `Basic ${Buffer.from('admin:wrong-edge-secret').toString('base64')}`;
    const harness = await harnessWith({ override: { edge: { headers: { authorization: basic } } } });
    const result = await harness.execute(UserRelationsDocument, { username: EVERYWHERE_USERNAME });
    expect(result.data?.user?.switchAccount).not.toBeNull();
    const failed = result.errors?.map((error) => error.path?.join('.')).sort();
    expect(failed).toEqual(['user.accessTokens', 'user.edgeAccount', 'user.loginHistory']);
    expect(new Set(result.errors?.map((error) => error.extensions?.['code']))).toEqual(new Set(['UPSTREAM_UNAUTHENTICATED']));
    expectNoLeak(result, 'wrong-edge-secret', basic);
  });

  it('names an upstream that cannot be reached UPSTREAM_UNREACHABLE', async () => {
    const closed = await fakeUpstream(200, '{}');
    await new Promise((resolve) => closed.server.close(resolve));
    const harness = await harnessWith({ override: { gate: { url: closed.url } } });
    const result = await harness.execute(UsersPageDocument, { first: 1 });
    expect(result.errors?.[0]?.extensions).toMatchObject({ code: 'UPSTREAM_UNREACHABLE', upstream: 'gate' });
    expectNoLeak(result, closed.url);
  });

  // With the default timeout (10 s) this would outlive the test's own 5 s limit.
  it('gives up on an upstream that does not answer within UPSTREAM_TIMEOUT_MS: UPSTREAM_TIMEOUT, not UPSTREAM_UNREACHABLE', { timeout: 5_000 }, async () => {
    const silent = await fakeUpstream(200, 'never');
    const harness = await harnessWith({ override: { gate: { url: silent.url } }, env: { UPSTREAM_TIMEOUT_MS: '300' } });
    const result = await harness.execute(UsersPageDocument, { first: 1 });
    expect(result.errors?.[0]?.extensions).toMatchObject({ code: 'UPSTREAM_TIMEOUT', upstream: 'gate' });
  });

  it('names a payload that breaks the documented shape UPSTREAM_BAD_RESPONSE, and a 5xx UPSTREAM_ERROR', async () => {
    const malformed = await fakeUpstream(200, JSON.stringify({ count: 'many', results: [{ password: 'leaked-password' }] }));
    const broken = await harnessWith({ override: { gate: { url: malformed.url } } });
    const result = await broken.execute(UsersPageDocument, { first: 1 });
    expect(result.errors?.[0]?.extensions).toMatchObject({ code: 'UPSTREAM_BAD_RESPONSE', upstream: 'gate' });
    expect(result.errors?.[0]?.message).toMatch(/gate sent an unexpected user list \(count: /);
    expectNoLeak(result, 'leaked-password');

    const failing = await fakeUpstream(503, JSON.stringify({ detail: 'internal detail: db password=hunter2' }));
    const unavailable = await harnessWith({ override: { gate: { url: failing.url } } });
    const outage = await unavailable.execute(UsersPageDocument, { first: 1 });
    expect(outage.errors?.[0]?.extensions).toMatchObject({ code: 'UPSTREAM_ERROR', upstream: 'gate', upstreamStatus: 503 });
    expectNoLeak(outage, 'hunter2');
  });

  it('gives bad input a clear message and BAD_USER_INPUT', async () => {
    const harness = await harnessWith({});
    const tooMany = await harness.execute(UsersPageDocument, { first: 10_000 });
    expect(tooMany.errors?.[0]).toMatchObject({
      message: '`first` may be at most 500 (got 10000); page through the list with cursors instead.',
      extensions: { code: 'BAD_USER_INPUT' },
    });
    const invalid = await harness.execute('{ users(first: "ten") { totalCount } }');
    expect(invalid.errors?.[0]?.message).toMatch(/Int cannot represent/);
  });
});

describe('a 404 from a wrong base URL is not a missing record', () => {
  const wrongPrefix = (url: string, prefix: string) => `${new URL(url).origin}${prefix}`;

  it('names a gate base URL without its API prefix UPSTREAM_MISCONFIGURED, on lookups and lists alike', async () => {
    const probe = await harnessWith({});
    const harness = await harnessWith({ override: { gate: { url: wrongPrefix(probe.simulators.gate.url, '/api') } } });
    const lookup = await harness.execute(UserRelationsDocument, { username: EVERYWHERE_USERNAME });
    expect(lookup.errors?.[0]).toMatchObject({
      path: ['user'],
      message: 'gate answers 404 for /user/ itself: GATE_URL lacks or misnames the API prefix',
      extensions: { code: 'UPSTREAM_MISCONFIGURED', upstream: 'gate' },
    });
    const list = await harness.execute(UsersPageDocument, { first: 1 });
    expect(list.errors?.[0]?.extensions).toMatchObject({ code: 'UPSTREAM_MISCONFIGURED', upstream: 'gate' });
  });

  it('does the same for edge and switch', async () => {
    const probe = await harnessWith({});
    const harness = await harnessWith({
      override: {
        edge: { url: wrongPrefix(probe.simulators.edge.url, '/') },
        switch: { url: wrongPrefix(probe.simulators.switch.url, '/v2') },
      },
    });
    const result = await harness.execute(UserRelationsDocument, { username: EVERYWHERE_USERNAME });
    expect(result.data?.user?.token?.username).toBe(EVERYWHERE_USERNAME);
    const byPath = Object.fromEntries((result.errors ?? []).map((error) => [error.path?.join('.'), error.extensions?.['code']]));
    expect(byPath).toEqual({
      'user.edgeAccount': 'UPSTREAM_MISCONFIGURED',
      'user.accessTokens': 'UPSTREAM_MISCONFIGURED',
      'user.loginHistory': 'UPSTREAM_MISCONFIGURED',
      'user.switchAccount': 'UPSTREAM_MISCONFIGURED',
    });
  });

  it('answers null for a missing record once the base URL has proved right, probing it at most once', async () => {
    const harness = await harnessWith({});
    harness.simulators.resetRequests();
    expect(await harness.data('{ user(username: "no.such.person") { username } }')).toEqual({ user: null });
    expect(harness.requests().map((request) => request.path)).toEqual(['/api/v1/user/username/no.such.person/', '/api/v1/user/']);
    harness.simulators.resetRequests();
    expect(await harness.data('{ user(username: "nobody.else") { username } }')).toEqual({ user: null });
    expect(harness.requests()).toHaveLength(1);
  });
});

describe('a payload that lacks or mistypes a required field', () => {
  it('fails only the fields that read it, UPSTREAM_BAD_RESPONSE, naming the key and never its value', async () => {
    const harness = await harnessWith({
      reshape: {
        // gate's user token names itself by a string id; its docs give an integer.
        gate: {
          body: (body, url) => {
            if (!url.pathname.endsWith('/user_token/')) return body;
            const page = body as { results: Record<string, unknown>[] };
            return { ...page, results: page.results.map((token) => ({ ...token, id: 'required-marker-id' })) };
          },
        },
        // switch's items come without their `name`.
        switch: {
          body: (body) => {
            const envelope = body as { payload: { items: Record<string, unknown>[] } };
            envelope.payload.items = envelope.payload.items.map(({ name: _name, ...item }) => ({ ...item, email: 'required-marker@example.com' }));
            return envelope;
          },
        },
      },
    });
    const result = (await harness.execute(
      `query($username: String!) {
        user(username: $username) { username email edgeAccount { username } token { username } switchAccount { name } }
      }`,
      { username: EVERYWHERE_USERNAME },
    )) as GraphQLResult<{ user: Record<string, unknown> | null }>;
    expect(result.data?.user).toMatchObject({ username: EVERYWHERE_USERNAME, email: expect.any(String), edgeAccount: { username: EVERYWHERE_USERNAME }, token: null, switchAccount: null });
    const failures = Object.fromEntries((result.errors ?? []).map((error) => [error.path?.join('.'), [error.extensions?.['code'], error.extensions?.['upstream'], error.message]]));
    expect(failures).toEqual({
      'user.token': ['UPSTREAM_BAD_RESPONSE', 'gate', expect.stringMatching(/^gate sent an unexpected user token list \(results\.0\.id: /)],
      'user.switchAccount': ['UPSTREAM_BAD_RESPONSE', 'switch', expect.stringMatching(/^switch sent an unexpected user page \(items\.0\.name: /)],
    });
    expectNoLeak(result, 'required-marker');
  });

  it('checks a login history that came in one page only as far as it is read: records past the page served never fail it', async () => {
    const harness = await harnessWith({
      reshape: {
        // From the third on, login attempts say whether they succeeded in words, where the docs give a boolean.
        edge: {
          body: (body, url) => {
            if (!url.pathname.endsWith('/history/') || !Array.isArray(body)) return body;
            return body.map((attempt: Record<string, unknown>, index) => (index < 2 ? attempt : { ...attempt, success: 'required-marker-yes' }));
          },
        },
      },
    });
    const history = (first: number) =>
      harness.execute(`query($username: String!, $first: Int!) { user(username: $username) { loginHistory(first: $first) { totalCount edges { node { success } } } } }`, {
        username: EVERYWHERE_USERNAME,
        first,
      }) as Promise<GraphQLResult<{ user: { loginHistory: { totalCount: number; edges: unknown[] } | null } | null }>>;
    const firstTwo = await history(2);
    expect(firstTwo.errors).toBeUndefined();
    expect(firstTwo.data?.user?.loginHistory?.edges).toHaveLength(2);
    expect(firstTwo.data?.user?.loginHistory?.totalCount).toBeGreaterThan(2);
    const firstThree = await history(3);
    expect(firstThree.data?.user?.loginHistory).toBeNull();
    expect(firstThree.errors?.map((error) => [error.path?.join('.'), error.extensions?.['code'], error.message])).toEqual([
      ['user.loginHistory', 'UPSTREAM_BAD_RESPONSE', expect.stringMatching(/^edge sent an unexpected login history \(2\.success: /)],
    ]);
    expectNoLeak(firstThree, 'required-marker');
  });
});
