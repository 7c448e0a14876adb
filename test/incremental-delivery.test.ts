import { EventSourceParserStream } from 'eventsource-parser/stream';
import { meros } from 'meros/browser';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { present } from './support/expect.ts';
import { harnessPerTest } from './support/harness.ts';
import type { Simulators } from '../src/simulators/index.ts';
import { observedGatewayPerTest, startObservedGateway, valueOf, type ObservedGateway } from './support/signals.ts';

/**
 * `@defer` and `@stream` (issue 21, item 3): answers in parts, over real HTTP as multipart/mixed
 * and as server-sent events. Order is shown by edge's simulator holding the login history until
 * the test has read the initial part, never by time.
 */

type Json = Record<string, any>;

/** One part of an answer in parts: the initial one (`data`), or a later one (`incremental`). */
interface Part {
  data?: Json;
  errors?: Json[];
  incremental?: { data?: Json; items?: unknown[]; errors?: Json[]; path: (string | number)[] }[];
  hasNext: boolean;
  extensions?: Json;
}

const HISTORY_ROUTE = '/users/:id/history/';

const PERSON_WITH_DEFERRED_HISTORY = `
  query PersonWithHistory($username: String!) {
    user(username: $username) {
      username
      ... @defer {
        edgeAccount { loginHistory(first: 3) { edges { node { id success attemptedAt } } } }
      }
    }
  }
`;

/** A person of gate's with an edge account of 3 login attempts or more. */
function personWithHistory({ dataset }: Simulators): string {
  return present(dataset.gateUsers.find((user) => (dataset.edgeUsers.find((account) => account.username === user.username)?.history.length ?? 0) >= 3)).username;
}

/** Reads an answer's parts one at a time, as they arrive. */
interface PartReader {
  next(): Promise<Part>;
  /** Whatever is left, read to the end. */
  rest(): Promise<Part[]>;
}

function reader(parts: AsyncIterator<Part>): PartReader {
  return {
    async next() {
      const step = await parts.next();
      if (step.done) throw new Error('the answer ended early');
      return step.value;
    },
    async rest() {
      const left: Part[] = [];
      for (let step = await parts.next(); !step.done; step = await parts.next()) left.push(step.value);
      return left;
    },
  };
}

async function* multipartParts(response: Response): AsyncGenerator<Part> {
  const parts = await meros<Part>(response);
  if (parts instanceof Response) throw new Error(`not multipart: ${response.headers.get('content-type')}`);
  for await (const part of parts) {
    if (!part.json) throw new Error(`a part that is not JSON: ${String(part.body)}`);
    yield part.body;
  }
}

async function* eventStreamParts(response: Response): AsyncGenerator<Part> {
  const events = present(response.body).pipeThrough(new TextDecoderStream()).pipeThrough(new EventSourceParserStream());
  for await (const event of events) {
    if (event.event === 'complete') return;
    expect(event.event).toBe('next');
    yield JSON.parse(event.data) as Part;
  }
}

const MEDIA = {
  'multipart/mixed': multipartParts,
  'text/event-stream': eventStreamParts,
} as const;

async function post(url: string, accept: string, query: string, variables: Json = {}, headers: Record<string, string> = {}): Promise<Response> {
  return fetch(url, { method: 'POST', headers: { 'content-type': 'application/json', accept, ...headers }, body: JSON.stringify({ query, variables }) });
}

