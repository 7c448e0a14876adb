// Logs, metrics, health and traces of the gateway as `startGateway` builds it (issue #12, section 3).
import { createServer, type IncomingMessage } from 'node:http';
import type { AddressInfo } from 'node:net';
import { SpanKind } from '@opentelemetry/api';
import { describe, expect, it } from 'vitest';
import { loadConfig } from '../src/server/config.ts';
import { GatewayMetrics } from '../src/server/telemetry/metrics.ts';
import { upstreamLogObserver } from '../src/server/telemetry/upstream-log.ts';
import { graphqlLog } from '../src/server/telemetry/graphql-log.ts';
import { UpstreamError } from '../src/upstreams/http.ts';
import { GraphQLError } from 'graphql';
import { apiKey } from './support/credentials.ts';
import { startReshapingProxy, type ReshapingProxy } from './support/reshaping-proxy.ts';
import { observedGatewayPerTest, samplesOf, valueOf, type ObservedGateway } from './support/signals.ts';
import { pino } from 'pino';
import { Writable } from 'node:stream';

const NESTED = `query Nested { users(first: 5) { edges { node { username token { isActive } balance { seconds } extra { preferences } edgeAccount { id } loginHistory(first: 3) { totalCount } switchAccount { userId } } } } }`;
const ONE = `query One($username: String!) { user(username: $username) { username switchAccount { userId } } }`;

const requestLines = (observed: ObservedGateway) => observed.lines().filter((line) => line['logger'] === 'request');
const upstreamLines = (observed: ObservedGateway) => observed.lines().filter((line) => line['logger'] === 'upstream' && String(line.msg).startsWith('upstream call'));

/** Someone in the seeded dataset, with a switch account. */
function someone(observed: ObservedGateway): string {
  const { dataset } = observed.simulators;
  const person = dataset.gateUsers.find((user) => dataset.switchUsers.some((account) => account.name === user.username));
  if (!person) throw new Error('the dataset has nobody on switch');
  return person.username;
}

