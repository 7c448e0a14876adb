import { describe, expect, it } from 'vitest';
import type { FaultRule, GateUser, UpstreamName } from '../src/simulators/index.ts';
import { harnessPerTest, type GraphQLResult, type Harness } from './support/harness.ts';
import { present } from './support/expect.ts';
import { person } from './support/people.ts';

/**
 * Writes whose answer does not say what happened (issue 20, items 5, 12 and 13): a write that
 * landed and was answered 500, an accepted change whose read-back fails, and races for one
 * username, against the gateway's own concurrent requests and against another client writing to
 * the upstream directly. Order is made with the simulators' `hold` fault, never with time.
 *
 * Each test names the behaviour of the code before commit 2767be1 that it catches.
 */

type Json = Record<string, any>;

const FAILURE_FIELDS = `
  __typename
  ... on Error { message }
  ... on UpstreamFailure { upstream status retryable }
  ... on OutcomeUnknown { upstream }
`;

/** Runs `field(input: $input)` and answers its result: a payload or a typed failure. */
async function mutate(harness: Harness, field: string, input: Json, payload = ''): Promise<Json> {
  const inputType = `${field.charAt(0).toUpperCase()}${field.slice(1)}Input`;
  const query = `mutation Run($input: ${inputType}!) { result: ${field}(input: $input) { ${FAILURE_FIELDS} ${payload} } }`;
  const response = (await harness.execute(query, { input })) as GraphQLResult<Json>;
  expect(response.errors, JSON.stringify(response.errors)).toBeUndefined();
  return present(response.data?.['result']) as Json;
}

const PROVISIONED = `... on ProvisioningFailed { failedStep leftovers }
... on ProvisionUserPayload {
  user { username email }
  token { username }
  extra { gateId }
  edgeAccount { username }
  accessToken { plaintext accessToken { edgeId title } }
}`;

const data = (harness: Harness) => harness.simulators.dataset;
const gateUsersNamed = (harness: Harness, username: string) => data(harness).gateUsers.filter((user) => user.username === username);
const edgeUsersNamed = (harness: Harness, username: string) => data(harness).edgeUsers.filter((user) => user.username === username);

/** The person's records on each upstream, counted straight from the simulators' data. */
function presence(harness: Harness, username: string) {
  const [user] = gateUsersNamed(harness, username);
  const accounts = edgeUsersNamed(harness, username);
  return {
    'gate.user': gateUsersNamed(harness, username).length,
    'gate.userToken': data(harness).userTokens.filter((token) => token.username === username).length,
    'gate.userExtra': user ? data(harness).userExtras.filter((extra) => String(extra.parent) === user.id).length : 0,
    'edge.user': accounts.length,
    'edge.accessToken': accounts.reduce((count, account) => count + account.tokens.length, 0),
  };
}

const everywhere = { 'gate.user': 1, 'gate.userToken': 1, 'gate.userExtra': 1, 'edge.user': 1, 'edge.accessToken': 1 };
const nowhere = { 'gate.user': 0, 'gate.userToken': 0, 'gate.userExtra': 0, 'edge.user': 0, 'edge.accessToken': 0 };

/** The upstream requests matching a method and a path (a regular expression on the full path). */
const requestsTo = (harness: Harness, method: string, path: RegExp) =>
  harness.requests().filter((request) => request.method === method && path.test(request.path));

/** A person of the dataset with an edge account, to give tokens to or change. */
const edgeAccountOf = (harness: Harness) => {
  const { username } = present(data(harness).people.find((candidate) => candidate.inEdge));
  return present(edgeUsersNamed(harness, username)[0]);
};

// ==== item 5 ====

