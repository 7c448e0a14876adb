import { request } from 'undici';
import { describe, expect, it, vi } from 'vitest';
import { Admission, type AdmissionOutcome, type AdmissionSettings, type Admitted } from '../src/server/admission.ts';
import { FakeClock } from './support/fake-clock.ts';
import { apiKey } from './support/credentials.ts';
import { harnessPerTest, type Harness } from './support/harness.ts';
import { answersHeldUntilReleased, WAIT } from './support/held-answers.ts';
import { person } from './support/people.ts';
import { proxiesPerTest } from './support/reshaping-proxy.ts';
import { observedGatewayPerTest, samplesOf, valueOf } from './support/signals.ts';

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- answers are read field by field
type Loose = any;

const SETTINGS: AdmissionSettings = { budget: 10, maxQueued: 5, maxQueuedPerClient: 3 };
const FAR = 1e9;

function setUp(settings: Partial<AdmissionSettings> = {}) {
  const clock = new FakeClock();
  const admission = new Admission({ ...SETTINGS, ...settings }, clock);
  return { clock, admission };
}

function admittedNow(outcome: AdmissionOutcome | Promise<AdmissionOutcome>): Admitted {
  if (outcome instanceof Promise || !outcome.admitted) throw new Error(`not admitted at once: ${JSON.stringify(outcome)}`);
  return outcome;
}

/** A promised outcome, and whether it has settled yet (microtasks flushed). */
async function watch(outcome: AdmissionOutcome | Promise<AdmissionOutcome>) {
  const watched: { outcome: AdmissionOutcome | undefined } = { outcome: undefined };
  void Promise.resolve(outcome).then((settled) => {
    watched.outcome = settled;
  });
  await Promise.resolve();
  return watched;
}

const flush = () => new Promise((resolve) => setImmediate(resolve));

/** Three queries of the whole budget (10), each held 1 s: the admission learns its budget frees at 10 a second. */
function freeTenASecond(admission: Admission, clock: FakeClock): void {
  for (let index = 0; index < 3; index++) {
    const query = admittedNow(admission.request({ client: 'a', cost: SETTINGS.budget, deadline: FAR }));
    clock.advance(1000);
    query.release();
  }
}