describe('@defer and @stream over HTTP', () => {
  let observed: ObservedGateway;
  let username: string;
  beforeAll(async () => {
    observed = await startObservedGateway();
    username = personWithHistory(observed.simulators);
  });
  afterAll(() => observed.close());

  const requestLines = (requestId: string) => observed.lines().filter((line) => line['msg'] === 'graphql request' && line['requestId'] === requestId);

  for (const [accept, partsOf] of Object.entries(MEDIA)) {
    it(`${accept}: the initial part comes without the deferred login history, which follows in a later part; one log line, after the last`, async () => {
      const requestId = `defer-${accept.replace('/', '-')}`;
      observed.simulators.injectFault('edge', { path: HISTORY_ROUTE, action: 'hold' });
      const response = await post(observed.gateway.url, accept, PERSON_WITH_DEFERRED_HISTORY, { username }, { 'x-request-id': requestId });
      expect(response.status).toBe(200);
      expect(response.headers.get('content-type')).toContain(accept);
      const parts = reader(partsOf(response));
      await observed.simulators.whenHeld('edge');

      const initial = await parts.next();
      expect(initial).toEqual({ data: { user: { username } }, hasNext: true });
      // The request is not over while a part is still to come: nothing is logged of it yet, and
      // it keeps its share of the admission budget for the deferred reads.
      expect(requestLines(requestId)).toEqual([]);
      expect(valueOf(await observed.scrape(), 'graphql_admission_upstream_calls')).toBeGreaterThan(0);

      expect(await observed.simulators.releaseHeld('edge')).toBe(1);
      const later = await parts.rest();
      expect(later.at(-1)?.hasNext).toBe(false);
      const pieces = later.flatMap((part) => part.incremental ?? []);
      expect(pieces).toHaveLength(1);
      expect(pieces[0]?.path).toEqual(['user']);
      expect(pieces[0]?.errors).toBeUndefined();
      const history = pieces[0]?.data?.['edgeAccount']?.['loginHistory']?.['edges'] as Json[];
      expect(history).toHaveLength(3);
      expect(history[0]?.['node']).toMatchObject({ id: expect.any(String), success: expect.any(Boolean) });

      await vi.waitFor(() => expect(requestLines(requestId)).toHaveLength(1));
      expect(requestLines(requestId)[0]).toMatchObject({ operation: 'PersonWithHistory', operationType: 'query', outcome: 'ok', status: 200 });
      expect(valueOf(await observed.scrape(), 'graphql_admission_upstream_calls')).toBe(0);
    });
  }

  it('a deferred field whose upstream fails: its error arrives in its own part, the initial part is whole, and the log line tells the code', async () => {
    observed.simulators.injectFault('edge', { path: HISTORY_ROUTE, action: 'refuse', status: 404, message: 'No such history.', times: 'always' });
    try {
      const response = await post(observed.gateway.url, 'multipart/mixed', PERSON_WITH_DEFERRED_HISTORY, { username }, { 'x-request-id': 'defer-failing' });
      const parts = reader(multipartParts(response));
      expect(await parts.next()).toEqual({ data: { user: { username } }, hasNext: true });
      const pieces = (await parts.rest()).flatMap((part) => part.incremental ?? []);
      expect(pieces).toHaveLength(1);
      expect(pieces[0]?.data).toEqual({ edgeAccount: { loginHistory: null } });
      expect(pieces[0]?.errors).toEqual([
        expect.objectContaining({
          path: ['user', 'edgeAccount', 'loginHistory'],
          // Masked and marked as every error is: the gateway's code, the request's id.
          extensions: expect.objectContaining({ code: 'UPSTREAM_NOT_FOUND', upstream: 'edge', requestId: 'defer-failing' }),
        }),
      ]);
      await vi.waitFor(() => expect(requestLines('defer-failing')).toHaveLength(1));
      expect(requestLines('defer-failing')[0]).toMatchObject({ outcome: 'errors', errorCodes: ['UPSTREAM_NOT_FOUND'] });
    } finally {
      observed.simulators.clearFaults();
    }
  });

  it('@stream on a list: the first items in the initial part, the rest in later parts, the same items as without it', async () => {
    const query = (directive: string) => `{ users(first: 4) { edges ${directive} { node { username } } } }`;
    const whole = await (await post(observed.gateway.url, 'application/json', query(''))).json() as Json;
    const response = await post(observed.gateway.url, 'multipart/mixed', query('@stream(initialCount: 1)'));
    const parts = reader(multipartParts(response));
    const initial = await parts.next();
    expect(initial.data?.['users']?.['edges']).toEqual(whole['data']['users']['edges'].slice(0, 1));
    expect(initial.hasNext).toBe(true);
    const streamed = (await parts.rest()).flatMap((part) => part.incremental ?? []);
    expect(streamed.flatMap((piece) => piece.items ?? [])).toEqual(whole['data']['users']['edges'].slice(1));
    expect(streamed.map((piece) => piece.path)).toEqual(streamed.map((_piece, index) => ['users', 'edges', index + 1]));
  });

  it('a client that accepts neither multipart/mixed nor text/event-stream is refused before anything runs: 406, with what to accept', async () => {
    observed.simulators.resetRequests();
    for (const accept of ['application/json', 'application/graphql-response+json']) {
      const response = await post(observed.gateway.url, accept, PERSON_WITH_DEFERRED_HISTORY, { username });
      expect(response.status).toBe(406);
      const body = (await response.json()) as Json;
      expect(body['errors']).toEqual([
        expect.objectContaining({ extensions: expect.objectContaining({ code: 'INCREMENTAL_DELIVERY_NOT_ACCEPTED', accept: ['multipart/mixed', 'text/event-stream'] }) }),
      ]);
    }
    expect(observed.simulators.requests).toEqual([]);
    // A wildcard accepts the parts.
    const anything = await post(observed.gateway.url, '*/*', PERSON_WITH_DEFERRED_HISTORY, { username });
    expect(anything.status).toBe(200);
    expect((await reader(multipartParts(anything)).rest()).at(-1)?.hasNext).toBe(false);
  });

  it('is estimated with its deferred fields, and reports the estimate in the initial part', async () => {
    const plain = PERSON_WITH_DEFERRED_HISTORY.replace('... @defer', '...');
    const cost = async (query: string, accept: string) => {
      const response = await post(observed.gateway.url, accept, query, { username }, { 'x-query-cost': 'true' });
      const first = accept === 'multipart/mixed' ? await reader(multipartParts(response)).next() : ((await response.json()) as Part);
      return first.extensions?.['queryCost'];
    };
    const deferred = await cost(PERSON_WITH_DEFERRED_HISTORY, 'multipart/mixed');
    expect(deferred).toEqual(await cost(plain, 'application/json'));
    expect(deferred.upstreamCalls).toBeGreaterThan(1);
  });
});