describe('a write that landed, answered 500, is read back (issue 20, item 5)', () => {
  const harnessWith = harnessPerTest();

  // Before: a 500 was not an unusable answer (only resets, timeouts, 502/504 and unreadable bodies
  // were), so the saga rolled back and answered ProvisioningFailed with `leftovers: []` while the
  // user token stayed on gate.
  it('provisionUser whose user token lands and is answered 500 goes on to a whole person, nothing left over', async () => {
    const harness = await harnessWith({});
    harness.simulators.injectFault('gate', { method: 'POST', path: '/user_token/', action: 'fail-after' });
    const result = await mutate(harness, 'provisionUser', person('five.hundred'), PROVISIONED);
    expect(result).toMatchObject({ __typename: 'ProvisionUserPayload', user: { username: 'five.hundred' }, token: { username: 'five.hundred' } });
    expect(result['accessToken'].plaintext).toMatch(/^\w{20,}$/);
    expect(presence(harness, 'five.hundred')).toEqual(everywhere);
    // The token's POST went once, landed and was answered 500: it was read back, never sent again.
    expect(requestsTo(harness, 'POST', /\/user_token\/$/).map((request) => request.status)).toEqual([500]);
    expect(harness.audit.at(-1)).toMatchObject({ mutation: 'provisionUser', outcome: 'ok', removed: [], leftovers: [] });
  });

  // Before: the 500 was passed on as a retryable UpstreamFailure for a user gate holds.
  it('createUser whose POST lands and is answered 500 answers the user, which exists once', async () => {
    const harness = await harnessWith({});
    harness.simulators.injectFault('gate', { method: 'POST', path: '/user/', action: 'fail-after' });
    const input = { username: 'landed.500', email: 'landed.500@example.com', password: 'landed-Pass-500', firstName: 'Lan' };
    const result = await mutate(harness, 'createUser', input, '... on CreateUserPayload { user { gateId username email firstName } }');
    const stored = gateUsersNamed(harness, 'landed.500');
    expect(stored).toHaveLength(1);
    expect(result).toEqual({ __typename: 'CreateUserPayload', user: { gateId: stored[0]?.id, username: 'landed.500', email: input.email, firstName: 'Lan' } });
    expect(requestsTo(harness, 'POST', /\/user\/$/).map((request) => request.status)).toEqual([500]);
    expect(harness.audit.at(-1)).toMatchObject({ mutation: 'createUser', outcome: 'ok', created: [{ record: 'gate.user', id: stored[0]?.id }] });
  });

  // Before: the 500 was passed on as an UpstreamFailure, and the token that landed stayed live
  // with a plaintext nobody has.
  it('createAccessToken whose POST lands and is answered 500 removes that token and makes it again, with its plaintext', async () => {
    const harness = await harnessWith({});
    const account = edgeAccountOf(harness);
    const tokensBefore = account.tokens.map((token) => token.id);
    harness.simulators.injectFault('edge', { method: 'POST', path: '/users/:id/tokens/', action: 'fail-after' });
    const result = await mutate(harness, 'createAccessToken', { username: account.username, title: 'after a 500' }, '... on CreatedAccessToken { plaintext accessToken { edgeId title } }');
    expect(result).toMatchObject({ __typename: 'CreatedAccessToken', plaintext: expect.stringMatching(/^\w{20,}$/), accessToken: { title: 'after a 500' } });
    const titled = account.tokens.filter((token) => token.title === 'after a 500');
    expect(titled.map((token) => token.id)).toEqual([result['accessToken'].edgeId]);
    expect(account.tokens.map((token) => token.id)).toEqual([...tokensBefore, result['accessToken'].edgeId]);
    // The first POST landed (answered 500), its token was deleted, the second POST made the one kept.
    const tokenPath = new RegExp(`/users/${account.id}/tokens/`);
    expect(requestsTo(harness, 'POST', tokenPath).map((request) => request.status)).toEqual([500, 201]);
    expect(requestsTo(harness, 'DELETE', tokenPath)).toHaveLength(1);
    // Both tokens are in the audit: the one that landed unanswered as made and removed, the one kept as made.
    const [landed] = present(requestsTo(harness, 'DELETE', tokenPath)[0]).path.split('/').slice(-2);
    expect(harness.audit.at(-1)).toMatchObject({
      mutation: 'createAccessToken',
      outcome: 'ok',
      created: [
        { record: 'edge.accessToken', id: landed },
        { record: 'edge.accessToken', id: result['accessToken'].edgeId },
      ],
      removed: [{ record: 'edge.accessToken', id: landed }],
    });
  });
});

// ==== item 13 ====

/** The input of a new gate user, and of a new edge user. */
const newGateUser = (username: string) => ({ username, email: `${username}@example.com`, password: `${username}-Secret-1` });
const newEdgeUser = (username: string) => ({ ...newGateUser(username), firstName: 'Rae', lastName: 'Cer' });

