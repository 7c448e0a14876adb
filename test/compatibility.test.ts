import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LoginHistoryPageDocument, SwitchUsersPageDocument, UserRelationsDocument, UsersPageDocument } from './generated/graphql.ts';
import { present } from './support/expect.ts';
import { startHarness, type Harness } from './support/harness.ts';
import { startReshapingProxy, type ReshapingProxy } from './support/reshaping-proxy.ts';
import { EVERYWHERE_USERNAME, LONG_HISTORY_USERNAME, startSimulators, type Simulators } from '../src/simulators/index.ts';

/**
 * Other servers built from the same docs may answer differently where the docs leave room: the
 * gateway must read them all the same.
 */
let simulators: Simulators;
let proxies: ReshapingProxy[];
let harness: Harness;

beforeAll(async () => {
  simulators = await startSimulators();
  proxies = await Promise.all([
    // gate that serves at most 50 items a page, whatever limit it is asked for.
    startReshapingProxy(simulators.gate.url, {
      query: (query) => {
        if (Number(query.get('limit')) > 50) query.set('limit', '50');
      },
    }),
    // edge whose Link headers are relative, or name the host it believes it has.
    startReshapingProxy(simulators.edge.url, {
      headers: (headers) => {
        if (headers['link']) headers['link'] = headers['link'].replace(/<http:\/\/[^/]+/g, (_match) => '<');
      },
    }),
    // switch that serves 30 a page and, like the docs' example, sends no `success` key.
    startReshapingProxy(simulators.switch.url, {
      query: (query) => query.set('per_page', '30'),
      body: (body) => {
        const { success: _success, ...rest } = body as { success?: boolean };
        return rest;
      },
    }),
  ]);
  const [gate, edge, switchProxy] = proxies as [ReshapingProxy, ReshapingProxy, ReshapingProxy];
  harness = await startHarness({ override: { gate: { url: gate.url }, edge: { url: edge.url }, switch: { url: switchProxy.url } } });
});
afterAll(async () => {
  await harness.close();
  await Promise.all(proxies.map((proxy) => proxy.close()));
  await simulators.close();
});

describe('upstreams that answer differently within their docs', () => {
  it('reads a gate that caps pages below 100 without gaps', async () => {
    const { users } = await harness.data(UsersPageDocument, { first: 180, after: Buffer.from('OffsetConnection:9').toString('base64') });
    expect(present(users).edges.map((edge) => edge.node.username)).toEqual(simulators.dataset.gateUsers.slice(10, 190).map((user) => user.username));
  });

  it('reads a switch with smaller pages and no success key', async () => {
    const { switchUsers } = await harness.data(SwitchUsersPageDocument, { first: 100, orderBy: { field: 'USER_ID', direction: 'ASC' } });
    const expected = [...simulators.dataset.switchUsers].sort((a, b) => a.user_id - b.user_id).slice(0, 100);
    expect(present(switchUsers).edges.map((edge) => edge.node.userId)).toEqual(expected.map((user) => user.user_id));
    expect(present(switchUsers).totalCount).toBe(simulators.dataset.switchUsers.length);
  });

  it('follows relative Link URLs through every page of an edge list', async () => {
    const history = simulators.dataset.edgeUsers.find((user) => user.username === LONG_HISTORY_USERNAME)!.history;
    const { user } = await harness.data(LoginHistoryPageDocument, { username: LONG_HISTORY_USERNAME, last: 10 });
    expect(user?.loginHistory?.totalCount).toBe(history.length);
    expect(user?.loginHistory?.edges.map((edge) => edge.node.attemptedAt)).toEqual(
      history.slice(-10).map((attempt) => new Date(`${attempt.attempted_on}Z`).toISOString()),
    );
  });

  it('joins a person across all three', async () => {
    const { user } = await harness.data(UserRelationsDocument, { username: EVERYWHERE_USERNAME });
    expect(user?.edgeAccount?.username).toBe(EVERYWHERE_USERNAME);
    expect(user?.switchAccount?.name).toBe(EVERYWHERE_USERNAME);
    expect(user?.token?.username).toBe(EVERYWHERE_USERNAME);
  });
});