describe('admission by upstream calls', () => {
  it('admits at once while the estimates fit the budget, and the next ones when the budget frees', async () => {
    const { admission, clock } = setUp();
    const first = admittedNow(admission.request({ client: 'a', cost: 6, deadline: FAR }));
    admittedNow(admission.request({ client: 'a', cost: 4, deadline: FAR }));
    expect(admission.state).toEqual({ inFlight: 10, running: 2, queued: 0 });
    const third = await watch(admission.request({ client: 'b', cost: 5, deadline: FAR }));
    expect(third.outcome).toBeUndefined();
    expect(admission.state.queued).toBe(1);
    clock.advance(250);
    first.release();
    first.release();
    await flush();
    expect(third.outcome).toMatchObject({ admitted: true, waitedMs: 250 });
    expect(admission.state).toEqual({ inFlight: 9, running: 2, queued: 0 });
  });

  it('runs a query estimated past the whole budget alone, counted as the whole budget', async () => {
    const { admission } = setUp();
    const small = admittedNow(admission.request({ client: 'a', cost: 1, deadline: FAR }));
    const huge = await watch(admission.request({ client: 'a', cost: 50, deadline: FAR }));
    expect(huge.outcome).toBeUndefined();
    small.release();
    await flush();
    expect(huge.outcome?.admitted).toBe(true);
    expect(admission.state.inFlight).toBe(10);
  });

  it('serves the clients in turn: one flooding client does not keep another waiting behind its queue', async () => {
    const { admission } = setUp({ maxQueued: 10, maxQueuedPerClient: 10 });
    const running = admittedNow(admission.request({ client: 'flood', cost: 10, deadline: FAR }));
    const flood = await Promise.all([1, 2, 3].map(() => watch(admission.request({ client: 'flood', cost: 10, deadline: FAR }))));
    const other = await watch(admission.request({ client: 'other', cost: 10, deadline: FAR }));
    running.release();
    await flush();
    expect(flood.map((each) => each.outcome?.admitted)).toEqual([true, undefined, undefined]);
    expect(other.outcome).toBeUndefined();
    (flood[0]?.outcome as Admitted).release();
    await flush();
    // The other client's turn, though the flood's second query waited longer.
    expect(other.outcome?.admitted).toBe(true);
    expect(flood[1]?.outcome).toBeUndefined();
  });

  it('lets a cheap query that fits go before an expensive one that does not fit yet', async () => {
    const { admission } = setUp();
    admittedNow(admission.request({ client: 'a', cost: 7, deadline: FAR }));
    const expensive = await watch(admission.request({ client: 'a', cost: 8, deadline: FAR }));
    const cheap = await watch(admission.request({ client: 'b', cost: 2, deadline: FAR }));
    await flush();
    expect(cheap.outcome?.admitted).toBe(true);
    expect(expensive.outcome).toBeUndefined();
  });

  it('lets cheap ones pass a waiting expensive query by a whole budget`s worth at most, so that they cannot starve it', async () => {
    const { admission } = setUp({ maxQueued: 100, maxQueuedPerClient: 100 });
    const running = admittedNow(admission.request({ client: 'a', cost: 7, deadline: FAR }));
    const expensive = await watch(admission.request({ client: 'a', cost: 8, deadline: FAR }));
    for (let pass = 0; pass < SETTINGS.budget; pass++) {
      const cheap = await watch(admission.request({ client: 'b', cost: 1, deadline: FAR }));
      await flush();
      expect(cheap.outcome?.admitted).toBe(true);
      (cheap.outcome as Admitted).release();
    }
    const held = await watch(admission.request({ client: 'b', cost: 1, deadline: FAR }));
    await flush();
    expect(held.outcome).toBeUndefined();
    running.release();
    await flush();
    expect(expensive.outcome?.admitted).toBe(true);
    expect(held.outcome?.admitted).toBe(true);
  });

  it('expects a client with nothing waiting to be served in its turn, not behind another client`s whole queue', async () => {
    const { admission, clock } = setUp({ maxQueued: 100, maxQueuedPerClient: 100 });
    freeTenASecond(admission, clock);
    admittedNow(admission.request({ client: 'a', cost: 10, deadline: FAR }));
    for (let index = 0; index < 5; index++) void admission.request({ client: 'a', cost: 10, deadline: FAR });
    // Behind client a's five, it would wait 6 s; in its turn, after a's first, about 1 s.
    const deadline = clock.now() + 2500;
    expect(admission.request({ client: 'a', cost: 1, deadline })).toMatchObject({ admitted: false, reason: 'deadline' });
    const other = await watch(admission.request({ client: 'b', cost: 1, deadline }));
    expect(other.outcome).toBeUndefined();
    expect(admission.state.queued).toBe(6);
  });

  it('refuses at once past the queue, and past one client`s share of it, with a Retry-After', () => {
    const { admission } = setUp();
    admittedNow(admission.request({ client: 'a', cost: 10, deadline: FAR }));
    for (let index = 0; index < 3; index++) void admission.request({ client: 'a', cost: 1, deadline: FAR });
    expect(admission.request({ client: 'a', cost: 1, deadline: FAR })).toEqual({ admitted: false, reason: 'client-queue-full', retryAfterSeconds: 1 });
    void admission.request({ client: 'b', cost: 1, deadline: FAR });
    void admission.request({ client: 'c', cost: 1, deadline: FAR });
    expect(admission.request({ client: 'd', cost: 1, deadline: FAR })).toMatchObject({ admitted: false, reason: 'queue-full' });
    expect(admission.state).toMatchObject({ running: 1, queued: 5 });
  });

  it('says when a request would be refused whatever it asks: others waiting and the queue, or the client`s share, full', () => {
    const { admission } = setUp({ maxQueued: 3, maxQueuedPerClient: 2 });
    admittedNow(admission.request({ client: 'a', cost: 10, deadline: FAR }));
    // Nothing waits: a request might fit at once, so nothing is refused unread.
    expect(admission.certainRefusal('a', FAR)).toBeUndefined();
    void admission.request({ client: 'a', cost: 1, deadline: FAR });
    void admission.request({ client: 'a', cost: 1, deadline: FAR });
    expect(admission.certainRefusal('a', FAR)).toMatchObject({ admitted: false, reason: 'client-queue-full' });
    expect(admission.certainRefusal('b', FAR)).toBeUndefined();
    void admission.request({ client: 'b', cost: 1, deadline: FAR });
    expect(admission.certainRefusal('c', FAR)).toMatchObject({ admitted: false, reason: 'queue-full' });
  });

  it('says a request would be refused whatever it asks when what is served before it would keep it past its deadline', async () => {
    const { admission, clock } = setUp({ maxQueued: 100, maxQueuedPerClient: 100 });
    freeTenASecond(admission, clock);
    admittedNow(admission.request({ client: 'a', cost: 10, deadline: FAR }));
    const waiting = await watch(admission.request({ client: 'a', cost: 10, deadline: FAR }));
    expect(waiting.outcome).toBeUndefined();
    // Even asking nothing, a request waits 1 s for the one ahead of it in turn, then runs about 1 s.
    for (const client of ['a', 'b']) {
      expect(admission.certainRefusal(client, clock.now() + 1500)).toEqual({ admitted: false, reason: 'deadline', retryAfterSeconds: 1 });
      expect(admission.certainRefusal(client, clock.now() + 2500)).toBeUndefined();
    }
  });

  it('refuses at once a query whose expected wait and run would pass its deadline, by the rate the budget freed at', async () => {
    const { admission, clock } = setUp({ maxQueued: 100, maxQueuedPerClient: 100 });
    freeTenASecond(admission, clock);
    admittedNow(admission.request({ client: 'a', cost: 10, deadline: FAR }));
    // Waits 1 s for the budget, then runs about 1 s: due in 3 s, it is taken.
    const inTime = await watch(admission.request({ client: 'a', cost: 10, deadline: clock.now() + 3000 }));
    expect(inTime.outcome).toBeUndefined();
    // Behind it: 2 s of waiting and 1 s of running do not fit in 2.5 s.
    const late = admission.request({ client: 'b', cost: 10, deadline: clock.now() + 2500 });
    expect(late).toEqual({ admitted: false, reason: 'deadline', retryAfterSeconds: 2 });
  });

  it('gives up on a waiting query once only its run is left before its deadline, never admitting it to time out', async () => {
    const { admission, clock } = setUp();
    const warm = admittedNow(admission.request({ client: 'a', cost: 1, deadline: FAR }));
    clock.advance(400);
    warm.release();
    admittedNow(admission.request({ client: 'a', cost: 10, deadline: FAR }));
    const waiting = await watch(admission.request({ client: 'b', cost: 1, deadline: clock.now() + 1000 }));
    clock.advance(599);
    await flush();
    expect(waiting.outcome).toBeUndefined();
    clock.advance(1);
    await flush();
    expect(waiting.outcome).toMatchObject({ admitted: false, reason: 'deadline' });
    expect(admission.state).toEqual({ inFlight: 10, running: 1, queued: 0 });
  });
});

