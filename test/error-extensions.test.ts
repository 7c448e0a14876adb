import { randomUUID } from 'node:crypto';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { generateKeyPair, SignJWT } from 'jose';
import { createSchema, createYoga } from 'graphql-yoga';
import type { GraphQLFormattedError } from 'graphql';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { maskGatewayError } from '../src/server/errors.ts';
import { useRequestId } from '../src/server/plugins/use-request-id.ts';
import { EVERYWHERE_USERNAME, SIMULATOR_CREDENTIALS } from '../src/simulators/index.ts';
import { apiKey } from './support/credentials.ts';
import { harnessPerTest, startHarness, type Harness } from './support/harness.ts';

interface Answer {
  status: number;
  /** The response's `x-request-id`. */
  echoed: string | null;
  text: string;
  errors: GraphQLFormattedError[];
}

/** One request as a client sends it, with its own `x-request-id`. */
async function send(harness: Harness, id: string, init: { method?: string; body?: string; headers?: Record<string, string>; search?: string }): Promise<Answer> {
  const response = await harness.yoga.fetch(`http://gateway.test/graphql${init.search ?? ''}`, {
    method: init.method ?? 'POST',
    // A GET carries no content type: one would make it a request that needs a preflight (no CSRF check).
    headers: { ...(init.method === 'GET' ? {} : { 'content-type': 'application/json' }), accept: 'application/graphql-response+json', 'x-request-id': id, ...init.headers },
    body: init.body,
  });
  const text = await response.text();
  const parsed = JSON.parse(text) as { errors?: GraphQLFormattedError[] };
  return { status: response.status, echoed: response.headers.get('x-request-id'), text, errors: parsed.errors ?? [] };
}

const post = (query: string, variables?: Record<string, unknown>) => ({ body: JSON.stringify({ query, variables }) });

/** Every error of the answer carries a code and the request's id, which the response echoes too. */
function expectIdOnEveryError(answer: Answer, id: string, code: string): void {
  expect(answer.errors.length).toBeGreaterThan(0);
  expect(answer.echoed).toBe(id);
  for (const error of answer.errors) expect(error.extensions).toMatchObject({ code: expect.any(String), requestId: id });
  expect(answer.errors.map((error) => error.extensions?.['code'])).toContain(code);
}

describe('extensions.requestId on every error', () => {
  let harness: Harness;
  beforeAll(async () => {
    harness = await startHarness({ env: { QUERY_MAX_DEPTH: '6', MAX_REQUEST_BYTES: '2048', MAX_UPSTREAM_CALLS: '50' } });
  });
  afterAll(() => harness.close());

  it.each([
    ['an upstream failure', 'UPSTREAM_ERROR', 200, post('{ users(first: 1) { totalCount } }')],
    ['a bad argument', 'BAD_USER_INPUT', 200, post('{ users(first: 10000) { totalCount } }')],
    ['a variable of the wrong type', 'BAD_USER_INPUT', 400, post('query($n: Int) { users(first: $n) { totalCount } }', { n: 'ten' })],
    ['a field that does not exist', 'GRAPHQL_VALIDATION_FAILED', 400, post('{ users(first: 1) { nope } }')],
    ['a syntax error', 'GRAPHQL_PARSE_FAILED', 400, post('{ users(first: 1 { totalCount } }')],
    ['a query too deep', 'QUERY_TOO_DEEP', 400, post('{ users(first: 1) { edges { node { token { user { token { username } } } } } } }')],
    ['a query too costly', 'QUERY_TOO_COSTLY', 400, post('{ users(first: 100) { edges { node { token { username } } } } }')],
    ['a body too large', 'REQUEST_TOO_LARGE', 413, post(`{ __typename ${'#'.repeat(3000)} }`)],
    ['a body that is not JSON', 'BAD_REQUEST', 400, { body: '{"query": ' }],
    ['an unknown operation name', 'OPERATION_RESOLUTION_FAILURE', 400, { body: JSON.stringify({ query: '{ __typename }', operationName: 'Other' }) }],
    ['a GET without the CSRF header', 'CSRF_HEADER_REQUIRED', 403, { method: 'GET', search: '?query=%7B__typename%7D' }],
    ['a mutation by GET', 'BAD_REQUEST', 405, { method: 'GET', search: '?query=mutation%7B__typename%7D', headers: { 'x-graphql-yoga-csrf': '1' } }],
  ] as const)('%s: %s', async (_case, code, status, init) => {
    harness.simulators.injectFault('gate', { path: '/user/', action: 'status', status: 500, times: 'always' });
    try {
      const id = `test-${randomUUID()}`;
      harness.simulators.resetRequests();
      const answer = await send(harness, id, init);
      expect(answer.status).toBe(status);
      expectIdOnEveryError(answer, id, code);
      // The same id went to every upstream call the request made.
      for (const request of harness.requests()) expect(request.requestId).toBe(id);
    } finally {
      harness.simulators.clearFaults();
    }
  });

  it('gives a request that came without an id the one it generated, as sent upstream', async () => {
    harness.simulators.injectFault('switch', { path: '/user/list', action: 'status', status: 500, times: 'always' });
    try {
      harness.simulators.resetRequests();
      const response = await harness.yoga.fetch('http://gateway.test/graphql', {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ query: `{ user(username: "${EVERYWHERE_USERNAME}") { switchAccount { name } } }` }),
      });
      const { errors } = (await response.json()) as { errors: GraphQLFormattedError[] };
      const id = response.headers.get('x-request-id');
      expect(id).toMatch(/^[0-9a-f-]{36}$/);
      expect(errors[0]?.extensions).toMatchObject({ code: 'UPSTREAM_ERROR', upstream: 'switch', requestId: id });
      expect(new Set(harness.requests().map((request) => request.requestId))).toEqual(new Set([id]));
    } finally {
      harness.simulators.clearFaults();
    }
  });

  it('gives each of many concurrent requests for one invalid document its own id', async () => {
    const ids = Array.from({ length: 20 }, (_, at) => `concurrent-${at}`);
    const answers = await Promise.all(ids.map((id) => send(harness, id, post('{ users(first: 1) { nope } }'))));
    expect(answers.map((answer) => answer.errors.map((error) => error.extensions?.['requestId']))).toEqual(ids.map((id) => [id]));
  });
});

