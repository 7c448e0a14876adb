import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EveryNodeKindOfDocument, NodeDocument, NodesDocument } from './generated/graphql.ts';
import { startHarness, type Harness } from './support/harness.ts';

let harness: Harness;
beforeAll(async () => {
  harness = await startHarness();
});
afterAll(() => harness.close());

/** A person with a record of every kind, devices and access tokens included. */
function richestPerson(): string {
  const data = harness.simulators.dataset;
  const person = data.people.find((candidate) => {
    if (!(candidate.inEdge && candidate.inSwitch && candidate.hasToken && candidate.hasExtra)) return false;
    const extra = data.userExtras.find((record) => String(record.parent) === candidate.gateUserId);
    const edgeUser = data.edgeUsers.find((record) => record.username === candidate.username);
    return (extra?.assignedDevices.length ?? 0) > 0 && (edgeUser?.tokens.length ?? 0) > 0 && (edgeUser?.history.length ?? 0) > 0;
  });
  return person!.username;
}

async function idsOfEveryKind(): Promise<Record<string, string>> {
  const { user } = await harness.data(EveryNodeKindOfDocument, { username: richestPerson() });
  return {
    User: user!.id,
    Token: user!.token!.id,
    Balance: user!.balance!.id,
    Extra: user!.extra!.id,
    Device: user!.extra!.devices![0]!.id,
    EdgeUser: user!.edgeAccount!.id,
    AccessToken: user!.accessTokens!.edges[0]!.node.id,
    LoginHistory: user!.loginHistory!.edges[0]!.node.id,
    SwitchUser: user!.switchAccount!.id,
  };
}

describe('node and nodes', () => {
  it('round-trips the global id of every object type', async () => {
    const ids = await idsOfEveryKind();
    expect(Object.keys(ids)).toHaveLength(9);
    for (const [typename, id] of Object.entries(ids)) {
      const { node } = await harness.data(NodeDocument, { id });
      expect(node).toMatchObject({ __typename: typename, id });
    }
  });

  it('resolves several ids of different types at once, in order, with null for the unknown', async () => {
    const ids = await idsOfEveryKind();
    const unknown = [
      Buffer.from('User:no.such.person').toString('base64url'),
      Buffer.from('SwitchUser:999999').toString('base64url'),
      Buffer.from('Token:999999').toString('base64url'),
      Buffer.from('EdgeUser:ffffffffffffffffffffffff').toString('base64url'),
    ];
    const { nodes } = await harness.data(NodesDocument, { ids: [...Object.values(ids), ...unknown] });
    expect(nodes.map((node) => node?.__typename ?? null)).toEqual([...Object.keys(ids), null, null, null, null]);
  });

  it('refuses ids that are not global ids of this API', async () => {
    for (const id of ['not-an-id', Buffer.from('Nope:1').toString('base64url'), Buffer.from('SwitchUser:abc').toString('base64url')]) {
      const result = await harness.execute(NodeDocument, { id });
      expect(result.errors?.[0]?.extensions?.['code']).toBe('BAD_USER_INPUT');
    }
  });

  it('answers a global id through the same loaders as the rest of the query', async () => {
    const username = richestPerson();
    const id = Buffer.from(`User:${username}`).toString('base64url');
    harness.simulators.resetRequests();
    const result = await harness.data(`query($id: ID!, $username: String!) { node(id: $id) { id } user(username: $username) { id } }`, {
      id,
      username,
    });
    expect(result).toEqual({ node: { id }, user: { id } });
    expect(harness.requests()).toHaveLength(1);
  });
});

describe('ids are read strictly, and nothing unsafe becomes a path segment', () => {
  const globalId = (text: string) => Buffer.from(text).toString('base64url');
  const codes = (result: { errors?: readonly { extensions?: Record<string, unknown> }[] }) =>
    result.errors?.map((error) => error.extensions?.['code']);

  it.each([
    ['a malformed percent escape in a composite id', globalId('AccessToken:abc%ZZ/def')],
    ['a composite id with a part written two ways', globalId('AccessToken:%61bc/def')],
    ['a composite id with too many parts', globalId('Device:1/2/3')],
    ['an integer id with a leading zero', globalId('Token:012')],
    ['an integer id in exponent form', globalId('SwitchUser:1e3')],
    ['an integer id with a sign', globalId('Extra:+5')],
    ['an integer id with spaces', globalId('Balance: 7')],
    ['an integer id past 15 digits', globalId('Token:1234567890123456')],
    ['an edge id that climbs the path', globalId('EdgeUser:..')],
    ['an edge id holding a slash', globalId('EdgeUser:abc/../../users')],
    ['an edge id holding an escaped slash', globalId('EdgeUser:abc%2F..')],
    ['an edge id holding a parameter', globalId('EdgeUser:abc;x=1')],
    ['a login attempt of an account id that climbs the path', globalId('LoginHistory:..%2F..%2Fusers/2024-01-01T00%3A00%3A00.000Z/0')],
    ['base64 with padding', `${globalId('Token:1')}==`],
    ['base64 of the standard alphabet', Buffer.from('SwitchUser:1?>').toString('base64')],
    ['base64 whose last character carries stray bits', `${globalId('Token:12').slice(0, -1)}z`],
    ['bytes that are not UTF-8', Buffer.from([0x54, 0x6f, 0x6b, 0x65, 0x6e, 0x3a, 0xff]).toString('base64url')],
  ])('refuses %s with BAD_USER_INPUT, asking no upstream', async (_case, id) => {
    harness.simulators.resetRequests();
    const result = await harness.execute(NodeDocument, { id });
    expect(result.data?.node ?? null).toBeNull();
    expect(codes(result)).toEqual(['BAD_USER_INPUT']);
    expect(harness.requests()).toHaveLength(0);
  });

  it('looks up a username that cannot be a path segment through gate`s exact filter instead', async () => {
    for (const username of ['..', 'a/../../user_token', 'bob;x', 'bob%2F']) {
      harness.simulators.resetRequests();
      const { user } = (await harness.data(`query($u: String!) { user(username: $u) { username } }`, { u: username })) as { user: unknown };
      expect(user).toBeNull();
      const [lookup, ...rest] = harness.requests();
      expect(rest).toEqual([]);
      expect(lookup).toMatchObject({ upstream: 'gate', path: '/api/v1/user/' });
      expect(lookup?.query.get('username')).toBe(username);
    }
  });

  it('fails a bad id in nodes(ids:) on its own item, beside nodes that cost an upstream call', async () => {
    const slow = await startHarness({ latencyMs: 30 });
    try {
      const ids = [globalId('User:bob'), 'not-an-id', globalId('Token:1e3'), globalId('SwitchUser:999999')];
      const result = await slow.execute(NodesDocument, { ids });
      expect(result.data?.nodes.map((node) => node?.__typename ?? null)).toEqual(['User', null, null, null]);
      expect(result.errors?.map((error) => [error.path, error.extensions?.['code']])).toEqual([
        [['nodes', 1], 'BAD_USER_INPUT'],
        [['nodes', 2], 'BAD_USER_INPUT'],
      ]);
    } finally {
      await slow.close();
    }
  });
});