interface CreateRace {
  mutation: 'createUser' | 'createEdgeUser';
  upstream: UpstreamName;
  post: FaultRule['path'];
  payload: string;
  input: (username: string) => Json;
  stored: (harness: Harness, username: string) => unknown[];
  /** Creates a user of this name straight through the upstream's own API, as another client would. */
  createDirectly: (harness: Harness, username: string) => Promise<Response>;
}

const createRaces: CreateRace[] = [
  {
    mutation: 'createUser',
    upstream: 'gate',
    post: '/user/',
    payload: 'CreateUserPayload',
    input: newGateUser,
    stored: gateUsersNamed,
    createDirectly: (harness, username) =>
      fetch(`${harness.simulators.gate.url}/user/`, {
        method: 'POST',
        headers: { authorization: `Bearer ${harness.simulators.gate.token}`, 'content-type': 'application/json' },
        body: JSON.stringify({ username, email: `${username}@other.example`, password: 'other-client-1' }),
      }),
  },
  {
    mutation: 'createEdgeUser',
    upstream: 'edge',
    post: '/users/',
    payload: 'CreateEdgeUserPayload',
    input: newEdgeUser,
    stored: edgeUsersNamed,
    createDirectly: (harness, username) =>
      fetch(`${harness.simulators.edge.url}/users/`, {
        method: 'POST',
        headers: { authorization: `Token ${harness.simulators.edge.token}`, 'content-type': 'application/json' },
        body: JSON.stringify({ username, email: `${username}@other.example`, password: 'other-client-1', first_name: 'Oth', last_name: 'Er' }),
      }),
  },
];

describe('telling the truth about accepted changes and lost races (issue 20, item 13)', () => {
  const harnessWith = harnessPerTest();

  // Before: the read-back failing after the 202 was an UpstreamError 503 thrown from the write
  // itself, so the change that edge had accepted was answered UpstreamFailure ("did not land").
  it('updateEdgeUser answered 202 whose read-backs fail answers OutcomeUnknown, and the change is on edge', async () => {
    const harness = await harnessWith({});
    const account = edgeAccountOf(harness);
    harness.simulators.injectFault('edge', { method: 'GET', path: '/users/:id/', action: 'status', status: 503, times: 'always' });
    const result = await mutate(harness, 'updateEdgeUser', { username: account.username, changes: { lastName: 'Accepted' } });
    expect(result).toMatchObject({ __typename: 'OutcomeUnknown', upstream: 'edge' });
    expect(account.last_name).toBe('Accepted');
    const userPath = new RegExp(`/users/${account.id}/$`);
    expect(requestsTo(harness, 'PATCH', userPath).map((request) => request.status)).toEqual([202]);
    // Every read-back after it was refused: the gateway retried them all before giving up.
    expect(requestsTo(harness, 'GET', userPath).length).toBeGreaterThan(1);
    expect(requestsTo(harness, 'GET', userPath).every((request) => request.status === 503)).toBe(true);
  });

  describe.each(createRaces)('$mutation', ({ mutation, upstream, post, payload, input, stored, createDirectly }) => {
    // Before: the five checks ran side by side (and even shared one read), all found the name
    // free, all five POSTed, and the four that gate or edge refused 400 answered UpstreamFailure.
    it('five at once for one new username through one gateway: one payload and four ConflictError', async () => {
      const harness = await harnessWith({});
      // The first create is held upstream while the other four are under way.
      harness.simulators.injectFault(upstream, { method: 'POST', path: post, action: 'hold' });
      const results = Promise.all(Array.from({ length: 5 }, () => mutate(harness, mutation, input('five.racers'))));
      await harness.simulators.whenHeld(upstream);
      expect(await harness.simulators.releaseHeld(upstream)).toBe(1);
      const typenames = (await results).map((result) => result['__typename']);
      expect(typenames.toSorted()).toEqual([...Array<string>(4).fill('ConflictError'), payload]);
      expect(stored(harness, 'five.racers')).toHaveLength(1);
      expect(requestsTo(harness, 'POST', new RegExp(`${post}$`))).toHaveLength(1);
    });

    // Before: gate's (or edge's) 400 "a user with that username already exists" was passed on as
    // a non-retryable UpstreamFailure 400.
    it('refused 400 because another client took the name between the check and the POST: ConflictError', async () => {
      const harness = await harnessWith({});
      harness.simulators.injectFault(upstream, { method: 'POST', path: post, action: 'hold' });
      const result = mutate(harness, mutation, input('taken.meanwhile'));
      await harness.simulators.whenHeld(upstream);
      // The hold fired once: this create goes straight through.
      expect((await createDirectly(harness, 'taken.meanwhile')).status).toBe(201);
      await harness.simulators.releaseHeld(upstream);
      expect(await result).toMatchObject({ __typename: 'ConflictError', message: expect.stringContaining('taken.meanwhile') });
      expect(requestsTo(harness, 'POST', new RegExp(`${post}$`)).map((request) => request.status).toSorted()).toEqual([201, 400]);
      expect(stored(harness, 'taken.meanwhile')).toEqual([expect.objectContaining({ email: 'taken.meanwhile@other.example' })]);
    });
  });
});

