import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { request } from 'undici';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { encodeGlobalId } from '../src/schema/global-ids.ts';
import { MAX_REQUEST_TARGET_BYTES } from '../src/simulators/http.ts';
import { startSimulators, type SimulatedRequest, type Simulators } from '../src/simulators/index.ts';
import { idBatches, SWITCH_MAX_REQUEST_TARGET_BYTES } from '../src/upstreams/switch/client.ts';
import { harnessPerTest } from './support/harness.ts';

const harnessWith = harnessPerTest();

/** The longest id a SwitchUser global id takes: 15 digits (`integerId`). */
const LONGEST_ID = 999_999_999_999_999;

/** What a simulator was asked, as the request line names it. */
const targetOf = (record: SimulatedRequest) => `${record.path}${record.query.size ? `?${record.query}` : ''}`;

const switchCalls = (requests: SimulatedRequest[]) => requests.filter((record) => record.upstream === 'switch');

describe('the simulators, like common servers', () => {
  let simulators: Simulators;
  beforeAll(async () => {
    simulators = await startSimulators({});
  });
  afterAll(() => simulators.close());

  it(`answer 414 URI Too Long to a request target past ${MAX_REQUEST_TARGET_BYTES} bytes, unread`, async () => {
    const base = new URL(simulators.switch.url);
    const prefix = `${base.pathname}/user/list?user_id_in=`;
    const ids = (bytes: number) => '1'.repeat(bytes - prefix.length);
    const ask = (target: string) => request(`${base.origin}${target}`, { headers: { 'x-auth-token': simulators.switch.token } });
    const longest = await ask(`${prefix}${ids(MAX_REQUEST_TARGET_BYTES)}`);
    expect(longest.statusCode).toBe(200);
    await longest.body.dump();
    const tooLong = await ask(`${prefix}${ids(MAX_REQUEST_TARGET_BYTES + 1)}`);
    expect(tooLong.statusCode).toBe(414);
    expect(await tooLong.body.json()).toMatchObject({ success: false, error: { code: 414, reason: 'uri_too_long' } });
    const gate = await request(`${new URL(simulators.gate.url).origin}/api/v1/user/?username=${'a'.repeat(MAX_REQUEST_TARGET_BYTES)}`, {
      headers: { authorization: `Bearer ${simulators.gate.token}` },
    });
    expect(gate.statusCode).toBe(414);
    await gate.body.dump();
  });
});