describe('the request log', () => {
  const start = observedGatewayPerTest();
  const reader = apiKey('ops-console', ['users:read', 'admin']);

  it('writes one info line per GraphQL request: operation, outcome, status, duration, request id and caller; never the credential or a variable', async () => {
    const observed = await start({ env: { API_KEYS: JSON.stringify([reader.entry]) } });
    const username = someone(observed);
    const response = await observed.graphql(ONE, { username }, { 'x-api-key': reader.key, 'x-request-id': 'log-test-1' });
    expect(response.status).toBe(200);
    expect(((await response.json()) as { data: { user: { username: string } } }).data.user.username).toBe(username);

    const lines = requestLines(observed);
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatchObject({
      level: 30,
      msg: 'graphql request',
      requestId: 'log-test-1',
      operation: 'One',
      operationType: 'query',
      outcome: 'ok',
      status: 200,
      caller: 'apikey:ops-console',
    });
    expect(lines[0]?.['durationMs']).toBeTypeOf('number');
    expect(lines[0]).not.toHaveProperty('errorCodes');
    const text = observed.text();
    for (const secret of [reader.key, username, observed.simulators.gate.token, observed.simulators.edge.token, observed.simulators.switch.token]) {
      expect(text).not.toContain(secret);
    }
  });

  it('logs refusals and partial failures with their error codes and status', async () => {
    const observed = await start({ env: { API_KEYS: JSON.stringify([reader.entry]), UPSTREAM_RETRIES: '0' } });
    expect((await observed.graphql(ONE, { username: 'nobody' })).status).toBe(401);
    expect((await observed.graphql('query Broken { users(first: 1) { edges { node { nope } } } }', undefined, { 'x-api-key': reader.key })).status).toBe(400);
    observed.simulators.injectFault('switch', { action: 'status', status: 500, times: 'always' });
    const partial = await observed.graphql(ONE, { username: someone(observed) }, { 'x-api-key': reader.key });
    expect(partial.status).toBe(200);

    const lines = requestLines(observed);
    expect(lines.map(({ operation, outcome, status, errorCodes, caller }) => ({ operation, outcome, status, errorCodes, caller }))).toEqual([
      // Refused before its body is read: the operation is not known.
      { operation: null, outcome: 'refused', status: 401, errorCodes: ['UNAUTHENTICATED'], caller: null },
      { operation: 'Broken', outcome: 'refused', status: 400, errorCodes: ['GRAPHQL_VALIDATION_FAILED'], caller: 'apikey:ops-console' },
      { operation: 'One', outcome: 'errors', status: 200, errorCodes: ['UPSTREAM_ERROR'], caller: 'apikey:ops-console' },
    ]);
  });

  it('logs a query refused before it runs (too costly) as refused, though it was parsed and validated', async () => {
    const observed = await start({ env: { MAX_UPSTREAM_CALLS: '2' } });
    expect((await observed.graphql(NESTED)).status).toBe(400);
    expect(requestLines(observed).map(({ operation, operationType, outcome, errorCodes }) => ({ operation, operationType, outcome, errorCodes }))).toEqual([
      { operation: 'Nested', operationType: 'query', outcome: 'refused', errorCodes: ['QUERY_TOO_COSTLY'] },
    ]);
  });

  it('logs and counts a mutation that answered a typed failure as what it is: refused, or errors for an upstream failure; not ok', async () => {
    const observed = await start({ env: { UPSTREAM_RETRIES: '0' } });
    const username = someone(observed);
    const setBalance = (seconds: number) => `mutation Set${seconds < 0 ? 'Negative' : 'Zero'} { setBalance(input: { username: "${username}", seconds: ${seconds} }) { __typename } }`;
    const typename = async (response: Promise<Response>) => Object.values(((await (await response).json()) as { data: Record<string, { __typename: string }> }).data).map((field) => field.__typename);
    expect(await typename(observed.graphql(setBalance(-1)))).toEqual(['ValidationError']);
    expect(await typename(observed.graphql(setBalance(0)))).toEqual(['BalancePayload']);
    // Another value than the balance holds: a 500 is read back, and a balance already showing it would count as landed.
    observed.simulators.injectFault('gate', { method: 'PATCH', path: '/user_token/:id/', action: 'status', status: 500 });
    expect(await typename(observed.graphql(setBalance(1)))).toEqual(['UpstreamFailure']);
    const both = `mutation Both { bad: setBalance(input: { username: "${username}", seconds: -1 }) { __typename } good: setBalance(input: { username: "${username}", seconds: 0 }) { __typename } }`;
    expect(await typename(observed.graphql(both))).toEqual(['ValidationError', 'BalancePayload']);

    expect(requestLines(observed).map(({ operation, outcome, status, failures, errorCodes }) => ({ operation, outcome, status, failures, errorCodes }))).toEqual([
      { operation: 'SetNegative', outcome: 'refused', status: 200, failures: ['ValidationError'], errorCodes: undefined },
      { operation: 'SetZero', outcome: 'ok', status: 200, failures: undefined, errorCodes: undefined },
      { operation: 'SetZero', outcome: 'errors', status: 200, failures: ['UpstreamFailure'], errorCodes: undefined },
      { operation: 'Both', outcome: 'refused', status: 200, failures: ['ValidationError'], errorCodes: undefined },
    ]);
    const text = await observed.scrape();
    expect(valueOf(text, 'graphql_requests_total', { operation: 'SetNegative', outcome: 'refused' })).toBe(1);
    expect(valueOf(text, 'graphql_requests_total', { operation: 'SetNegative', outcome: 'ok' })).toBeUndefined();
    expect(valueOf(text, 'graphql_requests_total', { operation: 'SetZero', outcome: 'ok' })).toBe(1);
    expect(valueOf(text, 'graphql_requests_total', { operation: 'SetZero', outcome: 'errors' })).toBe(1);
    expect(valueOf(text, 'graphql_requests_total', { operation: 'Both', outcome: 'refused' })).toBe(1);
    expect(samplesOf(text, 'graphql_mutations_total').map(({ labels, value }) => ({ ...labels, value }))).toEqual(
      expect.arrayContaining([
        { mutation: 'setBalance', outcome: 'ValidationError', value: 2 },
        { mutation: 'setBalance', outcome: 'ok', value: 2 },
        { mutation: 'setBalance', outcome: 'UpstreamFailure', value: 1 },
      ]),
    );
    expect(samplesOf(text, 'graphql_mutations_total')).toHaveLength(3);
  });

  it('writes nothing per upstream attempt at info while they succeed, and a warn line for one that fails', async () => {
    const observed = await start({ env: { UPSTREAM_RETRIES: '0' } });
    expect((await observed.graphql(NESTED)).status).toBe(200);
    expect(upstreamLines(observed)).toEqual([]);

    observed.simulators.injectFault('gate', { action: 'status', status: 500, path: '/user/' });
    await observed.graphql(NESTED, undefined, { 'x-request-id': 'failing-1' });
    const failed = upstreamLines(observed);
    expect(failed).toHaveLength(1);
    expect(failed[0]).toMatchObject({
      level: 40,
      msg: 'upstream call failed',
      requestId: 'failing-1',
      upstream: 'gate',
      method: 'GET',
      route: '/user/',
      attempt: 1,
      status: 500,
      outcome: 'UPSTREAM_ERROR',
    });
    expect(failed[0]?.['durationMs']).toBeTypeOf('number');
  });

  it('names its logger and the request on every line of a request an upstream answers 503, with no stack trace', async () => {
    const observed = await start({ env: { API_KEYS: JSON.stringify([reader.entry]), LOG_LEVEL: 'debug' } });
    observed.simulators.injectFault('gate', { action: 'status', status: 503, times: 'always' });
    const answer = await observed.graphql(ONE, { username: someone(observed) }, { 'x-api-key': reader.key, 'x-request-id': 'failing-503' });
    expect(((await answer.json()) as { errors: { extensions: { code: string } }[] }).errors[0]?.extensions.code).toBe('UPSTREAM_ERROR');
    // A credential refused is told at debug, by the GraphQL server's log.
    await observed.graphql(ONE, { username: 'nobody' }, { 'x-api-key': 'not-a-key', 'x-request-id': 'refused-1' });

    const lines = observed.lines();
    expect(lines.filter((line) => line['requestId'] === 'failing-503' && line.level >= 40).length).toBeGreaterThan(0);
    for (const line of lines) {
      expect(line['logger'], JSON.stringify(line)).toBeTypeOf('string');
      expect(line['requestId'], JSON.stringify(line)).toMatch(/^(failing-503|refused-1)$/);
    }
    expect(lines.find((line) => line['logger'] === 'graphql' && String(line.msg).startsWith('credential refused'))).toMatchObject({ requestId: 'refused-1', level: 20 });
    expect(observed.text()).not.toMatch(/stack|\n\s+at /);
  });

  it('writes a fault of the gateway itself as one error line: type, message and field path, no stack trace, once', () => {
    const written: string[] = [];
    const log = graphqlLog(pino({ level: 'info' }, new Writable({ write: (chunk, _encoding, done) => done(void written.push(String(chunk))) })));
    const fault = new GraphQLError('boom', { path: ['user', 'token'], originalError: new TypeError('Cannot read properties of undefined') });
    log.error(fault);
    log.error(fault);
    log.error(new GraphQLError('gate answered 503', { originalError: new UpstreamError('gate', 'UPSTREAM_ERROR', 'gate answered 503', 503) }));
    expect(written.map((line) => JSON.parse(line) as Record<string, unknown>)).toEqual([
      expect.objectContaining({ level: 50, logger: 'graphql', error: { type: 'TypeError', message: 'Cannot read properties of undefined' }, path: 'user.token', msg: 'unexpected error, answered as "Unexpected error."' }),
    ]);
    expect(written.join('')).not.toContain('stack');
  });

  it('writes one debug line per upstream attempt at debug, by route template: no path, query or body', async () => {
    const observed = await start({ env: { LOG_LEVEL: 'debug' } });
    const username = someone(observed);
    observed.simulators.resetRequests();
    expect((await observed.graphql(ONE, { username }, { 'x-request-id': 'debug-1' })).status).toBe(200);
    const attempts = upstreamLines(observed);
    expect(attempts).toHaveLength(observed.simulators.requests.length);
    for (const line of attempts) {
      expect(line).toMatchObject({ level: 20, msg: 'upstream call', requestId: 'debug-1', outcome: 'ok', status: 200, attempt: 1 });
    }
    expect(attempts.map((line) => `${line['upstream']} ${line['method']} ${line['route']}`)).toContain('gate GET /user/username/{username}/');
    expect(observed.text()).not.toContain(username);
  });
});