describe('@defer and the request', () => {
  const harnessWith = harnessPerTest();
  const startObserved = observedGatewayPerTest();

  it('the request deadline covers the deferred parts: a deferred read past it ends in its part with UPSTREAM_TIMEOUT', async () => {
    const observed = await startObserved({ env: { REQUEST_DEADLINE_MS: '1000' } });
    const username = personWithHistory(observed.simulators);
    observed.simulators.injectFault('edge', { path: HISTORY_ROUTE, action: 'hold' });
    const response = await post(observed.gateway.url, 'multipart/mixed', PERSON_WITH_DEFERRED_HISTORY, { username });
    const parts = reader(multipartParts(response));
    await observed.simulators.whenHeld('edge');
    expect((await parts.next()).hasNext).toBe(true);
    // Never released: only the deadline ends the deferred read.
    const pieces = (await parts.rest()).flatMap((part) => part.incremental ?? []);
    expect(pieces[0]?.errors).toEqual([expect.objectContaining({ extensions: expect.objectContaining({ code: 'UPSTREAM_TIMEOUT', upstream: 'edge' }) })]);
    await observed.simulators.releaseHeld('edge');
  });

  it('@defer and @stream count against QUERY_MAX_DIRECTIVES as any directive does', async () => {
    const harness = await harnessWith({ env: { QUERY_MAX_DIRECTIVES: '2' } });
    const withDirectives = (count: number) =>
      `{ users(first: 2) { edges @stream { node { username ${Array.from({ length: count - 1 }, (_, index) => `... @defer(label: "d${index}") { id }`).join(' ')} } } } }`;
    const accept = { accept: 'multipart/mixed, application/json' };
    expect((await harness.execute(withDirectives(3), {}, accept)).errors).toEqual([expect.objectContaining({ extensions: expect.objectContaining({ code: 'TOO_MANY_DIRECTIVES', limit: 2 }) })]);
    const allowed = await harness.yoga.fetch('http://gateway.test/graphql', {
      method: 'POST',
      headers: { 'content-type': 'application/json', accept: 'multipart/mixed' },
      body: JSON.stringify({ query: withDirectives(2) }),
    });
    expect((await reader(multipartParts(allowed)).rest()).at(-1)?.hasNext).toBe(false);
  });

  it("the request's DataLoaders serve the initial and the deferred parts together: the lookups the initial part made are not made again, and the deferred reads of a list go out in one batch", async () => {
    const batches: [string, number][] = [];
    const harness = await harnessWith({ observer: { loaderBatch: (loader, size) => batches.push([loader, size]) } });
    const query = `{
      users(first: 5) { edges { node {
        username
        edgeAccount { username }
        ... @defer { edgeAccount { loginHistory(first: 1) { edges { node { id } } } } }
      } } }
    }`;
    harness.simulators.resetRequests();
    const response = await harness.yoga.fetch('http://gateway.test/graphql', {
      method: 'POST',
      headers: { 'content-type': 'application/json', accept: 'multipart/mixed' },
      body: JSON.stringify({ query }),
    });
    const parts = await reader(multipartParts(response)).rest();
    const pieces = parts.flatMap((part) => part.incremental ?? []);
    expect(pieces).toHaveLength(5);
    expect(pieces.every((piece) => piece.errors === undefined)).toBe(true);
    const searches = harness.requests().filter((request) => request.upstream === 'edge' && request.path.endsWith('/users/'));
    expect(searches.length).toBeGreaterThanOrEqual(5);
    expect(new Set(searches.map((request) => request.query.toString())).size).toBe(searches.length);
    expect(batches.filter(([loader]) => loader === 'edge.userByUsername')).toEqual([['edge.userByUsername', 5]]);
    expect(batches.filter(([loader]) => loader === 'edge.loginHistory')).toEqual([['edge.loginHistory', 5]]);
  });
});