describe('extensions.requestId on what a plugin answers by itself', () => {
  const harnessWith = harnessPerTest();

  it('a refused credential: 401 UNAUTHENTICATED', async () => {
    const reader = apiKey('reader', ['users:read']);
    const harness = await harnessWith({ env: { API_KEYS: JSON.stringify([{ ...reader.entry, scopes: ['users:read', 'admin'] }]) } });
    const answer = await send(harness, 'refused-1', { ...post('{ __typename }'), headers: { 'x-api-key': 'not-the-key' } });
    expect(answer.status).toBe(401);
    expectIdOnEveryError(answer, 'refused-1', 'UNAUTHENTICATED');
  });

  it('keys that cannot be fetched: 503 AUTHENTICATION_UNAVAILABLE', async () => {
    const closed = createServer();
    await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
    const { port } = closed.address() as AddressInfo;
    await new Promise((resolve) => closed.close(resolve));
    const harness = await harnessWith({
      env: { JWT_JWKS_URL: `http://127.0.0.1:${port}/jwks.json`, JWT_ISSUER: 'https://issuer.test/', JWT_AUDIENCE: 'user-gateway' },
    });
    const { privateKey } = await generateKeyPair('RS256');
    const token = await new SignJWT({ scope: 'users:read admin' })
      .setProtectedHeader({ alg: 'RS256', kid: 'k1' })
      .setIssuer('https://issuer.test/')
      .setAudience('user-gateway')
      .setExpirationTime('5m')
      .sign(privateKey);
    const answer = await send(harness, 'unavailable-1', { ...post('{ __typename }'), headers: { authorization: `Bearer ${token}` } });
    expect(answer.status).toBe(503);
    expectIdOnEveryError(answer, 'unavailable-1', 'AUTHENTICATION_UNAVAILABLE');
  });

  it('a client past its rate: 429 RATE_LIMITED', async () => {
    const harness = await harnessWith({ env: { RATE_LIMIT_PER_MINUTE: '1' } });
    await send(harness, 'first', post('{ __typename }'));
    const answer = await send(harness, 'second', post('{ __typename }'));
    expect(answer.status).toBe(429);
    expectIdOnEveryError(answer, 'second', 'RATE_LIMITED');
    expect(answer.errors[0]?.extensions).toMatchObject({ retryAfter: expect.any(Number) });
  });
});