describe('GET /metrics', () => {
  const start = observedGatewayPerTest();

  it('counts requests, upstream attempts and loader batches by bounded labels, with process metrics; without a credential', async () => {
    const reader = apiKey('metrics-test', ['users:read', 'admin']);
    const observed = await start({ env: { API_KEYS: JSON.stringify([reader.entry]) } });
    observed.simulators.resetRequests();
    expect((await observed.graphql(NESTED, undefined, { 'x-api-key': reader.key })).status).toBe(200);
    const upstreamCalls = observed.simulators.requests.length;

    const response = await observed.fetch('/metrics');
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toMatch(/^text\/plain; version=0\.0\.4/);
    const text = await response.text();

    expect(valueOf(text, 'graphql_requests_total', { operation: 'Nested', outcome: 'ok' })).toBe(1);
    expect(valueOf(text, 'graphql_request_duration_seconds_count', { operation: 'Nested', outcome: 'ok' })).toBe(1);
    expect(valueOf(text, 'graphql_request_duration_seconds_bucket', { operation: 'Nested', outcome: 'ok', le: '+Inf' })).toBe(1);

    const attempts = samplesOf(text, 'upstream_requests_total');
    expect(attempts.reduce((sum, sample) => sum + sample.value, 0)).toBe(upstreamCalls);
    expect(new Set(attempts.map((sample) => sample.labels['status']))).toEqual(new Set(['200']));
    expect(valueOf(text, 'upstream_requests_total', { upstream: 'gate', route: '/user/', method: 'GET', status: '200' })).toBe(1);
    expect(valueOf(text, 'upstream_request_duration_seconds_count', { upstream: 'gate', route: '/user/', method: 'GET' })).toBe(1);
    // Labels are route templates: none names a person, whatever was asked.
    const usernames = observed.simulators.dataset.gateUsers.slice(0, 5).map((user) => user.username);
    for (const sample of attempts) expect(usernames.some((username) => sample.labels['route']?.includes(username))).toBe(false);

    // The five users' tokens go out in one batch: five keys plain (`token`), five with balance (`balance`).
    expect(valueOf(text, 'dataloader_batch_size_count', { loader: 'gate.tokenByUsername' })).toBe(1);
    expect(valueOf(text, 'dataloader_batch_size_sum', { loader: 'gate.tokenByUsername' })).toBe(10);
    expect(new Set(samplesOf(text, 'dataloader_batch_size_count').map((sample) => sample.labels['loader']))).toEqual(
      new Set(['gate.users', 'gate.tokenByUsername', 'gate.extraByParent', 'edge.userByUsername', 'edge.loginHistory', 'switch.userByName']),
    );

    for (const upstream of ['gate', 'edge', 'switch']) {
      expect(valueOf(text, 'upstream_breaker_state', { upstream, state: 'closed' })).toBe(1);
      expect(valueOf(text, 'upstream_breaker_state', { upstream, state: 'open' })).toBe(0);
      expect(valueOf(text, 'upstream_breaker_state', { upstream, state: 'half-open' })).toBe(0);
      expect(valueOf(text, 'upstream_in_flight', { upstream })).toBe(0);
      expect(valueOf(text, 'upstream_queued', { upstream })).toBe(0);
    }
    expect(valueOf(text, 'process_cpu_user_seconds_total')).toBeGreaterThan(0);
    expect(samplesOf(text, 'nodejs_eventloop_lag_seconds')).toHaveLength(1);
    // The scrape is no GraphQL request: neither counted nor logged.
    expect(samplesOf(await observed.scrape(), 'graphql_requests_total')).toHaveLength(1);
    expect(requestLines(observed)).toHaveLength(1);
  });

  it('counts each attempt by its status, or its error code when no answer came, and retries by reason', async () => {
    const observed = await start({ env: { UPSTREAM_RETRIES: '1', UPSTREAM_RETRY_BASE_MS: '1', UPSTREAM_RETRY_MAX_MS: '1' } });
    observed.simulators.injectFault('gate', { action: 'status', status: 503, path: '/user/' });
    expect((await observed.graphql('query Retried { users(first: 1) { edges { node { username } } } }')).status).toBe(200);
    observed.simulators.injectFault('gate', { action: 'reset-before', path: '/user/', times: 2 });
    expect((await observed.graphql('query Unreachable { users(first: 1) { edges { node { username } } } }')).status).toBe(200);

    const text = await observed.scrape();
    const route = { upstream: 'gate', route: '/user/', method: 'GET' };
    expect(valueOf(text, 'upstream_requests_total', { ...route, status: '503' })).toBe(1);
    expect(valueOf(text, 'upstream_requests_total', { ...route, status: 'UPSTREAM_UNREACHABLE' })).toBe(2);
    expect(valueOf(text, 'upstream_requests_total', { ...route, status: '200' })).toBe(1);
    expect(valueOf(text, 'upstream_request_duration_seconds_count', route)).toBe(4);
    expect(valueOf(text, 'upstream_retries_total', { upstream: 'gate', route: '/user/', reason: 'UPSTREAM_ERROR' })).toBe(1);
    expect(valueOf(text, 'upstream_retries_total', { upstream: 'gate', route: '/user/', reason: 'UPSTREAM_UNREACHABLE' })).toBe(1);
    expect(valueOf(text, 'graphql_requests_total', { operation: 'Retried', outcome: 'ok' })).toBe(1);
    expect(valueOf(text, 'graphql_requests_total', { operation: 'Unreachable', outcome: 'errors' })).toBe(1);
  });

  it('bounds operation names: a name past 64 characters, or past the 100 told apart, is counted as `other`', async () => {
    const observed = await start();
    const query = (name: string) => observed.graphql(`query ${name} { __typename }`);
    await query(`Long${'x'.repeat(61)}`);
    await observed.graphql('{ __typename }');
    for (let index = 0; index < 101; index++) await query(`Op${index}`);

    const text = await observed.scrape();
    const operations = new Set(samplesOf(text, 'graphql_requests_total').map((sample) => sample.labels['operation']));
    expect(operations.size).toBe(102);
    expect(operations.has('anonymous')).toBe(true);
    expect(operations.has('Op99')).toBe(true);
    expect(operations.has('Op100')).toBe(false);
    expect(valueOf(text, 'graphql_requests_total', { operation: 'other', outcome: 'ok' })).toBe(2);
  });

  it('counts payload drift by route, field and kind, and warns of each once, naming no value', async () => {
    // A proxy in front of gate adds a key the gateway does not read to every user of its list.
    let proxy: ReshapingProxy | undefined;
    try {
      const observed = await start({
        urls: async (simulators) => {
          proxy = await startReshapingProxy(simulators.gate.url, {
            body: (body) => {
              const page = body as { results?: Record<string, unknown>[] };
              for (const user of page.results ?? []) user['surprise_field'] = 'surprise-value';
              return page;
            },
          });
          return { GATE_URL: proxy.url };
        },
      });
      for (let run = 0; run < 2; run++) expect((await observed.graphql('query Drift { users(first: 3) { edges { node { username } } } }')).status).toBe(200);

      const drift = samplesOf(await observed.scrape(), 'upstream_payload_drift_total', { upstream: 'gate', kind: 'unexpected' }).filter((sample) =>
        sample.labels['field']?.includes('surprise_field'),
      );
      expect(drift).toHaveLength(1);
      expect(drift[0]?.labels['route']).toBe('/user/');
      // Payloads are sampled for drift (the first of each kind, then some): counted at least once.
      expect(drift[0]?.value).toBeGreaterThanOrEqual(1);
      const warnings = observed.lines().filter((line) => line.level === 40 && String(line['field']).includes('surprise_field'));
      expect(warnings).toHaveLength(1);
      expect(warnings[0]).toMatchObject({ logger: 'upstream', upstream: 'gate', route: '/user/', kind: 'unexpected' });
      expect(observed.text()).not.toContain('surprise-value');
    } finally {
      await proxy?.close();
    }
  });

  it('warns of no drift against the simulators, which serve what their docs show', async () => {
    const observed = await start();
    const { username } = observed.simulators.dataset.gateUsers[0]!;
    const PERSON = `query Person($username: String!) { user(username: $username) { username email lastLogin token { isActive lastLogin } balance { seconds } extra { preferences devices { deviceId } } edgeAccount { username accessTokens(first: 3) { totalCount } } loginHistory(first: 3) { totalCount } switchAccount { userId } } }`;
    for (const [query, variables] of [[NESTED, {}], [PERSON, { username }]] as const) {
      const body = (await (await observed.graphql(query, variables)).json()) as { errors?: unknown };
      expect(body.errors).toBeUndefined();
    }
    expect(observed.lines().filter((line) => String(line.msg).includes('payload drift'))).toEqual([]);
    expect(samplesOf(await observed.scrape(), 'upstream_payload_drift_total')).toEqual([]);
  });
});