/** Proxies in front of the simulators, to hold some answers. */
const proxied = proxiesPerTest();

describe('admission over HTTP, against the simulators', () => {
  const start = observedGatewayPerTest();
  const heavyClient = apiKey('heavy', ['users:read', 'admin']);
  const lightClient = apiKey('light', ['users:read', 'admin']);
  // Estimated at 41 upstream calls: a budget of 50 runs one at a time, with room for a light query.
  const HEAVY = '{ users(first: 20) { edges { node { token { isActive } extra { preferences } } } } }';
  const LIGHT = 'query ($username: String!) { user(username: $username) { username switchAccount { userId } } }';

  const post = (url: string, key: string, query: string, variables?: Record<string, unknown>) =>
    request(url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', accept: 'application/graphql-response+json', 'x-api-key': key },
      body: JSON.stringify({ query, variables }),
    }).then(async (response) => ({ status: response.statusCode, retryAfter: response.headers['retry-after'], body: (await response.body.json()) as Loose }));

  it('sheds what does not fit with 503, Retry-After and OVERLOADED, serves another client meanwhile, and recovers', async () => {
    // The heavy query's token and extra lookups are answered only once the light query was; the light query's calls at once.
    const heavyLookups = answersHeldUntilReleased((url) => url.pathname.endsWith('/user_token/') || url.pathname.endsWith('/user_extra/'));
    const observed = await start({
      env: { API_KEYS: JSON.stringify([heavyClient.entry, lightClient.entry]), ADMISSION_BUDGET: '50', ADMISSION_MAX_QUEUED_PER_CLIENT: '2' },
      urls: async (simulators) => ({ GATE_URL: (await proxied(simulators.gate.url, { hold: heavyLookups.hold })).url }),
    });
    const url = observed.gateway.url;
    const username = observed.simulators.dataset.gateUsers[0]!.username;

    let settled = 0;
    const flood = Array.from({ length: 6 }, () => post(url, heavyClient.key, HEAVY).finally(() => settled++));
    // One runs (its lookups held), two wait their turn (the client's share of the queue), the rest are refused at once.
    await vi.waitFor(() => {
      expect(heavyLookups.held()).toBeGreaterThan(0);
      expect(settled).toBe(3);
    }, WAIT);
    const light = await post(url, lightClient.key, LIGHT, { username });
    expect(light.status).toBe(200);
    expect(light.body.errors).toBeUndefined();
    expect(light.body.data?.['user']?.username).toBe(username);

    heavyLookups.release();
    const answers = await Promise.all(flood);
    const shed = answers.filter((answer) => answer.status === 503);
    const served = answers.filter((answer) => answer.status === 200);
    expect(served).toHaveLength(3);
    expect(shed).toHaveLength(3);
    for (const answer of served) expect(answer.body.errors).toBeUndefined();
    for (const answer of shed) {
      expect(Number(answer.retryAfter)).toBeGreaterThanOrEqual(1);
      expect(answer.body.data).toBeUndefined();
      expect(answer.body.errors?.[0]?.extensions).toMatchObject({ code: 'OVERLOADED', retryAfter: Number(answer.retryAfter) });
    }

    // Overload is not an outage: still ready. And the load over, the same query runs again.
    expect((await observed.fetch('/readyz')).status).toBe(200);
    const again = await post(url, heavyClient.key, HEAVY);
    expect(again.status).toBe(200);
    expect(again.body.data?.['users']?.edges).toHaveLength(20);

    const metrics = await observed.scrape();
    // Refused as they are estimated, or before they are even parsed once the client's share is full.
    const shedCount = samplesOf(metrics, 'graphql_admissions_total', { outcome: 'client-queue-full' }).reduce((sum, sample) => sum + sample.value, 0);
    expect(shedCount).toBe(3);
    expect(valueOf(metrics, 'graphql_admissions_total', { class: 'medium', outcome: 'admitted' })).toBe(4);
    expect(valueOf(metrics, 'graphql_admissions_total', { class: 'light', outcome: 'admitted' })).toBe(1);
    expect(valueOf(metrics, 'graphql_admission_queued')).toBe(0);
    expect(observed.lines().some((line) => line.msg.startsWith('overloaded: shedding operations'))).toBe(true);
    // Refused as read, each is logged as refused, not as failed; refused unread (the client's share
    // already full when it came), it is counted, not logged line by line.
    const outcomes = observed.lines().filter((line) => line['logger'] === 'request' && line['status'] === 503).map((line) => line['outcome']);
    expect(outcomes.every((outcome) => outcome === 'refused')).toBe(true);
    const unread = valueOf(metrics, 'graphql_unread_refusals_total', { code: 'OVERLOADED' }) ?? 0;
    expect(outcomes.length + unread).toBe(3);
    // The heavy query is anonymous: counted so whichever way it was refused.
    expect(valueOf(metrics, 'graphql_requests_total', { operation: 'anonymous', outcome: 'refused' })).toBe(3);
  });
});

