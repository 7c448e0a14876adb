import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { startSimulators, type FaultRule, type Simulators } from '../src/simulators/index.ts';

interface Answer { status: number; headers: Headers; text: string }

async function call(url: string, init: RequestInit = {}): Promise<Answer> {
  const response = await fetch(url, init);
  return { status: response.status, headers: response.headers, text: await response.text() };
}

/** The undici code behind a fetch that failed below HTTP (e.g. UND_ERR_SOCKET when the server reset it). */
async function socketFailure(pending: Promise<unknown>): Promise<string> {
  const error = await pending.then(() => undefined, (reason: unknown) => reason);
  expect(error).toBeInstanceOf(TypeError);
  return String(((error as TypeError).cause as { code?: unknown } | undefined)?.code);
}

async function until(condition: () => boolean): Promise<void> {
  while (!condition()) await new Promise((resolve) => setTimeout(resolve, 5));
}

function clients(simulators: Simulators) {
  const gateAuth = { authorization: `Bearer ${simulators.gate.token}` };
  const edgeAuth = { authorization: `Token ${simulators.edge.token}` };
  const write = (method: string, body: unknown, auth: Record<string, string>): RequestInit =>
    ({ method, headers: { ...auth, 'content-type': 'application/json' }, body: JSON.stringify(body) });
  return {
    gate: (path: string, init: RequestInit = {}) => call(`${simulators.gate.url}${path}`, { ...init, headers: { ...gateAuth, ...init.headers } }),
    /** not awaited: the caller decides whether it should answer or fail */
    gateFetch: (path: string, init: RequestInit = {}) => fetch(`${simulators.gate.url}${path}`, { ...init, headers: { ...gateAuth, ...init.headers } }),
    createGateUser: (username: string) =>
      fetch(`${simulators.gate.url}/user/`, write('POST', { username, email: `${username}@acme.com`, password: 'pw' }, gateAuth)),
    edge: (path: string, init: RequestInit = {}) => call(`${simulators.edge.url}${path}`, { ...init, headers: { ...edgeAuth, ...init.headers } }),
    createEdgeUser: (username: string) => fetch(`${simulators.edge.url}/users/`, write('POST', {
      username, password: 'Pass@1233', first_name: 'a', last_name: 'b', email: `${username}@acme.com`,
    }, edgeAuth)),
    switchList: () => call(`${simulators.switch.url}/user/list?per_page=1`, { headers: { 'x-auth-token': simulators.switch.token } }),
  };
}