describe('GatewayMetrics and the upstream log, fed directly', () => {
  it('bound what an upstream may name: a field past 128 characters, or past 1000 drift series, is `other`; each drift is warned of once', async () => {
    const metrics = new GatewayMetrics({ processMetrics: false });
    const written: string[] = [];
    const log = upstreamLogObserver(
      pino(
        { level: 'info' },
        new Writable({
          write(chunk, _encoding, done) {
            written.push(String(chunk));
            done();
          },
        }),
      ),
    );
    const drift = (field: string) => ({ upstream: 'edge' as const, route: '/users/', field, kind: 'unexpected' as const });
    for (let index = 0; index < 1001; index++) {
      metrics.observer.payloadDrift?.(drift(`field${index}`));
      log.payloadDrift?.(drift(`field${index}`));
    }
    metrics.observer.payloadDrift?.(drift('field0'));
    log.payloadDrift?.(drift('field0'));
    metrics.observer.payloadDrift?.(drift('x'.repeat(129)));

    const text = (await metrics.scrape()).body;
    expect(samplesOf(text, 'upstream_payload_drift_total')).toHaveLength(1001);
    expect(valueOf(text, 'upstream_payload_drift_total', { field: 'field0' })).toBe(2);
    expect(valueOf(text, 'upstream_payload_drift_total', { field: 'other' })).toBe(2);
    expect(written).toHaveLength(1000);
  });

  it('keep DataLoader batch sizes per loader, and leave a label alone that the upstream layer sends', async () => {
    const metrics = new GatewayMetrics({ processMetrics: false });
    metrics.observer.loaderBatch?.('switch.userById', 3);
    metrics.observer.loaderBatch?.('switch.userById', 100);
    metrics.observer.attemptEnded?.({ upstream: 'switch', method: 'GET', route: '/user/list', requestId: 'r', attempt: 1 }, { status: undefined, outcome: 'UPSTREAM_TIMEOUT', durationMs: 2500 });
    const text = (await metrics.scrape()).body;
    expect(valueOf(text, 'dataloader_batch_size_bucket', { loader: 'switch.userById', le: '2' })).toBe(0);
    expect(valueOf(text, 'dataloader_batch_size_bucket', { loader: 'switch.userById', le: '5' })).toBe(1);
    expect(valueOf(text, 'dataloader_batch_size_bucket', { loader: 'switch.userById', le: '100' })).toBe(2);
    expect(valueOf(text, 'dataloader_batch_size_sum', { loader: 'switch.userById' })).toBe(103);
    expect(valueOf(text, 'upstream_requests_total', { upstream: 'switch', status: 'UPSTREAM_TIMEOUT' })).toBe(1);
    expect(valueOf(text, 'upstream_request_duration_seconds_bucket', { upstream: 'switch', le: '2.5' })).toBe(1);
    expect(valueOf(text, 'upstream_request_duration_seconds_bucket', { upstream: 'switch', le: '1' })).toBe(0);
    expect(valueOf(text, 'upstream_request_duration_seconds_sum', { upstream: 'switch' })).toBe(2.5);
  });
});

