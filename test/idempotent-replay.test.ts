// Replays are marked as such (issue 20, item 15): an answer given again from an earlier request
// with the same idempotency key says so, in the response header and the answer's extensions.
import { meros } from 'meros/browser';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { IDEMPOTENT_REPLAYED_HEADER } from '../src/server/plugins/use-idempotent-replay.ts';
import { startHarness, type Harness } from './support/harness.ts';
import { person } from './support/people.ts';

type Json = Record<string, any>;

const ADD_BALANCE = `mutation TopUp($username: String!, $key: String) {
  addBalance(input: { username: $username, seconds: 30, idempotencyKey: $key }) { __typename ... on BalancePayload { balance { seconds } } }
}`;
const PROVISION = `mutation Provision($input: ProvisionUserInput!) {
  provisionUser(input: $input) { __typename ... on Error { message } ... on ProvisionUserPayload { user { username } } }
}`;
const DEPROVISION = `mutation Deprovision($username: String!) { deprovisionUser(input: { username: $username }) { __typename } }`;

describe('idempotent replays', () => {
  let harness: Harness;
  beforeAll(async () => {
    harness = await startHarness();
  });
  afterAll(() => harness.close());

  /** One operation through `yoga.fetch`, as a client sends it: its body and the replay header. */
  async function send(query: string, variables: Json): Promise<{ body: Json; replayed: string | null }> {
    const response = await harness.yoga.fetch('http://gateway.test/graphql', {
      method: 'POST',
      headers: { 'content-type': 'application/json', accept: 'application/graphql-response+json' },
      body: JSON.stringify({ query, variables }),
    });
    return { body: (await response.json()) as Json, replayed: response.headers.get(IDEMPOTENT_REPLAYED_HEADER) };
  }

  const tokenHolder = () => {
    const found = harness.simulators.dataset.people.find((candidate) => candidate.hasToken && !candidate.username.includes(' '));
    if (!found) throw new Error('the dataset has nobody with a token');
    return found.username;
  };

  it('marks a replayed addBalance with the header and the extension; the first answer and an unkeyed one carry neither', async () => {
    const username = tokenHolder();
    const first = await send(ADD_BALANCE, { username, key: 'replay-topup-1' });
    expect(first.body['data']['addBalance']['__typename']).toBe('BalancePayload');
    expect(first.replayed).toBeNull();
    expect(first.body['extensions']?.['idempotentReplays']).toBeUndefined();

    const again = await send(ADD_BALANCE, { username, key: 'replay-topup-1' });
    expect(again.body['data']).toEqual(first.body['data']);
    expect(again.replayed).toBe('true');
    expect(again.body['extensions']).toEqual({ idempotentReplays: [{ path: ['addBalance'], mutation: 'addBalance' }] });

    const unkeyed = await send(ADD_BALANCE, { username, key: null });
    expect(unkeyed.replayed).toBeNull();
    expect(unkeyed.body['extensions']?.['idempotentReplays']).toBeUndefined();
  });

  it('marks a replay whose answer comes in parts (@defer in its payload): the header, and the extension in the initial part', async () => {
    const username = tokenHolder();
    const deferred = ADD_BALANCE.replace('... on BalancePayload {', '... on BalancePayload @defer {');
    await send(ADD_BALANCE, { username, key: 'replay-topup-deferred' });
    const response = await harness.yoga.fetch('http://gateway.test/graphql', {
      method: 'POST',
      headers: { 'content-type': 'application/json', accept: 'multipart/mixed' },
      body: JSON.stringify({ query: deferred, variables: { username, key: 'replay-topup-deferred' } }),
    });
    expect(response.headers.get(IDEMPOTENT_REPLAYED_HEADER)).toBe('true');
    const parts = await meros<Json>(response);
    if (parts instanceof Response) throw new Error('not an answer in parts');
    const bodies: Json[] = [];
    for await (const part of parts) bodies.push(part.body);
    expect(bodies[0]).toMatchObject({ data: { addBalance: { __typename: 'BalancePayload' } }, hasNext: true, extensions: { idempotentReplays: [{ path: ['addBalance'], mutation: 'addBalance' }] } });
    expect(bodies.slice(1).some((body) => body['extensions'])).toBe(false);
  });

  it('marks a provisioning replayed after the person was deprovisioned: the answer is the earlier one, and says so', async () => {
    const input = person('replayed.gone', 'replay-provision-1');
    const first = await send(PROVISION, { input });
    expect(first.body['data']['provisionUser']).toMatchObject({ __typename: 'ProvisionUserPayload', user: { username: 'replayed.gone' } });
    expect(first.replayed).toBeNull();
    expect((await send(DEPROVISION, { username: 'replayed.gone' })).body['data']['deprovisionUser']['__typename']).toBe('DeprovisionUserPayload');

    const replayed = await send(PROVISION, { input });
    expect(replayed.body['data']).toEqual(first.body['data']);
    expect(replayed.replayed).toBe('true');
    expect(replayed.body['extensions']).toEqual({ idempotentReplays: [{ path: ['provisionUser'], mutation: 'provisionUser' }] });
  });

  it('names only the replayed fields of a document of several mutations, by their aliases', async () => {
    const username = tokenHolder();
    await send(ADD_BALANCE, { username, key: 'replay-topup-2' });
    const mixed = await send(
      `mutation Mixed($username: String!) {
        fresh: addBalance(input: { username: $username, seconds: 1, idempotencyKey: "replay-topup-3" }) { __typename }
        again: addBalance(input: { username: $username, seconds: 30, idempotencyKey: "replay-topup-2" }) { __typename }
      }`,
      { username },
    );
    expect(mixed.body['data']).toEqual({ fresh: { __typename: 'BalancePayload' }, again: { __typename: 'BalancePayload' } });
    expect(mixed.replayed).toBe('true');
    expect(mixed.body['extensions']).toEqual({ idempotentReplays: [{ path: ['again'], mutation: 'addBalance' }] });
  });

  it('marks a replayed refusal too: the kept ConflictError of an earlier request', async () => {
    const taken = tokenHolder();
    const input = { ...person(taken, 'replay-conflict-1'), edge: undefined };
    const first = await send(PROVISION, { input });
    expect(first.body['data']['provisionUser']['__typename']).toBe('ConflictError');
    expect(first.replayed).toBeNull();
    const again = await send(PROVISION, { input });
    expect(again.body['data']).toEqual(first.body['data']);
    expect(again.replayed).toBe('true');
    expect(again.body['extensions']).toEqual({ idempotentReplays: [{ path: ['provisionUser'], mutation: 'provisionUser' }] });
  });
});