// ==== item 12 ====

/**
 * Another client's gate user, put into gate's data at once: it is there before the gateway's
 * held POST can time out, whatever the machine's load.
 */
function othersGateUser(harness: Harness, username: string): GateUser {
  const users = data(harness).gateUsers;
  const user: GateUser = {
    id: String(Math.max(...users.map((candidate) => Number(candidate.id))) + 1),
    username,
    email: `${username}@other.example`,
    password: 'other-client-1',
    organization: 'other-org',
    profile: { created_at: '2026-01-01T00:00:00Z' },
  };
  users.push(user);
  return user;
}

describe('a create whose answer is lost never adopts another client`s record (issue 20, item 12)', () => {
  const harnessWith = harnessPerTest();
  // The gateway gives up on gate's answer after 300 ms; the POST stays held until the test lets it go.
  const lostAnswers = { env: { GATE_TIMEOUT_MS: '300' } };

  // Before: the lost answer was read back by name and whatever user had it was taken as the one
  // created: the other client's user was answered as a CreateUserPayload, its email and all.
  it('createUser: the same-named user another client made meanwhile is not answered as created, and stays as it was', async () => {
    const harness = await harnessWith(lostAnswers);
    harness.simulators.injectFault('gate', { method: 'POST', path: '/user/', action: 'hold' });
    const result = mutate(harness, 'createUser', newGateUser('raced.name'), '... on CreateUserPayload { user { email } }');
    await harness.simulators.whenHeld('gate');
    const other = structuredClone(othersGateUser(harness, 'raced.name'));
    const answer = await result;
    // The read-back finds a user of the name that does not show what was sent: the name is taken.
    expect(answer).toEqual({ __typename: 'ConflictError', message: expect.stringContaining('raced.name') });
    // Let the gateway's POST land now: gate refuses it, the name being taken.
    await harness.simulators.releaseHeld('gate');
    expect(gateUsersNamed(harness, 'raced.name')).toEqual([other]);
    expect(requestsTo(harness, 'DELETE', /\/user\//)).toEqual([]);
    expect(harness.audit.at(-1)).toMatchObject({ mutation: 'createUser', created: [], removed: [] });
  });

  // Before: the saga adopted the other client's user as its first step, and when a later step
  // failed (here the user token, refused 400) it undid that step: it deleted the other's user.
  it('provisionUser: the saga neither adopts nor deletes the user another client made meanwhile', async () => {
    const harness = await harnessWith(lostAnswers);
    harness.simulators.injectFault('gate', { method: 'POST', path: '/user/', action: 'hold' });
    harness.simulators.injectFault('gate', { method: 'POST', path: '/user_token/', action: 'refuse', status: 400 });
    const result = mutate(harness, 'provisionUser', person('raced.person'), PROVISIONED);
    await harness.simulators.whenHeld('gate');
    const other = structuredClone(othersGateUser(harness, 'raced.person'));
    const answer = await result;
    expect(answer).toMatchObject({ __typename: 'ConflictError', message: expect.stringMatching(/taken/) });
    await harness.simulators.releaseHeld('gate');
    expect(gateUsersNamed(harness, 'raced.person')).toEqual([other]);
    expect(presence(harness, 'raced.person')).toEqual({ ...nowhere, 'gate.user': 1 });
    expect(harness.requests().filter((request) => request.method === 'DELETE')).toEqual([]);
    // Nothing of this provisioning got past its first step.
    expect(requestsTo(harness, 'POST', /\/user_token\/$/)).toEqual([]);
  });
});