describe('GET /healthz and GET /readyz', () => {
  const start = observedGatewayPerTest();
  const reader = apiKey('health-test', ['users:read', 'admin']);
  const readyBody = (breaker: string) => ({ breaker, inFlight: 0, queued: 0 });

  it('answer without a credential and are never rate limited, while GraphQL needs both', async () => {
    const observed = await start({ env: { API_KEYS: JSON.stringify([reader.entry]), RATE_LIMIT_PER_MINUTE: '1' } });
    for (let round = 0; round < 3; round++) {
      const health = await observed.fetch('/healthz');
      expect(health.status).toBe(200);
      expect(await health.json()).toEqual({ status: 'ok' });
      const ready = await observed.fetch('/readyz');
      expect(ready.status).toBe(200);
      expect(await ready.json()).toEqual({
        ready: true,
        upstreams: { gate: readyBody('closed'), edge: readyBody('closed'), switch: readyBody('closed') },
        shuttingDown: false,
      });
    }
    expect((await observed.graphql('{ __typename }')).status).toBe(401);
    expect((await observed.graphql('{ __typename }', undefined, { 'x-api-key': reader.key })).status).toBe(200);
    expect((await observed.graphql('{ __typename }', undefined, { 'x-api-key': reader.key })).status).toBe(429);
    expect((await observed.fetch('/readyz')).status).toBe(200);
  });

  it('/readyz answers 503 while a breaker is open, and the breaker gauge says so', async () => {
    const observed = await start({
      env: { UPSTREAM_RETRIES: '0', UPSTREAM_BREAKER_MIN_CALLS: '2', UPSTREAM_BREAKER_FAILURE_RATIO: '0.5', UPSTREAM_BREAKER_HALF_OPEN_AFTER_MS: '600000' },
    });
    observed.simulators.injectFault('gate', { action: 'status', status: 503, times: 'always' });
    let ready = await observed.fetch('/readyz');
    for (let tries = 0; tries < 50 && ready.status === 200; tries++) {
      await observed.graphql('query Failing { users(first: 1) { edges { node { username } } } }');
      ready = await observed.fetch('/readyz');
    }
    expect(ready.status).toBe(503);
    expect(await ready.json()).toEqual({
      ready: false,
      upstreams: { gate: readyBody('open'), edge: readyBody('closed'), switch: readyBody('closed') },
      shuttingDown: false,
    });
    const text = await observed.scrape();
    expect(valueOf(text, 'upstream_breaker_state', { upstream: 'gate', state: 'open' })).toBe(1);
    expect(valueOf(text, 'upstream_breaker_state', { upstream: 'gate', state: 'closed' })).toBe(0);
    expect(observed.lines().filter((line) => line.msg === 'gate circuit breaker open')).toHaveLength(1);
    // Liveness stays: restarting the gateway would not mend gate.
    expect((await observed.fetch('/healthz')).status).toBe(200);
  });

  it('/readyz answers 503 from the moment shutdown begins', async () => {
    const observed = await start();
    expect((await observed.fetch('/readyz')).status).toBe(200);
    const closed = observed.gateway.close();
    const ready = await observed.fetch('/readyz');
    expect(ready.status).toBe(503);
    expect(await ready.json()).toMatchObject({ ready: false, shuttingDown: true });
    await closed;
  });
});