describe('admission and mutations', () => {
  const harnessWith = harnessPerTest();
  const observe = observedGatewayPerTest();
  const PROVISION = `mutation($input: ProvisionUserInput!) { provisionUser(input: $input) { __typename ... on ProvisionUserPayload { user { username } } } }`;
  const post = (harness: Harness, query: string, variables?: Record<string, unknown>) =>
    Promise.resolve(
      harness.yoga.fetch('http://gateway.test/graphql', {
        method: 'POST',
        headers: { 'content-type': 'application/json', accept: 'application/graphql-response+json' },
        body: JSON.stringify({ query, variables }),
      }),
    ).then(async (response) => ({ status: response.status, body: (await response.json()) as Loose }));

  it('refuses before reading the request while the client`s share of the queue is full: even a broken one is answered 503', async () => {
    const tokens = answersHeldUntilReleased((url) => url.pathname.endsWith('/user_token/'));
    const observed = await observe({
      env: { ADMISSION_BUDGET: '1', ADMISSION_MAX_QUEUED_PER_CLIENT: '1' },
      urls: async (simulators) => ({ GATE_URL: (await proxied(simulators.gate.url, { hold: tokens.hold })).url }),
    });
    const post = (query: string) => observed.graphql(query).then(async (response) => ({ status: response.status, body: (await response.json()) as Loose }));
    const heavy = '{ users(first: 3) { edges { node { token { isActive } } } } }';
    const running = post(heavy);
    await vi.waitFor(() => expect(tokens.held()).toBeGreaterThan(0), WAIT);
    const waiting = post(heavy);
    await vi.waitFor(async () => expect(valueOf(await observed.scrape(), 'graphql_admission_queued')).toBe(1), WAIT);
    const broken = await post('{ users(first: ');
    expect(broken.status).toBe(503);
    expect(broken.body.errors?.[0]?.extensions).toMatchObject({ code: 'OVERLOADED', retryAfter: expect.any(Number) });
    tokens.release();
    expect((await running).status).toBe(200);
    expect((await waiting).status).toBe(200);
    // Nothing waits any more: the same broken request is read, and refused as what it is.
    expect((await post('{ users(first: ')).status).toBe(400);
  });

  it('lets a provisioning under way finish whatever comes, and refuses one that cannot start before any upstream call', async () => {
    // Room for one operation at a time and none waiting: whatever comes while one runs is refused.
    // The new edge account is made, and its answer held until the others were refused.
    const edgeAccount = answersHeldUntilReleased((url, method) => method === 'POST' && url.pathname.endsWith('/users/'));
    const harness = await harnessWith({ env: { ADMISSION_BUDGET: '1', ADMISSION_MAX_QUEUED: '0' }, reshape: { edge: { hold: edgeAccount.hold } } });
    const underWay = post(harness, PROVISION, { input: person('admitted.first') });
    await vi.waitFor(() => expect(edgeAccount.held()).toBeGreaterThan(0), WAIT);
    const writesBefore = harness.requests().filter((request) => request.method !== 'GET').length;

    const query = await post(harness, '{ users(first: 5) { edges { node { username } } } }');
    const second = await post(harness, PROVISION, { input: person('refused.second') });
    for (const refused of [query, second]) {
      expect(refused.status).toBe(503);
      expect(refused.body.errors?.[0]?.extensions?.code).toBe('OVERLOADED');
      expect(refused.body.data).toBeUndefined();
    }
    // The refused provisioning wrote nothing anywhere.
    expect(harness.requests().filter((request) => request.method !== 'GET').length).toBe(writesBefore);
    expect(harness.simulators.dataset.gateUsers.some((user) => user.username === 'refused.second')).toBe(false);

    edgeAccount.release();
    const finished = await underWay;
    expect(finished.status).toBe(200);
    expect(finished.body.data?.provisionUser).toEqual({ __typename: 'ProvisionUserPayload', user: { username: 'admitted.first' } });
    // The load over, the next one runs.
    expect((await post(harness, '{ users(first: 1) { edges { node { username } } } }')).status).toBe(200);
  });
});

describe('reads the upstream cache answered', () => {
  it('give back what they were estimated at while their query runs, never more than its share, nothing after it ended', async () => {
    const { admission } = setUp();
    const running = admittedNow(admission.request({ client: 'a', cost: 8, deadline: FAR }));
    const waiting = await watch(admission.request({ client: 'b', cost: 5, deadline: FAR }));
    expect(waiting.outcome).toBeUndefined();
    running.giveBack(2);
    await flush();
    expect(waiting.outcome).toBeUndefined();
    running.giveBack(1);
    await flush();
    expect(admission.state).toEqual({ inFlight: 10, running: 2, queued: 0 });
    expect(waiting.outcome).toMatchObject({ admitted: true });
    running.giveBack(100);
    expect(admission.state.inFlight).toBe(5);
    running.release();
    running.giveBack(1);
    expect(admission.state).toEqual({ inFlight: 5, running: 1, queued: 0 });
  });
});