describe('faults on demand', () => {
  let simulators: Simulators;
  let api: ReturnType<typeof clients>;
  const gateUsernames = () => simulators.dataset.gateUsers.map((user) => user.username);

  beforeAll(async () => {
    simulators = await startSimulators();
    api = clients(simulators);
  });
  afterEach(() => {
    simulators.clearFaults();
    simulators.resetRequests();
  });
  afterAll(() => simulators.close());

  describe('actions', () => {
    it('status answers without running the handler, even unauthenticated, then lets the next request through', async () => {
      simulators.injectFault('gate', {
        method: 'POST', path: '/user/', action: 'status', status: 503, body: { detail: 'busy' }, headers: { 'Retry-After': '2' },
      });
      const unauthenticated = await call(`${simulators.gate.url}/user/`, { method: 'POST', body: '{}' });
      expect(unauthenticated.status).toBe(503);
      expect(unauthenticated.headers.get('retry-after')).toBe('2');
      expect(unauthenticated.headers.get('content-type')).toBe('application/json');
      expect(JSON.parse(unauthenticated.text)).toEqual({ detail: 'busy' });

      simulators.injectFault('gate', { path: '/user/', action: 'status', status: 502 });
      const refused = await api.createGateUser('status.fault');
      expect(refused.status).toBe(502);
      expect(await refused.text()).toBe('');
      expect(gateUsernames()).not.toContain('status.fault');
      expect((await api.createGateUser('status.fault')).status).toBe(201);
      expect(gateUsernames()).toContain('status.fault');
      expect(simulators.requests.map((request) => [request.method, request.path, request.status])).toEqual([
        ['POST', '/api/v1/user/', 503],
        ['POST', '/api/v1/user/', 502],
        ['POST', '/api/v1/user/', 201],
      ]);
    });

    it('status lets switch answer a 200 {success: false} envelope', async () => {
      const envelope = { success: false, error_type: 'internal_error', error: { message: 'boom', code: 500, reason: 'internal_error' } };
      simulators.injectFault('switch', { path: '/user/list', action: 'status', status: 200, body: envelope });
      const answer = await api.switchList();
      expect(answer.status).toBe(200);
      expect(JSON.parse(answer.text)).toEqual(envelope);
      expect(JSON.parse((await api.switchList()).text)).toMatchObject({ success: true });
    });

    it('reset-before drops the connection before the write', async () => {
      simulators.injectFault('edge', { method: 'POST', path: '/users/', action: 'reset-before' });
      expect(await socketFailure(api.createEdgeUser('reset.before'))).toBe('UND_ERR_SOCKET');
      expect(simulators.dataset.edgeUsers.map((user) => user.username)).not.toContain('reset.before');
      expect(simulators.requests).toHaveLength(1);
      expect(simulators.requests[0]).toMatchObject({ method: 'POST', path: '/api/users/', status: 0 });
      expect(simulators.requests[0]!.endedAt).toBeGreaterThanOrEqual(simulators.requests[0]!.startedAt);
    });

    it('reset-after lands the write but loses the answer', async () => {
      simulators.injectFault('gate', { method: 'POST', path: '/user/', action: 'reset-after' });
      expect(await socketFailure(api.createGateUser('reset.after'))).toBe('UND_ERR_SOCKET');
      expect(gateUsernames()).toContain('reset.after');
      expect(simulators.requests.map((request) => request.status)).toEqual([0]);
      const retried = await api.createGateUser('reset.after');
      expect(retried.status).toBe(400);
      expect(await retried.json()).toEqual({ username: ['A user with that username already exists.'] });
    });

    it('delay answers normally, later', async () => {
      simulators.injectFault('gate', { path: '/user/', action: 'delay', ms: 80 });
      const started = performance.now();
      const answer = await api.gate('/user/?limit=1');
      expect(performance.now() - started).toBeGreaterThanOrEqual(75);
      expect(answer.status).toBe(200);
      expect(JSON.parse(answer.text)).toMatchObject({ results: [expect.anything()] });
      expect(simulators.requests[0]!.endedAt - simulators.requests[0]!.startedAt).toBeGreaterThanOrEqual(75);
    });

    it('hang never answers until the client gives up, and the server keeps serving', async () => {
      simulators.injectFault('edge', { path: '/users/', action: 'hang' });
      const hung = call(`${simulators.edge.url}/users/`, { headers: { authorization: `Token ${simulators.edge.token}` }, signal: AbortSignal.timeout(100) });
      await expect(hung).rejects.toMatchObject({ name: 'TimeoutError' });
      expect(simulators.requests[0]).toMatchObject({ path: '/api/users/', status: 0, endedAt: Number.NaN });
      expect((await api.edge('/users/?per_page=1')).status).toBe(200);
    });

    it('malformed answers 200 with a body that claims to be JSON but is not', async () => {
      simulators.injectFault('gate', { path: '/user/', action: 'malformed' });
      const answer = await api.gate('/user/?limit=1');
      expect(answer.status).toBe(200);
      expect(answer.headers.get('content-type')).toBe('application/json');
      expect(answer.text).not.toBe('');
      expect(() => JSON.parse(answer.text)).toThrow(SyntaxError);
    });

    it('truncated answers 200 with the first half of the real JSON body', async () => {
      const whole = (await api.edge('/users/?per_page=3')).text;
      simulators.injectFault('edge', { path: '/users/', action: 'truncated' });
      const answer = await api.edge('/users/?per_page=3');
      expect(answer.status).toBe(200);
      expect(answer.text).toBe(whole.slice(0, Math.floor(whole.length / 2)));
      expect(answer.headers.get('content-length')).toBe(String(Buffer.byteLength(answer.text)));
      expect(() => JSON.parse(answer.text)).toThrow(SyntaxError);
    });

    it('refuse answers the upstream\'s own error body without running the handler', async () => {
      simulators.injectFault('gate', { method: 'POST', path: '/user/', action: 'refuse' });
      const refused = await api.createGateUser('refuse.fault');
      expect(refused.status).toBe(500);
      expect(await refused.json()).toEqual({ detail: 'Simulated failure.' });
      expect(gateUsernames()).not.toContain('refuse.fault');

      simulators.injectFault('edge', { action: 'refuse', status: 503, message: 'maintenance' });
      const edge = await api.edge('/users/?per_page=1');
      expect([edge.status, JSON.parse(edge.text)]).toEqual([503, { detail: 'maintenance' }]);
    });

    it('refuse with status 200 is switch\'s {success: false} envelope; a 4xx names its own kind', async () => {
      simulators.injectFault('switch', { action: 'refuse', status: 200 });
      const envelope = await api.switchList();
      expect(envelope.status).toBe(200);
      expect(JSON.parse(envelope.text)).toEqual({
        success: false, error_type: 'internal_error', error: { message: 'Simulated failure.', code: 500, reason: 'internal_error' },
      });
      simulators.injectFault('switch', { action: 'refuse', status: 404, message: 'gone' });
      const notFound = await api.switchList();
      expect(notFound.status).toBe(404);
      expect(JSON.parse(notFound.text)).toEqual({
        success: false, error_type: 'not_found_error', error: { message: 'gone', code: 404, reason: 'not_found' },
      });
      expect(JSON.parse((await api.switchList()).text)).toMatchObject({ success: true });
    });
  });

  describe('rules', () => {
    const unavailable: FaultRule = { action: 'status', status: 503 };
    const statuses = async (count: number) => {
      const seen: number[] = [];
      for (let index = 0; index < count; index++) seen.push((await api.gate('/user/?limit=1')).status);
      return seen;
    };

    it('fire `times` times (default once, "always" and Infinity without end)', async () => {
      simulators.injectFault('gate', unavailable);
      expect(await statuses(2)).toEqual([503, 200]);
      simulators.injectFault('gate', { ...unavailable, times: 3 });
      expect(await statuses(4)).toEqual([503, 503, 503, 200]);
      simulators.injectFault('gate', { ...unavailable, times: 'always' });
      expect(await statuses(5)).toEqual([503, 503, 503, 503, 503]);
      simulators.clearFaults();
      simulators.injectFault('gate', { ...unavailable, times: Infinity });
      expect(await statuses(3)).toEqual([503, 503, 503]);
    });

    it('match the method and an exact path, a trailing slash optional', async () => {
      simulators.injectFault('gate', { ...unavailable, method: 'DELETE', times: 'always' });
      simulators.injectFault('gate', { ...unavailable, path: '/user_token', times: 'always' });
      expect((await api.gate('/user/?limit=1')).status).toBe(200);
      expect((await api.gate('/user_token/?limit=1')).status).toBe(503);
      expect((await api.gate('/user_token?limit=1')).status).toBe(503);
      expect((await api.gate('/user_token/1/')).status).toBe(200);
      expect((await api.gate('/user/99999999/', { method: 'DELETE' })).status).toBe(503);
    });

    it('match :param patterns segment by segment', async () => {
      const owner = simulators.dataset.edgeUsers[0]!;
      simulators.injectFault('edge', { path: '/users/:id/tokens/', action: 'status', status: 429, times: 'always' });
      expect((await api.edge(`/users/${owner.id}/tokens/`)).status).toBe(429);
      expect((await api.edge('/users/anyone/tokens')).status).toBe(429);
      expect((await api.edge(`/users/${owner.id}/`)).status).toBe(200);
      expect((await api.edge(`/users/${owner.id}/tokens/some-token/`)).status).toBe(404);
    });

    it('are checked in the order added, each consumed when it fires', async () => {
      simulators.injectFault('gate', { path: '/user/', action: 'status', status: 500 });
      simulators.injectFault('gate', { action: 'status', status: 502, times: 2 });
      expect(await statuses(4)).toEqual([500, 502, 502, 200]);
    });

    it('belong to one upstream, survive resetRequests and go with clearFaults', async () => {
      simulators.injectFault('switch', { action: 'status', status: 503, times: 'always' });
      expect((await api.gate('/user/?limit=1')).status).toBe(200);
      simulators.resetRequests();
      expect((await api.switchList()).status).toBe(503);
      simulators.clearFaults();
      expect((await api.switchList()).status).toBe(200);
    });

    it('with a chance fire on about that fraction of matching requests, and say so in the stats', async () => {
      simulators.injectFault('gate', { ...unavailable, times: 'always', chance: 0.25 });
      const seen = await statuses(400);
      const failed = seen.filter((status) => status === 503).length;
      // Binomial(400, 0.25): mean 100, standard deviation 8.7; these bounds are 5.7 of them away.
      expect(failed).toBeGreaterThan(50);
      expect(failed).toBeLessThan(150);
      expect(seen.filter((status) => status !== 503).every((status) => status === 200)).toBe(true);
      expect(simulators.stats('gate')).toEqual({ requests: 400, connections: expect.any(Number), faulted: failed, faultedByAction: { status: failed } });
      expect(simulators.stats('edge')).toEqual({ requests: 0, connections: 0, faulted: 0, faultedByAction: {} });
    });

    it('are validated in process too', () => {
      expect(() => simulators.injectFault('gate', { action: 'hang', chance: 0 })).toThrow(/"chance"/);
      expect(() => simulators.injectFault('gate', { action: 'hang', chance: 1.5 })).toThrow(/"chance"/);
      expect(() => simulators.injectFault('gate', { action: 'refuse', status: 42 })).toThrow(/"status"/);
      expect(() => simulators.injectFault('gate', { action: 'status', status: 42 })).toThrow(/invalid fault rule: .*"status"/);
      expect(() => simulators.injectFault('gate', { action: 'hang', times: 0 })).toThrow(/"times"/);
      expect(() => simulators.injectFault('gate', { action: 'hang', path: 'user/' })).toThrow(/"path"/);
    });
  });

  describe('over HTTP', () => {
    const faultsUrl = () => `${new URL(simulators.gate.url).origin}/__simulator/faults`;
    const post = (body: string) => call(faultsUrl(), { method: 'POST', headers: { 'content-type': 'application/json' }, body });

    it('adds, lists (times left) and clears rules, without counting as API requests', async () => {
      const added = await post(JSON.stringify({ method: 'GET', path: '/user/', action: 'status', status: 503, headers: { 'Retry-After': '1' }, times: 2 }));
      expect(added.status).toBe(201);
      expect((await post(JSON.stringify({ action: 'hang', times: 'always' }))).status).toBe(201);
      const listed = { method: 'GET', path: '/user/', action: 'status', status: 503, headers: { 'Retry-After': '1' } };
      expect(JSON.parse(added.text)).toEqual({ faults: [{ ...listed, times: 2 }] });

      const answer = await api.gate('/user/?limit=1');
      expect(answer.status).toBe(503);
      expect(answer.headers.get('retry-after')).toBe('1');
      expect(JSON.parse((await call(faultsUrl())).text)).toEqual({ faults: [{ ...listed, times: 1 }, { action: 'hang', times: 'always' }] });

      const cleared = await call(faultsUrl(), { method: 'DELETE' });
      expect(cleared.status).toBe(200);
      expect(JSON.parse(cleared.text)).toEqual({ faults: [] });
      expect((await api.gate('/user/?limit=1')).status).toBe(200);
      expect(simulators.requests).toHaveLength(2);
      expect(JSON.parse((await call(`${new URL(simulators.gate.url).origin}/__simulator/stats`)).text)).toEqual({
        requests: 2, connections: expect.any(Number), faulted: 1, faultedByAction: { status: 1 },
      });
    });

    it('answers 400 naming the bad field', async () => {
      const problems = async (body: string) => {
        const answer = await post(body);
        expect(answer.status).toBe(400);
        return JSON.parse(answer.text) as Record<string, unknown>;
      };
      expect(Object.keys(await problems(JSON.stringify({ action: 'status', status: 42 })))).toEqual(['status']);
      expect(Object.keys(await problems(JSON.stringify({ action: 'explode' })))).toEqual(['action']);
      expect(Object.keys(await problems(JSON.stringify({ path: '/user/' })))).toEqual(['action']);
      expect(Object.keys(await problems(JSON.stringify({ action: 'hang', time: 3 })))).toEqual(['time']);
      expect(Object.keys(await problems(JSON.stringify({ action: 'hang', method: 'get' })))).toEqual(['method']);
      expect(Object.keys(await problems(JSON.stringify({ action: 'delay', ms: 'soon' })))).toEqual(['ms']);
      expect(Object.keys(await problems(JSON.stringify({ action: 'hang', times: -1 })))).toEqual(['times']);
      expect(Object.keys(await problems(JSON.stringify({ action: 'hang', chance: 0 })))).toEqual(['chance']);
      expect(Object.keys(await problems(JSON.stringify({ action: 'hang', chance: 2 })))).toEqual(['chance']);
      expect(Object.keys(await problems(JSON.stringify({ action: 'hang', chance: '0.1' })))).toEqual(['chance']);
      expect(Object.keys(await problems(JSON.stringify({ action: 'refuse', message: 3 })))).toEqual(['message']);
      expect(Object.keys(await problems(JSON.stringify({ action: 'status', status: 503, headers: { 'bad name': 'x' } })))).toEqual(['headers.bad name']);
      expect(await problems('{"action":')).toEqual({ detail: expect.stringMatching(/^JSON parse error/) });
      expect(JSON.parse((await call(faultsUrl())).text)).toEqual({ faults: [] });
    });
  });

  describe('chance, with scripted dice', () => {
    let own: Simulators;
    let dice: number[] = [];
    const rolls: number[] = [];
    const gateStatus = async () => (await call(`${own.gate.url}/user/?limit=1`, { headers: { authorization: `Bearer ${own.gate.token}` } })).status;
    const faultsUrl = () => `${new URL(own.gate.url).origin}/__simulator/faults`;

    beforeAll(async () => {
      own = await startSimulators({
        random: () => {
          const roll = dice.shift();
          if (roll === undefined) throw new Error('the test rolled more dice than it scripted');
          rolls.push(roll);
          return roll;
        },
      });
    });
    afterEach(() => {
      own.clearFaults();
      own.resetRequests();
      dice = [];
      rolls.length = 0;
    });
    afterAll(() => own.close());

    it('fires when the roll is below the chance', async () => {
      own.injectFault('gate', { action: 'status', status: 503, times: 'always', chance: 0.25 });
      dice = [0.5, 0.1, 0.9, 0.2499, 0.25];
      const seen = [];
      for (let index = 0; index < 5; index++) seen.push(await gateStatus());
      expect(seen).toEqual([200, 503, 200, 503, 200]);
      expect(own.stats('gate')).toEqual({ requests: 5, connections: expect.any(Number), faulted: 2, faultedByAction: { status: 2 } });
    });

    it('uses up `times` only when it fires, and is listed with its chance', async () => {
      own.injectFault('gate', { action: 'status', status: 503, times: 1, chance: 0.5 });
      dice = [0.7];
      expect(await gateStatus()).toBe(200);
      expect(JSON.parse((await call(faultsUrl())).text)).toEqual({ faults: [{ action: 'status', status: 503, times: 1, chance: 0.5 }] });
      dice = [0.3];
      expect(await gateStatus()).toBe(503);
      expect(await gateStatus()).toBe(200);
      expect(JSON.parse((await call(faultsUrl())).text)).toEqual({ faults: [] });
      expect(rolls).toEqual([0.7, 0.3]);
    });

    it('passes a request that loses the roll on to the next rule; rules without a chance roll no dice', async () => {
      own.injectFault('gate', { action: 'status', status: 500, times: 'always', chance: 0.5 });
      own.injectFault('gate', { action: 'status', status: 502, times: 'always' });
      dice = [0.9, 0.1];
      expect([await gateStatus(), await gateStatus()]).toEqual([502, 500]);
      expect(rolls).toEqual([0.9, 0.1]);
      expect(own.stats('gate').faultedByAction).toEqual({ status: 2 });
    });

    it('rolls only for requests the rule matches', async () => {
      own.injectFault('gate', { method: 'DELETE', action: 'status', status: 503, times: 'always', chance: 0.5 });
      expect(await gateStatus()).toBe(200);
      expect(rolls).toEqual([]);
    });

    it('is taken over HTTP, and reset zeroes the fault counters', async () => {
      const origin = new URL(own.gate.url).origin;
      const added = await call(faultsUrl(), { method: 'POST', body: JSON.stringify({ action: 'reset-before', times: 'always', chance: 0.1 }) });
      expect(added.status).toBe(201);
      dice = [0.05];
      await expect(fetch(`${own.gate.url}/user/?limit=1`, { headers: { authorization: `Bearer ${own.gate.token}` } })).rejects.toThrow();
      expect(JSON.parse((await call(`${origin}/__simulator/stats`)).text)).toEqual({ requests: 1, connections: expect.any(Number), faulted: 1, faultedByAction: { 'reset-before': 1 } });
      expect(JSON.parse((await call(`${origin}/__simulator/reset`, { method: 'POST' })).text)).toEqual({ requests: 0, connections: 0, faulted: 0, faultedByAction: {} });
    });
  });

  it('closing a server does not wait for a hung request', async () => {
    const own = await startSimulators();
    own.injectFault('switch', { action: 'hang' });
    const hung = fetch(`${own.switch.url}/user/list`, { headers: { 'x-auth-token': own.switch.token } });
    await until(() => own.requests.length === 1);
    // The request never ends by itself: a close that waited for it would never resolve.
    await own.close();
    expect(await socketFailure(hung)).toBe('UND_ERR_SOCKET');
  });
});