describe('tracing', () => {
  const start = observedGatewayPerTest();

  it('makes one span per request, parent of one span per upstream attempt, the request id on both', async () => {
    const observed = await start({ tracing: true });
    observed.simulators.resetRequests();
    const response = await observed.graphql(NESTED, undefined, { 'x-request-id': 'trace-1' });
    expect(response.status).toBe(200);
    const spans = observed.spans?.getFinishedSpans() ?? [];

    const requests = spans.filter((span) => span.kind === SpanKind.SERVER);
    expect(requests).toHaveLength(1);
    const [request] = requests;
    expect(request?.name).toBe('graphql Nested');
    expect(request?.attributes).toMatchObject({
      'request.id': 'trace-1',
      'graphql.operation.name': 'Nested',
      'graphql.operation.type': 'query',
      'graphql.outcome': 'ok',
      'http.response.status_code': 200,
    });
    expect(request?.resource.attributes['service.name']).toBe('user-gateway');
    expect(request?.parentSpanContext).toBeUndefined();

    const attempts = spans.filter((span) => span.kind === SpanKind.CLIENT);
    expect(attempts).toHaveLength(observed.simulators.requests.length);
    expect(attempts.length).toBeGreaterThan(5);
    for (const attempt of attempts) {
      expect(attempt.spanContext().traceId).toBe(request?.spanContext().traceId);
      expect(attempt.parentSpanContext?.spanId).toBe(request?.spanContext().spanId);
      expect(attempt.name).toMatch(/^(gate|edge|switch) GET \//);
      expect(attempt.attributes).toMatchObject({ 'request.id': 'trace-1', 'http.request.method': 'GET', 'http.response.status_code': 200, 'upstream.attempt': 1, 'upstream.outcome': 'ok' });
      expect(attempt.name).toBe(`${attempt.attributes['upstream']} GET ${attempt.attributes['http.route']}`);
    }
    expect(attempts.map((span) => span.name)).toContain('gate GET /user/');
  });

  it('keeps the requests apart: concurrent requests each parent their own upstream spans', async () => {
    // Each its own upstream calls: shared reads would parent the calls of the first request only.
    const observed = await start({ tracing: true, env: { UPSTREAM_SHARE_READS: 'false' } });
    await Promise.all(['a', 'b', 'c'].map((id) => observed.graphql(ONE, { username: someone(observed) }, { 'x-request-id': `concurrent-${id}` })));
    const spans = observed.spans?.getFinishedSpans() ?? [];
    const requests = spans.filter((span) => span.kind === SpanKind.SERVER);
    expect(requests).toHaveLength(3);
    for (const request of requests) {
      const children = spans.filter((span) => span.parentSpanContext?.spanId === request.spanContext().spanId);
      expect(children.length).toBeGreaterThan(0);
      expect(new Set(children.map((span) => span.attributes['request.id']))).toEqual(new Set([request.attributes['request.id']]));
    }
  });

  it('exports to OTEL_EXPORTER_OTLP_ENDPOINT over OTLP/HTTP, flushed on shutdown', async () => {
    const received: { path: string; body: string }[] = [];
    const collector = createServer((request: IncomingMessage, response) => {
      let body = '';
      request.on('data', (chunk) => (body += String(chunk)));
      request.on('end', () => {
        received.push({ path: request.url ?? '', body });
        response.writeHead(200, { 'content-type': 'application/json' }).end('{}');
      });
    });
    await new Promise<void>((resolve) => collector.listen(0, '127.0.0.1', resolve));
    try {
      const endpoint = `http://127.0.0.1:${(collector.address() as AddressInfo).port}`;
      const observed = await start({ env: { OTEL_EXPORTER_OTLP_ENDPOINT: endpoint, OTEL_SERVICE_NAME: 'gateway-under-test' } });
      expect((await observed.graphql(ONE, { username: someone(observed) }, { 'x-request-id': 'exported-1' })).status).toBe(200);
      await observed.gateway.close();
      expect(received.length).toBeGreaterThan(0);
      expect(received.every((each) => each.path === '/v1/traces')).toBe(true);
      const exported = received.map((each) => each.body).join('\n');
      expect(exported).toContain('gateway-under-test');
      expect(exported).toContain('graphql One');
      expect(exported).toContain('gate GET /user/username/{username}/');
      expect(exported).toContain('exported-1');
    } finally {
      await new Promise<void>((resolve) => collector.close(() => resolve()));
    }
  });

  it('shuts down all the same when the collector cannot be reached, warning that the spans were lost', async () => {
    const unreachable = createServer();
    await new Promise<void>((resolve) => unreachable.listen(0, '127.0.0.1', resolve));
    const endpoint = `http://127.0.0.1:${(unreachable.address() as AddressInfo).port}`;
    await new Promise<void>((resolve) => unreachable.close(() => resolve()));
    const observed = await start({ env: { OTEL_EXPORTER_OTLP_ENDPOINT: endpoint } });
    expect((await observed.graphql(ONE, { username: someone(observed) })).status).toBe(200);
    await expect(observed.gateway.close()).resolves.toBeUndefined();
    const lost = observed.lines().filter((line) => line.msg === 'shutdown: spans not exported');
    expect(lost).toHaveLength(1);
    expect(lost[0]).toMatchObject({ logger: 'lifecycle', error: { type: expect.any(String), message: expect.any(String) } });
    expect(observed.text()).not.toContain('stack');
  });

  it('is off without OTEL_EXPORTER_OTLP_ENDPOINT; the setting must be an http(s) URL', () => {
    expect(loadConfig({}).tracing).toBeUndefined();
    expect(loadConfig({ OTEL_EXPORTER_OTLP_ENDPOINT: 'http://collector:4318' }).tracing).toEqual({ endpoint: 'http://collector:4318', serviceName: 'user-gateway' });
    expect(loadConfig({ OTEL_EXPORTER_OTLP_ENDPOINT: 'https://collector', OTEL_SERVICE_NAME: 'gw-eu' }).tracing).toEqual({ endpoint: 'https://collector', serviceName: 'gw-eu' });
    expect(() => loadConfig({ OTEL_EXPORTER_OTLP_ENDPOINT: 'collector:4318' })).toThrow(/OTEL_EXPORTER_OTLP_ENDPOINT/);
  });
});