describe(`switch lookups by id stay within ${SWITCH_MAX_REQUEST_TARGET_BYTES} bytes a request`, () => {
  it('batches ids in order, each batch within the budget, one id at least', () => {
    const ids = Array.from({ length: 100 }, (_, at) => LONGEST_ID - at);
    expect(idBatches(ids, '/v1/user/list'.length)).toEqual([ids]);
    const split = idBatches(ids, 1000);
    expect(split.length).toBeGreaterThan(1);
    expect(split.flat()).toEqual(ids);
    for (const batch of split) expect(1000 + `?user_id_in=${encodeURIComponent(batch.join(','))}&page=0&per_page=100`.length).toBeLessThanOrEqual(SWITCH_MAX_REQUEST_TARGET_BYTES);
    expect(idBatches(ids.slice(0, 3), 5000)).toEqual([[ids[0]], [ids[1]], [ids[2]]]);
    expect(idBatches([], 10)).toEqual([]);
  });

  /** 100 SwitchUser ids: the real ones given, the rest of the longest length, which switch has not. */
  const hundredIds = (real: number[]) => [...real, ...Array.from({ length: 100 - real.length }, (_, at) => LONGEST_ID - at)];
  const NODES = 'query($ids: [ID!]!) { nodes(ids: $ids) { id ... on SwitchUser { userId name } } }';

  it('asks switch once for 100 ids of the longest length under the docs` /v1, and answers every one', async () => {
    const harness = await harnessWith({});
    const real = harness.simulators.dataset.switchUsers.slice(0, 5).map((user) => user.user_id);
    const ids = hundredIds(real);
    harness.simulators.resetRequests();
    const result = await harness.execute(NODES, { ids: ids.map((id) => encodeGlobalId('SwitchUser', id)) });
    expect(result.errors).toBeUndefined();
    const nodes = (result.data as { nodes: ({ userId: number } | null)[] }).nodes;
    expect(nodes.map((node) => node?.userId ?? null)).toEqual([...real, ...Array.from({ length: 95 }, () => null)]);
    const calls = switchCalls(harness.requests());
    expect(calls).toHaveLength(1);
    expect(calls.map((call) => call.status)).toEqual([200]);
    expect(targetOf(calls[0]!).length).toBeLessThanOrEqual(SWITCH_MAX_REQUEST_TARGET_BYTES);
  });

  describe('behind a base path long enough that one call would not fit', () => {
    const PREFIX = `/${'tenant-switch-gateway'.repeat(30)}`;
    let proxy: Server;
    let proxyUrl: string;
    const seen: string[] = [];
    /** The requests held until this many have come: only concurrent calls can all arrive. */
    let together = 0;
    let held: (() => void)[] = [];
    let releasedUnmet = false;

    beforeAll(async () => {
      const simulators = await startSimulators({});
      const target = new URL(simulators.switch.url);
      proxy = createServer(async (incoming, outgoing) => {
        seen.push(incoming.url ?? '');
        if (together > 0) {
          await new Promise<void>((resolve) => {
            held.push(resolve);
            if (held.length === together) held.splice(0).forEach((release) => release());
          });
        }
        const forwarded = await request(`${target.origin}${(incoming.url ?? '').slice(PREFIX.length)}`, {
          headers: { 'x-auth-token': String(incoming.headers['x-auth-token']), 'x-request-id': String(incoming.headers['x-request-id']) },
        });
        outgoing.writeHead(forwarded.statusCode, { 'content-type': 'application/json' });
        outgoing.end(await forwarded.body.text());
      });
      await new Promise<void>((resolve) => proxy.listen(0, '127.0.0.1', resolve));
      proxyUrl = `http://127.0.0.1:${(proxy.address() as AddressInfo).port}${PREFIX}${target.pathname}`;
      afterAll(() => simulators.close());
    });
    afterAll(
      () =>
        new Promise<void>((resolve) => {
          // Whatever is still held (a test that failed) is let go, so that the server can close.
          releasedUnmet = held.length > 0;
          held.splice(0).forEach((release) => release());
          proxy.closeAllConnections();
          proxy.close(() => resolve());
        }),
    );

    it('splits 100 ids of the longest length into calls that go out together, each within the budget, and answers every id', async () => {
      const harness = await harnessWith({ override: { switch: { url: proxyUrl } } });
      const real = harness.simulators.dataset.switchUsers.slice(0, 5).map((user) => user.user_id);
      const ids = hundredIds(real);
      const expectedCalls = idBatches(ids, `${PREFIX}/v1/user/list`.length).length;
      expect(expectedCalls).toBeGreaterThan(1);
      seen.length = 0;
      together = expectedCalls;
      const result = await harness.execute(NODES, { ids: ids.map((id) => encodeGlobalId('SwitchUser', id)) });
      together = 0;
      expect(result.errors).toBeUndefined();
      expect((result.data as { nodes: ({ userId: number } | null)[] }).nodes.map((node) => node?.userId ?? null)).toEqual([
        ...real,
        ...Array.from({ length: 95 }, () => null),
      ]);
      expect(releasedUnmet).toBe(false);
      expect(seen).toHaveLength(expectedCalls);
      for (const url of seen) expect(url.length).toBeLessThanOrEqual(SWITCH_MAX_REQUEST_TARGET_BYTES);
      const asked = seen.flatMap((url) => (new URL(url, 'http://proxy.invalid').searchParams.get('user_id_in') ?? '').split(',').map(Number));
      expect(asked.sort()).toEqual([...ids].sort());
    });
  });

  it('keeps the longest switchUsers filter (100 ids and every text filter at its limit) one call below what servers take', async () => {
    const harness = await harnessWith({});
    const text = '€'.repeat(150);
    harness.simulators.resetRequests();
    const result = await harness.execute(
      `query($ids: [Int!]) {
        switchUsers(
          first: 100
          filter: {
            userIds: $ids, nameContains: "${text}", carrierNameContains: "${text}", userType: "${text}", active: true, isOnline: -2147483648, roleId: -2147483648,
            createdAfter: "2020-01-01T00:00:00.000Z", createdBefore: "2030-01-01T00:00:00.000Z", lastLoginAfter: "2020-01-01T00:00:00.000Z", lastLoginBefore: "2030-01-01T00:00:00.000Z",
            neverLoggedIn: false
          }
          orderBy: { field: LAST_LOGIN_TIME, direction: DESC }
        ) { totalCount }
      }`,
      { ids: Array.from({ length: 100 }, (_, at) => 2_147_483_647 - at) },
    );
    expect(result).toEqual({ data: { switchUsers: { totalCount: 0 } } });
    const calls = switchCalls(harness.requests());
    expect(calls).toHaveLength(1);
    expect(calls[0]?.status).toBe(200);
    expect(targetOf(calls[0]!).length).toBeLessThan(MAX_REQUEST_TARGET_BYTES);
  });
});
