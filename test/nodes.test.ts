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