describe('an unexpected error', () => {
  it('stays masked, with its code and the request id and nothing of what went wrong', async () => {
    const yoga = createYoga({
      schema: createSchema({
        typeDefs: 'type Query { broken: String, fine: String }',
        resolvers: {
          Query: {
            broken: () => {
              throw new Error('internal detail: password=hunter2');
            },
            fine: () => 'ok',
          },
        },
      }),
      maskedErrors: { maskError: maskGatewayError },
      logging: false,
      plugins: [useRequestId()],
    });
    const response = await yoga.fetch('http://gateway.test/graphql', {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-request-id': 'masked-1' },
      body: JSON.stringify({ query: '{ broken fine }' }),
    });
    const text = await response.text();
    expect(JSON.parse(text)).toEqual({
      data: { broken: null, fine: 'ok' },
      errors: [{ message: 'Unexpected error.', locations: [{ line: 1, column: 3 }], path: ['broken'], extensions: { code: 'INTERNAL_SERVER_ERROR', requestId: 'masked-1' } }],
    });
    expect(text).not.toMatch(/hunter2|internal detail|stack/);
  });
});

describe('what an upstream answers in an error body', () => {
  const harnessWith = harnessPerTest();
  const MARKER = 'upstream-body-marker';
  /** Anything of an upstream body, a secret or a stack in the answer fails the test. */
  const expectNothingOfTheBody = (text: string) => {
    expect(text).not.toContain(MARKER);
    expect(text).not.toMatch(/stack|Traceback|at \S+\.(ts|js|py):\d+/);
    for (const secret of [SIMULATOR_CREDENTIALS.gate.token, SIMULATOR_CREDENTIALS.edge.password, SIMULATOR_CREDENTIALS.edge.token, SIMULATOR_CREDENTIALS.switch.token]) {
      expect(text).not.toContain(secret);
    }
  };

  it('never reaches a message or an extension: a 500 with a JSON body, a 400 DRF-style body, an HTML page, a switch refusal', async () => {
    const harness = await harnessWith({});
    const { simulators } = harness;
    const detail = `${MARKER}: Traceback (most recent call last): File "/srv/gate/views.py", line 12; DATABASE_URL=postgres://gate:${MARKER}@db`;
    simulators.injectFault('gate', { path: '/user/', action: 'status', status: 500, times: 'always', body: { detail, stack: `Error: ${MARKER}\n    at handler (views.js:1:1)` } });
    simulators.injectFault('gate', { path: '/user_token/', action: 'status', status: 400, times: 'always', body: { username: [`${MARKER} is not valid`], non_field_errors: [`${MARKER} again`] } });
    simulators.injectFault('edge', { path: '/users/', action: 'status', status: 502, times: 'always', body: `<html><body>${MARKER}</body></html>` });
    simulators.injectFault('switch', {
      path: '/user/list',
      action: 'status',
      status: 500,
      times: 'always',
      body: { success: false, error_type: 'internal_error', error: { message: `${MARKER} exploded`, code: 500, reason: `${MARKER} with spaces` } },
    });
    const read = await send(harness, 'bodies-1', post(`{
      users(first: 1) { totalCount }
      tokens(first: 1) { totalCount }
      edgeUsers(first: 1) { totalCount }
      switchUsers(first: 1) { totalCount }
    }`));
    const byField = Object.fromEntries(read.errors.map((error) => [error.path?.join('.'), error.extensions]));
    expect(byField).toEqual({
      users: expect.objectContaining({ code: 'UPSTREAM_ERROR', upstream: 'gate', upstreamStatus: 500, requestId: 'bodies-1' }),
      tokens: expect.objectContaining({ code: 'UPSTREAM_BAD_REQUEST', upstream: 'gate', upstreamStatus: 400, requestId: 'bodies-1' }),
      edgeUsers: expect.objectContaining({ code: 'UPSTREAM_ERROR', upstream: 'edge', upstreamStatus: 502, requestId: 'bodies-1' }),
      switchUsers: expect.objectContaining({ code: 'UPSTREAM_ERROR', upstream: 'switch', requestId: 'bodies-1' }),
    });
    expectNothingOfTheBody(read.text);

    // A write refused with a DRF-style body: the answer is the gateway's own words.
    simulators.injectFault('gate', { method: 'POST', path: '/user/', action: 'status', status: 400, body: { email: [`${MARKER} Enter a valid email address.`], password: [`${MARKER} too common`] } });
    const write = await send(harness, 'bodies-2', post(`mutation {
      createUser(input: { username: "body.check", email: "body.check@acme.com", password: "long-enough-1", organization: "acme" }) {
        __typename ... on Error { message } ... on ValidationError { fieldErrors { field message } } ... on UpstreamFailure { upstream status }
      }
    }`));
    expect(write.text).toMatch(/"__typename":"(UpstreamFailure|ValidationError)"/);
    expectNothingOfTheBody(write.text);
  });
});
