import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { harnessPerTest, startHarness, type Harness } from './support/harness.ts';
import { present } from './support/expect.ts';
import { answersHeldUntilReleased, WAIT } from './support/held-answers.ts';
import type { Person } from '../src/simulators/index.ts';
import { gateUserBody } from '../src/upstreams/gate/types.ts';

/**
 * Every mutation but provisionUser/deprovisionUser, against the simulators: what each writes to
 * the live dataset, what its payload shows, and each typed failure of its result union that can
 * happen. Every answer is also checked (in `mutate`) for one audit line and for the absence of any
 * password the input carried.
 */

type Json = Record<string, any>;

const FAILURES = new Set([
  'ValidationError',
  'NotFoundError',
  'ConflictError',
  'UpstreamFailure',
  'OutcomeUnknown',
  'IdempotencyKeyReused',
  'IdempotencyKeyBusy',
  'LockTimeout',
  'ProvisioningFailed',
]);

const FAILURE_FIELDS = `
  __typename
  ... on Error { message }
  ... on ValidationError { fieldErrors { field message } }
  ... on UpstreamFailure { upstream status retryable }
  ... on OutcomeUnknown { upstream }
`;

const USER = 'id gateId username email firstName lastName organization role';
const TOKEN = 'id gateId username email organization isActive maxSessions accessLevel';
const EXTRA = 'id gateId organizationId preferences customFields user { username }';
const EDGE_USER = 'id edgeId username firstName lastName email description isActive organization memberships';
const ACCESS_TOKEN = 'id edgeId title active owner { username }';

/** Every password an input carries, at any depth. */
function passwordsIn(value: unknown): string[] {
  if (Array.isArray(value)) return value.flatMap(passwordsIn);
  if (value === null || typeof value !== 'object') return [];
  return Object.entries(value).flatMap(([key, field]) => (key === 'password' && typeof field === 'string' ? [field] : passwordsIn(field)));
}

let sequence = 0;
/** Every password any mutation of this file was given. */
const passwordsGiven = new Set<string>();

/**
 * Runs one mutation with its input as `$input`, answering its result (a payload or a typed failure).
 * It also checks what holds for every mutation: no GraphQL error, no password of the input in the
 * answer, and exactly one audit line, with this request's id and the outcome the client got.
 */
async function mutate(harness: Harness, field: string, input: Json, payload = ''): Promise<Json> {
  const auditBefore = harness.audit.length;
  const { result, requestId } = await send(harness, field, input, payload);
  const lines = harness.audit.slice(auditBefore);
  expect(lines).toHaveLength(1);
  expect(lines[0]).toMatchObject({ mutation: field, who: 'anonymous', requestId, outcome: outcomeOf(result) });
  const line = JSON.stringify(lines[0]);
  for (const secret of [...passwordsIn(input), result['plaintext'], result['token']?.['token']]) {
    if (typeof secret === 'string') expect(line).not.toContain(secret);
  }
  return result;
}

/** The audit outcome of a result: `ok`, or the typename of the failure. */
const outcomeOf = (result: Json) => (FAILURES.has(result['__typename']) ? result['__typename'] : 'ok');

/** `mutate` without the audit check, for mutations run side by side. */
async function send(harness: Harness, field: string, input: Json, payload = ''): Promise<{ result: Json; requestId: string }> {
  const requestId = `mutations-test-${++sequence}`;
  const inputType = `${field.charAt(0).toUpperCase()}${field.slice(1)}Input`;
  const query = `mutation Run($input: ${inputType}!) { result: ${field}(input: $input) { ${FAILURE_FIELDS} ${payload} } }`;
  for (const password of passwordsIn(input)) passwordsGiven.add(password);
  const response = await harness.execute(query, { input }, { 'x-request-id': requestId });
  expect(response.errors, JSON.stringify(response.errors)).toBeUndefined();
  const text = JSON.stringify(response);
  for (const password of passwordsIn(input)) expect(text).not.toContain(password);
  return { result: present((response.data as Json | null | undefined)?.['result']) as Json, requestId };
}

/** The audit line the last mutation wrote. */
const lastAudit = (harness: Harness) => present(harness.audit.at(-1));

const globalId = (typename: string, id: string | number) => Buffer.from(`${typename}:${id}`).toString('base64url');

// ---- the live dataset ----

const data = (harness: Harness) => harness.simulators.dataset;
const gateUserNamed = (harness: Harness, username: string) => data(harness).gateUsers.find((user) => user.username === username);
const tokenNamed = (harness: Harness, username: string) => data(harness).userTokens.find((token) => token.username === username);
const extraOf = (harness: Harness, username: string) => {
  const user = gateUserNamed(harness, username);
  return user && data(harness).userExtras.find((extra) => String(extra.parent) === user.id);
};
const edgeUserNamed = (harness: Harness, username: string) => data(harness).edgeUsers.find((user) => user.username === username);

/** People no other test of this file has used: each test writes to its own. */
const usedUsernames = new Set<string>();
function freshPerson(harness: Harness, wanted: (person: Person) => boolean = () => true): Person {
  const person = present(data(harness).people.find((candidate) => !usedUsernames.has(candidate.username) && wanted(candidate)));
  usedUsernames.add(person.username);
  return person;
}

/** Upstream writes (not reads) the simulators saw since the last reset. */
const writesSeen = (harness: Harness) => harness.requests().filter((request) => request.method !== 'GET');

// ==== gate users ====

describe('gate users: createUser, updateUser, replaceUser, deleteUser', () => {
  let harness: Harness;
  beforeAll(async () => {
    harness = await startHarness();
  });
  afterAll(() => harness.close());

  it('createUser creates the user on gate with the given fields, and the payload shows them', async () => {
    const input = {
      username: 'mt.created',
      email: 'mt.created@example.com',
      password: 'created-Pass-1',
      firstName: 'Cre',
      lastName: 'Ated',
      organization: 'acme',
      role: 'viewer',
    };
    const result = await mutate(harness, 'createUser', input, `... on CreateUserPayload { user { ${USER} } }`);
    expect(result['__typename']).toBe('CreateUserPayload');
    const stored = present(gateUserNamed(harness, input.username));
    expect(stored).toMatchObject({ email: input.email, password: input.password, organization: 'acme' });
    expect(stored.profile).toMatchObject({ first_name: 'Cre', last_name: 'Ated', role: 'viewer' });
    expect(result['user']).toEqual({
      id: globalId('User', input.username),
      gateId: stored.id,
      username: input.username,
      email: input.email,
      firstName: 'Cre',
      lastName: 'Ated',
      organization: 'acme',
      role: 'viewer',
    });
    expect(lastAudit(harness)).toMatchObject({ created: [{ record: 'gate.user', id: stored.id }], changed: [], removed: [] });
    // A later request reads it from gate like any other.
    const { user } = (await harness.data('query($u: String!) { user(username: $u) { username email firstName } }', { u: input.username })) as Json;
    expect(user).toEqual({ username: input.username, email: input.email, firstName: 'Cre' });
  });

  it('createUser refuses a taken username with a ConflictError, and writes nothing', async () => {
    const taken = freshPerson(harness);
    const before = structuredClone(present(gateUserNamed(harness, taken.username)));
    const count = data(harness).gateUsers.length;
    harness.simulators.resetRequests();
    const result = await mutate(harness, 'createUser', { username: taken.username, email: 'someone.else@example.com', password: 'another-Pass-1' });
    expect(result).toMatchObject({ __typename: 'ConflictError', message: expect.stringContaining(taken.username) });
    expect(writesSeen(harness)).toEqual([]);
    expect(data(harness).gateUsers).toHaveLength(count);
    expect(gateUserNamed(harness, taken.username)).toEqual(before);
  });

  it('createUser refuses bad input with a ValidationError naming each field, asking no upstream', async () => {
    const count = data(harness).gateUsers.length;
    harness.simulators.resetRequests();
    const result = await mutate(harness, 'createUser', { username: 'mt bad name!', email: 'not-an-email', password: 'short' });
    expect(result['__typename']).toBe('ValidationError');
    expect(result['fieldErrors'].map((problem: Json) => problem['field']).sort()).toEqual(['email', 'password', 'username']);
    expect(result['fieldErrors'].find((problem: Json) => problem['field'] === 'password')['message']).toMatch(/at least 8/);
    expect(harness.requests()).toEqual([]);
    expect(data(harness).gateUsers).toHaveLength(count);
    expect(lastAudit(harness)).toMatchObject({ created: [], changed: [], removed: [] });
  });

  it('updateUser by username merges a profile field into the profile, keeping the others', async () => {
    const person = freshPerson(harness);
    const before = structuredClone(present(gateUserNamed(harness, person.username)));
    const result = await mutate(
      harness,
      'updateUser',
      { username: person.username, changes: { firstName: 'Renamed' } },
      `... on UpdateUserPayload { user { ${USER} } }`,
    );
    expect(result['__typename']).toBe('UpdateUserPayload');
    const stored = present(gateUserNamed(harness, person.username));
    expect(stored.profile).toMatchObject({ first_name: 'Renamed', last_name: before.profile['last_name'], role: before.profile['role'] });
    expect(stored).toMatchObject({ email: before.email, organization: before.organization, password: before.password });
    expect(result['user']).toEqual({
      id: globalId('User', person.username),
      gateId: before.id,
      username: person.username,
      email: before.email,
      firstName: 'Renamed',
      lastName: before.profile['last_name'],
      organization: before.organization,
      role: before.profile['role'],
    });
    expect(lastAudit(harness)).toMatchObject({ created: [], changed: [{ record: 'gate.user', id: before.id }], removed: [] });
  });

  it('updateUser by gateId changes the fields given, and a new password is set but never shown', async () => {
    const person = freshPerson(harness);
    const before = structuredClone(present(gateUserNamed(harness, person.username)));
    const result = await mutate(
      harness,
      'updateUser',
      { gateId: before.id, changes: { email: 'mt.by.id@example.com', role: 'auditor', password: 'changed-Pass-9' } },
      `... on UpdateUserPayload { user { ${USER} } }`,
    );
    expect(result['__typename']).toBe('UpdateUserPayload');
    const stored = present(gateUserNamed(harness, person.username));
    expect(stored).toMatchObject({ email: 'mt.by.id@example.com', password: 'changed-Pass-9', organization: before.organization });
    expect(stored.profile).toMatchObject({ role: 'auditor', first_name: before.profile['first_name'], last_name: before.profile['last_name'] });
    expect(result['user']).toMatchObject({ gateId: before.id, username: person.username, email: 'mt.by.id@example.com', role: 'auditor', firstName: before.profile['first_name'] });
  });

  it('updateUser can rename a user; the payload and later reads follow the new name', async () => {
    const person = freshPerson(harness);
    const id = present(gateUserNamed(harness, person.username)).id;
    const result = await mutate(harness, 'updateUser', { username: person.username, changes: { username: 'mt.renamed' } }, `... on UpdateUserPayload { user { id gateId username } }`);
    expect(result['user']).toEqual({ id: globalId('User', 'mt.renamed'), gateId: id, username: 'mt.renamed' });
    expect(present(data(harness).gateUsers.find((user) => user.id === id)).username).toBe('mt.renamed');
    const { old, renamed } = (await harness.data('query($a: String!, $b: String!) { old: user(username: $a) { gateId } renamed: user(username: $b) { gateId } }', {
      a: person.username,
      b: 'mt.renamed',
    })) as Json;
    expect(old).toBeNull();
    expect(renamed).toEqual({ gateId: id });
  });

  it('updateUser answers NotFoundError for a user gate does not have, by username or by gateId', async () => {
    const count = data(harness).gateUsers.length;
    expect(await mutate(harness, 'updateUser', { username: 'mt.nobody', changes: { firstName: 'X' } })).toMatchObject({ __typename: 'NotFoundError' });
    expect(await mutate(harness, 'updateUser', { gateId: '987654321', changes: { firstName: 'X' } })).toMatchObject({ __typename: 'NotFoundError' });
    expect(data(harness).gateUsers).toHaveLength(count);
    expect(data(harness).gateUsers.some((user) => user.profile['first_name'] === 'X')).toBe(false);
  });

  it('updateUser refuses both keys, neither key, or no change at all, asking no upstream', async () => {
    const person = freshPerson(harness);
    const id = present(gateUserNamed(harness, person.username)).id;
    harness.simulators.resetRequests();
    const both = await mutate(harness, 'updateUser', { username: person.username, gateId: id, changes: { firstName: 'X' } });
    const neither = await mutate(harness, 'updateUser', { changes: { firstName: 'X' } });
    const nothing = await mutate(harness, 'updateUser', { username: person.username, changes: {} });
    const onlyNulls = await mutate(harness, 'updateUser', { username: person.username, changes: { firstName: null, email: null } });
    for (const result of [both, neither]) {
      expect(result).toMatchObject({ __typename: 'ValidationError', fieldErrors: [{ field: 'gateId', message: expect.stringMatching(/exactly one of gateId, username/) }] });
    }
    for (const result of [nothing, onlyNulls]) {
      expect(result).toMatchObject({ __typename: 'ValidationError', fieldErrors: [{ field: 'changes', message: expect.stringMatching(/at least one field/) }] });
    }
    const badValues = await mutate(harness, 'updateUser', { username: person.username, changes: { email: 'nope', password: '1234567' } });
    expect(badValues['fieldErrors'].map((problem: Json) => problem['field']).sort()).toEqual(['changes.email', 'changes.password']);
    expect(harness.requests()).toEqual([]);
    expect(present(gateUserNamed(harness, person.username)).profile['first_name']).toBe(person.firstName);
  });

  it('replaceUser replaces the user as a whole, keeping the password', async () => {
    const person = freshPerson(harness);
    const before = structuredClone(present(gateUserNamed(harness, person.username)));
    const result = await mutate(
      harness,
      'replaceUser',
      { username: person.username, user: { username: person.username, email: 'mt.whole@example.com', firstName: 'Whole', organization: 'globex' } },
      `... on ReplaceUserPayload { user { ${USER} } }`,
    );
    expect(result['__typename']).toBe('ReplaceUserPayload');
    const stored = present(gateUserNamed(harness, person.username));
    expect(stored).toMatchObject({ id: before.id, email: 'mt.whole@example.com', organization: 'globex', password: before.password });
    // The profile is replaced: the names and role left out are gone.
    expect(stored.profile['first_name']).toBe('Whole');
    expect(stored.profile['last_name'] ?? null).toBeNull();
    expect(stored.profile['role'] ?? null).toBeNull();
    expect(result['user']).toEqual({
      id: globalId('User', person.username),
      gateId: before.id,
      username: person.username,
      email: 'mt.whole@example.com',
      firstName: 'Whole',
      lastName: null,
      organization: 'globex',
      role: null,
    });
    expect(lastAudit(harness)).toMatchObject({ changed: [{ record: 'gate.user', id: before.id }] });
  });

  // Regression: as committed in 8418e98, replaceUser sent only the fields given: with none of
  // firstName, lastName and role no `profile` went to gate, nor an `organization` left out, and
  // gate's PUT kept the old ones, so the user was not replaced "as a whole".
  it('replaceUser empties every field left out, by gateId, and can set a new password', async () => {
    const person = freshPerson(harness);
    const before = structuredClone(present(gateUserNamed(harness, person.username)));
    const result = await mutate(
      harness,
      'replaceUser',
      { gateId: before.id, user: { username: 'mt.replaced', email: 'mt.replaced@example.com', password: 'replaced-Pass-3' } },
      `... on ReplaceUserPayload { user { ${USER} } }`,
    );
    expect(result['__typename']).toBe('ReplaceUserPayload');
    const stored = present(data(harness).gateUsers.find((user) => user.id === before.id));
    expect(stored).toMatchObject({ username: 'mt.replaced', email: 'mt.replaced@example.com', password: 'replaced-Pass-3' });
    expect(result['user']).toEqual({
      id: globalId('User', 'mt.replaced'),
      gateId: before.id,
      username: 'mt.replaced',
      email: 'mt.replaced@example.com',
      firstName: null,
      lastName: null,
      organization: null,
      role: null,
    });
    expect(stored.organization).toBeNull();
    expect(stored.profile['first_name'] ?? null).toBeNull();
  });

  // Found against a gate written from the docs alone: it refuses null for the profile strings
  // (the docs show them only as strings), as a DRF string field does unless it allows null.
  it("replaceUser's PUT empties the names and role left out (or null) by leaving them out of the profile, never as null", () => {
    expect(gateUserBody({ username: 'a', email: 'a@example.com', firstName: 'A', lastName: null }, true)).toEqual({
      username: 'a',
      email: 'a@example.com',
      organization: null,
      profile: { first_name: 'A' },
    });
    expect(gateUserBody({ username: 'a', email: 'a@example.com' }, true)).toMatchObject({ profile: {} });
    expect(gateUserBody({ lastName: 'B' })).toEqual({ profile: { last_name: 'B' } });
  });

  it('replaceUser answers NotFoundError for a user gate does not have, and ValidationError for bad input', async () => {
    const count = data(harness).gateUsers.length;
    expect(await mutate(harness, 'replaceUser', { username: 'mt.nobody', user: { username: 'mt.nobody', email: 'a@example.com' } })).toMatchObject({
      __typename: 'NotFoundError',
    });
    expect(await mutate(harness, 'replaceUser', { gateId: '987654321', user: { username: 'mt.nobody', email: 'a@example.com' } })).toMatchObject({
      __typename: 'NotFoundError',
    });
    harness.simulators.resetRequests();
    const invalid = await mutate(harness, 'replaceUser', { username: 'bob', user: { username: 'b o b', email: 'bob' } });
    expect(invalid['fieldErrors'].map((problem: Json) => problem['field']).sort()).toEqual(['user.email', 'user.username']);
    expect(harness.requests()).toEqual([]);
    expect(data(harness).gateUsers).toHaveLength(count);
  });

  it('deleteUser removes the user (and its user extra, as gate does); a second delete is a NotFoundError', async () => {
    const person = freshPerson(harness, (candidate) => candidate.hasExtra);
    const { id } = present(gateUserNamed(harness, person.username));
    const extra = present(extraOf(harness, person.username));
    const result = await mutate(harness, 'deleteUser', { username: person.username }, '... on DeleteUserPayload { deletedUserId username }');
    expect(result).toEqual({ __typename: 'DeleteUserPayload', deletedUserId: globalId('User', person.username), username: person.username });
    expect(gateUserNamed(harness, person.username)).toBeUndefined();
    expect(data(harness).userExtras.some((extra) => String(extra.parent) === id)).toBe(false);
    expect(lastAudit(harness)).toMatchObject({ created: [], changed: [], removed: [{ record: 'gate.user', id }, { record: 'gate.userExtra', id: String(extra.id) }] });
    expect(await mutate(harness, 'deleteUser', { username: person.username })).toMatchObject({ __typename: 'NotFoundError' });
    expect(await mutate(harness, 'deleteUser', { gateId: id })).toMatchObject({ __typename: 'NotFoundError' });
    expect(lastAudit(harness)).toMatchObject({ removed: [] });
  });

  it('deleteUser by gateId; both keys are a ValidationError', async () => {
    const person = freshPerson(harness);
    const { id } = present(gateUserNamed(harness, person.username));
    harness.simulators.resetRequests();
    expect(await mutate(harness, 'deleteUser', { gateId: id, username: person.username })).toMatchObject({ __typename: 'ValidationError' });
    expect(harness.requests()).toEqual([]);
    const result = await mutate(harness, 'deleteUser', { gateId: id }, '... on DeleteUserPayload { deletedUserId username }');
    expect(result).toEqual({ __typename: 'DeleteUserPayload', deletedUserId: globalId('User', person.username), username: person.username });
    expect(data(harness).gateUsers.some((user) => user.id === id)).toBe(false);
  });
});

describe('gate users when gate fails', () => {
  const harnessWith = harnessPerTest();
  const newUser = (username: string) => ({ username, email: `${username}@example.com`, password: `${username}-Secret` });

  it('createUser answers UpstreamFailure on a 503, and nothing is created', async () => {
    const harness = await harnessWith({});
    const count = data(harness).gateUsers.length;
    harness.simulators.injectFault('gate', { method: 'POST', path: '/user/', action: 'status', status: 503 });
    const result = await mutate(harness, 'createUser', newUser('mt.fail503'));
    expect(result).toMatchObject({ __typename: 'UpstreamFailure', upstream: 'gate', status: 503, retryable: true });
    expect(data(harness).gateUsers).toHaveLength(count);
    expect(gateUserNamed(harness, 'mt.fail503')).toBeUndefined();
    expect(lastAudit(harness)).toMatchObject({ outcome: 'UpstreamFailure', created: [] });
  });

  it('createUser answers a refusal (400) as an UpstreamFailure that is not retryable', async () => {
    const harness = await harnessWith({});
    harness.simulators.injectFault('gate', { method: 'POST', path: '/user/', action: 'status', status: 400, body: { email: ['Enter a valid email address.'] } });
    const result = await mutate(harness, 'createUser', newUser('mt.fail400'));
    expect(result).toMatchObject({ __typename: 'UpstreamFailure', upstream: 'gate', status: 400, retryable: false });
    expect(gateUserNamed(harness, 'mt.fail400')).toBeUndefined();
  });

  it('createUser settles a lost answer by reading back: the user is there, so it succeeded', async () => {
    const harness = await harnessWith({});
    harness.simulators.injectFault('gate', { method: 'POST', path: '/user/', action: 'reset-after' });
    const result = await mutate(harness, 'createUser', { ...newUser('mt.lost'), firstName: 'Lost' }, `... on CreateUserPayload { user { ${USER} } }`);
    expect(result['__typename']).toBe('CreateUserPayload');
    const stored = data(harness).gateUsers.filter((user) => user.username === 'mt.lost');
    expect(stored).toHaveLength(1);
    expect(result['user']).toMatchObject({ gateId: stored[0]?.id, username: 'mt.lost', email: 'mt.lost@example.com', firstName: 'Lost' });
    // The POST went once: a lost answer is read back, never sent again.
    expect(harness.requests().filter((request) => request.method === 'POST')).toHaveLength(1);
    expect(lastAudit(harness)).toMatchObject({ outcome: 'ok', created: [{ record: 'gate.user', id: stored[0]?.id }] });
  });

  it('createUser answers OutcomeUnknown when the answer is lost and reading back fails too', async () => {
    const harness = await harnessWith({});
    const readBack = '/user/username/:username/';
    harness.simulators.injectFault('gate', { method: 'POST', path: '/user/', action: 'reset-after' });
    // The first lookup (is the username taken?) goes through; every later one fails.
    harness.simulators.injectFault('gate', { method: 'GET', path: readBack, action: 'delay', ms: 0 });
    harness.simulators.injectFault('gate', { method: 'GET', path: readBack, action: 'status', status: 503, times: 'always' });
    const result = await mutate(harness, 'createUser', newUser('mt.unknown'));
    expect(result).toMatchObject({ __typename: 'OutcomeUnknown', upstream: 'gate' });
    // It did land: that is what the client cannot tell.
    expect(gateUserNamed(harness, 'mt.unknown')).toBeDefined();
    expect(harness.requests().filter((request) => request.method === 'POST')).toHaveLength(1);
    expect(lastAudit(harness)).toMatchObject({ outcome: 'OutcomeUnknown', created: [] });
  });

  it('createUser answers a retryable UpstreamFailure when the connection drops before the write', async () => {
    const harness = await harnessWith({});
    harness.simulators.injectFault('gate', { method: 'POST', path: '/user/', action: 'reset-before' });
    const result = await mutate(harness, 'createUser', newUser('mt.dropped'));
    expect(result).toMatchObject({ __typename: 'UpstreamFailure', upstream: 'gate', status: null, retryable: true });
    expect(gateUserNamed(harness, 'mt.dropped')).toBeUndefined();
  });

  it('updateUser by username settles a lost answer by reading back', async () => {
    const harness = await harnessWith({});
    const person = freshPerson(harness);
    harness.simulators.injectFault('gate', { method: 'PATCH', path: '/user/username/:username/', action: 'reset-after' });
    const result = await mutate(harness, 'updateUser', { username: person.username, changes: { lastName: 'Landed' } }, `... on UpdateUserPayload { user { username lastName } }`);
    expect(result).toEqual({ __typename: 'UpdateUserPayload', user: { username: person.username, lastName: 'Landed' } });
  });

  // Regression: as committed in 8418e98, updateUser by gateId (without a new username) read a lost
  // answer back with getUserByUsername(''), found no one, and answered UpstreamFailure ("did not
  // land") for a write that had landed. The read-back now goes by the key given.
  it('updateUser by gateId settles a lost answer by reading back', async () => {
    const harness = await harnessWith({});
    const person = freshPerson(harness);
    const { id } = present(gateUserNamed(harness, person.username));
    harness.simulators.injectFault('gate', { method: 'PATCH', path: '/user/:id/', action: 'reset-after' });
    const result = await mutate(harness, 'updateUser', { gateId: id, changes: { lastName: 'Landed' } }, `... on UpdateUserPayload { user { username lastName } }`);
    expect(present(gateUserNamed(harness, person.username)).profile['last_name']).toBe('Landed');
    expect(result).toEqual({ __typename: 'UpdateUserPayload', user: { username: person.username, lastName: 'Landed' } });
  });

  it('updateUser answers UpstreamFailure on a 503, and nothing changes', async () => {
    const harness = await harnessWith({});
    const person = freshPerson(harness);
    harness.simulators.injectFault('gate', { method: 'PATCH', action: 'status', status: 503 });
    const result = await mutate(harness, 'updateUser', { username: person.username, changes: { lastName: 'Never' } });
    expect(result).toMatchObject({ __typename: 'UpstreamFailure', upstream: 'gate', status: 503, retryable: true });
    expect(present(gateUserNamed(harness, person.username)).profile['last_name']).toBe(person.lastName);
  });

  it('deleteUser settles a lost answer by reading back: the user is gone, so it succeeded', async () => {
    const harness = await harnessWith({});
    const person = freshPerson(harness);
    harness.simulators.injectFault('gate', { method: 'DELETE', action: 'reset-after' });
    const result = await mutate(harness, 'deleteUser', { username: person.username }, '... on DeleteUserPayload { username }');
    expect(result).toEqual({ __typename: 'DeleteUserPayload', username: person.username });
    expect(gateUserNamed(harness, person.username)).toBeUndefined();
  });

  it('deleteUser answers UpstreamFailure on a 503, and the user stays', async () => {
    const harness = await harnessWith({});
    const person = freshPerson(harness);
    harness.simulators.injectFault('gate', { method: 'DELETE', action: 'status', status: 503 });
    expect(await mutate(harness, 'deleteUser', { username: person.username })).toMatchObject({ __typename: 'UpstreamFailure', status: 503 });
    expect(gateUserNamed(harness, person.username)).toBeDefined();
  });
});

// ==== gate user tokens ====

describe('user tokens: createToken, updateToken, deleteToken', () => {
  let harness: Harness;
  beforeAll(async () => {
    harness = await startHarness();
  });
  afterAll(() => harness.close());

  it('createToken creates the token with the initial balance given', async () => {
    const person = freshPerson(harness, (candidate) => !candidate.hasToken);
    expect(tokenNamed(harness, person.username)).toBeUndefined();
    const input = {
      username: person.username,
      email: `${person.username}@aaa.example`,
      organization: person.organization,
      initialBalanceSeconds: 93_784,
      maxSessions: 3,
      accessLevel: 'premium',
      isActive: true,
    };
    const result = await mutate(
      harness,
      'createToken',
      input,
      `... on CreateTokenPayload { token { ${TOKEN} token balance { seconds humanReadable } user { username firstName } } }`,
    );
    expect(result['__typename']).toBe('CreateTokenPayload');
    const stored = present(tokenNamed(harness, person.username));
    expect(stored).toMatchObject({ email: input.email, organization: person.organization, is_active: true, balance_seconds: 93_784 });
    expect(stored.profile).toMatchObject({ max_sessions: 3, access_level: 'premium' });
    expect(result['token']).toEqual({
      id: globalId('Token', stored.id),
      gateId: String(stored.id),
      username: person.username,
      email: input.email,
      organization: person.organization,
      isActive: true,
      maxSessions: 3,
      accessLevel: 'premium',
      token: stored.token,
      balance: { seconds: 93_784, humanReadable: '1d 2h 3m 4s' },
      user: { username: person.username, firstName: person.firstName },
    });
    expect(lastAudit(harness)).toMatchObject({ created: [{ record: 'gate.userToken', id: String(stored.id) }] });
    // Read again in a new request, the balance is as set.
    const { user } = (await harness.data('query($u: String!) { user(username: $u) { balance { seconds } } }', { u: person.username })) as Json;
    expect(user).toEqual({ balance: { seconds: 93_784 } });
  });

  it('createToken without a balance starts at zero', async () => {
    const person = freshPerson(harness, (candidate) => !candidate.hasToken);
    const result = await mutate(
      harness,
      'createToken',
      { username: person.username, email: `${person.username}@aaa.example`, organization: person.organization },
      '... on CreateTokenPayload { token { username balance { seconds } } }',
    );
    expect(result['token']).toEqual({ username: person.username, balance: { seconds: 0 } });
    expect(present(tokenNamed(harness, person.username)).balance_seconds).toBe(0);
  });

  it('createToken answers ConflictError for a taken username (gate answers 409), and writes nothing', async () => {
    const person = freshPerson(harness, (candidate) => candidate.hasToken);
    const before = structuredClone(present(tokenNamed(harness, person.username)));
    const count = data(harness).userTokens.length;
    harness.simulators.resetRequests();
    const result = await mutate(harness, 'createToken', { username: person.username, email: 'x@example.com', organization: 'acme', initialBalanceSeconds: 5 });
    expect(result).toMatchObject({ __typename: 'ConflictError' });
    expect(writesSeen(harness).map((request) => [request.method, request.status])).toEqual([['POST', 409]]);
    expect(data(harness).userTokens).toHaveLength(count);
    expect(tokenNamed(harness, person.username)).toEqual(before);
  });

  it('createToken refuses bad input with a ValidationError naming each field, asking no upstream', async () => {
    harness.simulators.resetRequests();
    const result = await mutate(harness, 'createToken', { username: 'mt.token', email: 'nope', organization: '', initialBalanceSeconds: -1, maxSessions: -2 });
    expect(result['__typename']).toBe('ValidationError');
    expect(result['fieldErrors'].map((problem: Json) => problem['field']).sort()).toEqual(['email', 'initialBalanceSeconds', 'maxSessions', 'organization']);
    expect(harness.requests()).toEqual([]);
    expect(tokenNamed(harness, 'mt.token')).toBeUndefined();
  });

  it('updateToken by username changes the fields given, merging the profile', async () => {
    const person = freshPerson(harness, (candidate) => candidate.hasToken);
    const before = structuredClone(present(tokenNamed(harness, person.username)));
    const result = await mutate(
      harness,
      'updateToken',
      { username: person.username, changes: { maxSessions: 9 } },
      `... on UpdateTokenPayload { token { ${TOKEN} } }`,
    );
    expect(result['__typename']).toBe('UpdateTokenPayload');
    const stored = present(tokenNamed(harness, person.username));
    expect(stored.profile).toEqual({ ...before.profile, max_sessions: 9 });
    expect(stored).toMatchObject({ email: before.email, organization: before.organization, is_active: before.is_active, balance_seconds: before.balance_seconds });
    expect(result['token']).toEqual({
      id: globalId('Token', before.id),
      gateId: String(before.id),
      username: person.username,
      email: before.email,
      organization: before.organization,
      isActive: before.is_active,
      maxSessions: 9,
      accessLevel: before.profile['access_level'],
    });
    expect(lastAudit(harness)).toMatchObject({ changed: [{ record: 'gate.userToken', id: String(before.id) }] });
  });

  it('updateToken by gateId; the payload shows fresh data through the token\'s user too', async () => {
    const person = freshPerson(harness, (candidate) => candidate.hasToken);
    const before = structuredClone(present(tokenNamed(harness, person.username)));
    const result = await mutate(
      harness,
      'updateToken',
      { gateId: String(before.id), changes: { isActive: !before.is_active, accessLevel: 'mt-level', email: 'mt.token@example.com' } },
      '... on UpdateTokenPayload { token { gateId isActive accessLevel email user { username token { gateId accessLevel email } } } }',
    );
    expect(result['token']).toEqual({
      gateId: String(before.id),
      isActive: !before.is_active,
      accessLevel: 'mt-level',
      email: 'mt.token@example.com',
      user: { username: person.username, token: { gateId: String(before.id), accessLevel: 'mt-level', email: 'mt.token@example.com' } },
    });
    expect(present(tokenNamed(harness, person.username))).toMatchObject({ is_active: !before.is_active, email: 'mt.token@example.com' });
  });

  it('updateToken answers NotFoundError for a token gate does not have, and ValidationError for bad keys', async () => {
    const noToken = present(data(harness).people.find((candidate) => !candidate.hasToken && !tokenNamed(harness, candidate.username)));
    expect(await mutate(harness, 'updateToken', { username: noToken.username, changes: { maxSessions: 1 } })).toMatchObject({ __typename: 'NotFoundError' });
    expect(await mutate(harness, 'updateToken', { gateId: '987654321', changes: { maxSessions: 1 } })).toMatchObject({ __typename: 'NotFoundError' });
    harness.simulators.resetRequests();
    const badId = await mutate(harness, 'updateToken', { gateId: 'abc', changes: { maxSessions: 1 } });
    expect(badId).toMatchObject({ __typename: 'ValidationError', fieldErrors: [{ field: 'gateId' }] });
    expect(await mutate(harness, 'updateToken', { gateId: '1', username: 'bob', changes: { maxSessions: 1 } })).toMatchObject({ __typename: 'ValidationError' });
    expect(await mutate(harness, 'updateToken', { username: 'bob', changes: {} })).toMatchObject({ __typename: 'ValidationError', fieldErrors: [{ field: 'changes' }] });
    expect(harness.requests()).toEqual([]);
  });

  it('deleteToken removes a token without active sessions; a second delete is a NotFoundError', async () => {
    const token = present(data(harness).userTokens.find((candidate) => candidate.activeSessions === 0 && !usedUsernames.has(candidate.username)));
    usedUsernames.add(token.username);
    const id = token.id;
    const result = await mutate(harness, 'deleteToken', { username: token.username }, '... on DeleteTokenPayload { deletedTokenId username }');
    expect(result).toEqual({ __typename: 'DeleteTokenPayload', deletedTokenId: globalId('Token', id), username: token.username });
    expect(data(harness).userTokens.some((candidate) => candidate.id === id)).toBe(false);
    expect(lastAudit(harness)).toMatchObject({ removed: [{ record: 'gate.userToken', id: String(id) }] });
    expect(await mutate(harness, 'deleteToken', { username: token.username })).toMatchObject({ __typename: 'NotFoundError' });
    expect(await mutate(harness, 'deleteToken', { gateId: String(id) })).toMatchObject({ __typename: 'NotFoundError' });
    const { user } = (await harness.data('query($u: String!) { user(username: $u) { token { gateId } } }', { u: token.username })) as Json;
    expect(user).toEqual({ token: null });
  });

  it('deleteToken by gateId', async () => {
    const token = present(data(harness).userTokens.find((candidate) => candidate.activeSessions === 0 && !usedUsernames.has(candidate.username)));
    usedUsernames.add(token.username);
    const result = await mutate(harness, 'deleteToken', { gateId: String(token.id) }, '... on DeleteTokenPayload { deletedTokenId username }');
    expect(result).toEqual({ __typename: 'DeleteTokenPayload', deletedTokenId: globalId('Token', token.id), username: token.username });
    expect(tokenNamed(harness, token.username)).toBeUndefined();
  });

  it('deleteToken answers ConflictError while the token has active sessions, and the token stays', async () => {
    const busy = data(harness).userTokens.filter((candidate) => candidate.activeSessions > 0);
    expect(busy.length).toBeGreaterThan(0);
    const token = present(busy.find((candidate) => !usedUsernames.has(candidate.username)));
    usedUsernames.add(token.username);
    const before = structuredClone(token);
    harness.simulators.resetRequests();
    const result = await mutate(harness, 'deleteToken', { username: token.username });
    expect(result).toMatchObject({ __typename: 'ConflictError' });
    expect(writesSeen(harness).map((request) => [request.method, request.status])).toEqual([['DELETE', 409]]);
    expect(tokenNamed(harness, token.username)).toEqual(before);
    expect(lastAudit(harness)).toMatchObject({ outcome: 'ConflictError', removed: [] });
  });
});

describe('user tokens and extras when gate fails', () => {
  const harnessWith = harnessPerTest();

  it('createToken answers UpstreamFailure on a 503, and nothing is created', async () => {
    const harness = await harnessWith({});
    const person = freshPerson(harness, (candidate) => !candidate.hasToken);
    harness.simulators.injectFault('gate', { method: 'POST', path: '/user_token/', action: 'status', status: 503 });
    const result = await mutate(harness, 'createToken', { username: person.username, email: 'a@example.com', organization: 'acme' });
    expect(result).toMatchObject({ __typename: 'UpstreamFailure', upstream: 'gate', status: 503, retryable: true });
    expect(tokenNamed(harness, person.username)).toBeUndefined();
  });

  it('createToken settles a lost answer by reading back', async () => {
    const harness = await harnessWith({});
    const person = freshPerson(harness, (candidate) => !candidate.hasToken);
    harness.simulators.injectFault('gate', { method: 'POST', path: '/user_token/', action: 'reset-after' });
    const result = await mutate(
      harness,
      'createToken',
      { username: person.username, email: 'a@example.com', organization: 'acme', initialBalanceSeconds: 600 },
      '... on CreateTokenPayload { token { username balance { seconds } } }',
    );
    expect(result).toEqual({ __typename: 'CreateTokenPayload', token: { username: person.username, balance: { seconds: 600 } } });
    expect(data(harness).userTokens.filter((token) => token.username === person.username)).toHaveLength(1);
  });

  it('deleteToken settles a lost answer by reading back; a 503 leaves the token', async () => {
    const harness = await harnessWith({});
    const [gone, kept] = data(harness).userTokens.filter((token) => token.activeSessions === 0);
    harness.simulators.injectFault('gate', { method: 'DELETE', path: '/user_token/:id/', action: 'reset-after' });
    expect(await mutate(harness, 'deleteToken', { username: present(gone).username }, '... on DeleteTokenPayload { username }')).toEqual({
      __typename: 'DeleteTokenPayload',
      username: present(gone).username,
    });
    expect(tokenNamed(harness, present(gone).username)).toBeUndefined();
    harness.simulators.injectFault('gate', { method: 'DELETE', path: '/user_token/:id/', action: 'status', status: 503 });
    expect(await mutate(harness, 'deleteToken', { username: present(kept).username })).toMatchObject({ __typename: 'UpstreamFailure', status: 503 });
    expect(tokenNamed(harness, present(kept).username)).toBeDefined();
  });

  it('updateExtra settles a lost answer by reading back; a 503 changes nothing', async () => {
    const harness = await harnessWith({});
    const [landed, refused] = [freshPerson(harness, (candidate) => candidate.hasExtra), freshPerson(harness, (candidate) => candidate.hasExtra)];
    harness.simulators.injectFault('gate', { method: 'PATCH', path: '/user_extra/:id/', action: 'reset-after' });
    const result = await mutate(harness, 'updateExtra', { username: landed.username, changes: { customFields: { lost: 'answer' } } }, '... on UpdateExtraPayload { extra { customFields } }');
    expect(result['extra']['customFields']).toMatchObject({ lost: 'answer' });
    expect(present(extraOf(harness, landed.username)).custom_fields).toMatchObject({ lost: 'answer' });
    const before = structuredClone(present(extraOf(harness, refused.username)));
    harness.simulators.injectFault('gate', { method: 'PATCH', path: '/user_extra/:id/', action: 'status', status: 503 });
    expect(await mutate(harness, 'updateExtra', { username: refused.username, changes: { customFields: { never: 1 } } })).toMatchObject({
      __typename: 'UpstreamFailure',
      status: 503,
    });
    expect(extraOf(harness, refused.username)).toEqual(before);
  });

  it('replaceUser renaming by gateId settles a lost answer by reading back under the new name', async () => {
    const harness = await harnessWith({});
    const person = freshPerson(harness);
    const { id } = present(gateUserNamed(harness, person.username));
    harness.simulators.injectFault('gate', { method: 'PUT', path: '/user/:id/', action: 'reset-after' });
    const result = await mutate(
      harness,
      'replaceUser',
      { gateId: id, user: { username: 'mt.put.lost', email: 'mt.put.lost@example.com', firstName: 'Put' } },
      '... on ReplaceUserPayload { user { gateId username email firstName } }',
    );
    expect(result).toEqual({ __typename: 'ReplaceUserPayload', user: { gateId: id, username: 'mt.put.lost', email: 'mt.put.lost@example.com', firstName: 'Put' } });
  });
});

// ==== balances ====

describe('balances: setBalance, addBalance', () => {
  let harness: Harness;
  beforeAll(async () => {
    harness = await startHarness();
  });
  afterAll(() => harness.close());

  const BALANCE = '... on BalancePayload { token { gateId username } balance { id seconds humanReadable } }';
  const tokenHolder = () => freshPerson(harness, (candidate) => candidate.hasToken);
  const balanceOf = (username: string) => present(tokenNamed(harness, username)).balance_seconds;

  it('setBalance sets the balance outright', async () => {
    const person = tokenHolder();
    const token = present(tokenNamed(harness, person.username));
    const result = await mutate(harness, 'setBalance', { username: person.username, seconds: 7_200 }, BALANCE);
    expect(result).toEqual({
      __typename: 'BalancePayload',
      token: { gateId: String(token.id), username: person.username },
      balance: { id: globalId('Balance', token.id), seconds: 7_200, humanReadable: '2h' },
    });
    expect(balanceOf(person.username)).toBe(7_200);
    expect(lastAudit(harness)).toMatchObject({ changed: [{ record: 'gate.userToken', id: String(token.id) }] });
    expect(await mutate(harness, 'setBalance', { username: person.username, seconds: 0 }, BALANCE)).toMatchObject({ balance: { seconds: 0, humanReadable: '0s' } });
    expect(balanceOf(person.username)).toBe(0);
  });

  it('setBalance refuses a negative balance (ValidationError, nothing asked) and an unknown username (NotFoundError)', async () => {
    const person = tokenHolder();
    const before = balanceOf(person.username);
    harness.simulators.resetRequests();
    expect(await mutate(harness, 'setBalance', { username: person.username, seconds: -1 })).toMatchObject({
      __typename: 'ValidationError',
      fieldErrors: [{ field: 'seconds' }],
    });
    expect(harness.requests()).toEqual([]);
    expect(await mutate(harness, 'setBalance', { username: 'mt.nobody', seconds: 10 })).toMatchObject({ __typename: 'NotFoundError' });
    expect(writesSeen(harness)).toEqual([]);
    expect(balanceOf(person.username)).toBe(before);
  });

  it('addBalance tops up and charges the balance gate has', async () => {
    const person = tokenHolder();
    const start = balanceOf(person.username);
    const topUp = await mutate(harness, 'addBalance', { username: person.username, seconds: 3_600 }, BALANCE);
    expect(topUp['balance']['seconds']).toBe(start + 3_600);
    expect(balanceOf(person.username)).toBe(start + 3_600);
    const charge = await mutate(harness, 'addBalance', { username: person.username, seconds: -600 }, BALANCE);
    expect(charge['balance']['seconds']).toBe(start + 3_000);
    expect(balanceOf(person.username)).toBe(start + 3_000);
    // A change made on gate behind the gateway's back is what the next change starts from.
    present(tokenNamed(harness, person.username)).balance_seconds = 100;
    const again = await mutate(harness, 'addBalance', { username: person.username, seconds: 1 }, BALANCE);
    expect(again['balance']['seconds']).toBe(101);
    expect(balanceOf(person.username)).toBe(101);
  });

  it('addBalance refuses a charge below zero with a ValidationError on seconds, and the balance stays', async () => {
    const person = tokenHolder();
    present(tokenNamed(harness, person.username)).balance_seconds = 50;
    harness.simulators.resetRequests();
    const result = await mutate(harness, 'addBalance', { username: person.username, seconds: -51 });
    expect(result).toMatchObject({ __typename: 'ValidationError', fieldErrors: [{ field: 'seconds', message: expect.stringContaining('below zero') }] });
    expect(writesSeen(harness)).toEqual([]);
    expect(balanceOf(person.username)).toBe(50);
    expect(lastAudit(harness)).toMatchObject({ changed: [] });
    // Down to exactly zero is allowed.
    expect(await mutate(harness, 'addBalance', { username: person.username, seconds: -50 }, BALANCE)).toMatchObject({ balance: { seconds: 0 } });
    expect(balanceOf(person.username)).toBe(0);
  });

  it('addBalance answers NotFoundError for a username without a token', async () => {
    const noToken = present(data(harness).people.find((candidate) => !candidate.hasToken));
    harness.simulators.resetRequests();
    expect(await mutate(harness, 'addBalance', { username: noToken.username, seconds: 10 })).toMatchObject({ __typename: 'NotFoundError' });
    expect(await mutate(harness, 'addBalance', { username: 'mt.nobody', seconds: 10 })).toMatchObject({ __typename: 'NotFoundError' });
    expect(writesSeen(harness)).toEqual([]);
    expect(tokenNamed(harness, noToken.username)).toBeUndefined();
  });

  it('addBalance with an idempotency key: the same key and input answers the first result and changes nothing again', async () => {
    const person = tokenHolder();
    const start = balanceOf(person.username);
    const input = { username: person.username, seconds: 250, idempotencyKey: 'mt-topup-1' };
    harness.simulators.resetRequests();
    const first = await mutate(harness, 'addBalance', input, BALANCE);
    expect(first['balance']['seconds']).toBe(start + 250);
    expect(balanceOf(person.username)).toBe(start + 250);
    const replay = await mutate(harness, 'addBalance', input, BALANCE);
    expect(replay).toEqual(first);
    expect(balanceOf(person.username)).toBe(start + 250);
    expect(lastAudit(harness)).toMatchObject({ outcome: 'ok', changed: [] });
    expect(writesSeen(harness).filter((request) => request.method === 'PATCH')).toHaveLength(1);
    // Another key is another top-up.
    await mutate(harness, 'addBalance', { ...input, idempotencyKey: 'mt-topup-2' }, BALANCE);
    expect(balanceOf(person.username)).toBe(start + 500);
  });

  it('addBalance with a reused idempotency key and other seconds answers IdempotencyKeyReused, and the balance stays', async () => {
    const person = tokenHolder();
    const start = balanceOf(person.username);
    await mutate(harness, 'addBalance', { username: person.username, seconds: 60, idempotencyKey: 'mt-reused' }, BALANCE);
    expect(balanceOf(person.username)).toBe(start + 60);
    harness.simulators.resetRequests();
    const reused = await mutate(harness, 'addBalance', { username: person.username, seconds: 61, idempotencyKey: 'mt-reused' }, BALANCE);
    expect(reused).toMatchObject({ __typename: 'IdempotencyKeyReused', message: expect.any(String) });
    const otherUser = tokenHolder();
    const otherStart = balanceOf(otherUser.username);
    expect(await mutate(harness, 'addBalance', { username: otherUser.username, seconds: 60, idempotencyKey: 'mt-reused' })).toMatchObject({
      __typename: 'IdempotencyKeyReused',
    });
    expect(writesSeen(harness)).toEqual([]);
    expect(balanceOf(person.username)).toBe(start + 60);
    expect(balanceOf(otherUser.username)).toBe(otherStart);
  });

  it('addBalance with an idempotency key remembers a final refusal, and refuses a bad key', async () => {
    const person = tokenHolder();
    present(tokenNamed(harness, person.username)).balance_seconds = 10;
    const input = { username: person.username, seconds: -20, idempotencyKey: 'mt-refused' };
    expect(await mutate(harness, 'addBalance', input)).toMatchObject({ __typename: 'ValidationError', fieldErrors: [{ field: 'seconds' }] });
    // The balance rises meanwhile: the same request under the same key still answers the first refusal.
    present(tokenNamed(harness, person.username)).balance_seconds = 100;
    expect(await mutate(harness, 'addBalance', input)).toMatchObject({ __typename: 'ValidationError', fieldErrors: [{ field: 'seconds' }] });
    expect(balanceOf(person.username)).toBe(100);
    harness.simulators.resetRequests();
    expect(await mutate(harness, 'addBalance', { username: person.username, seconds: 1, idempotencyKey: 'no spaces allowed' })).toMatchObject({
      __typename: 'ValidationError',
      fieldErrors: [{ field: 'idempotencyKey' }],
    });
    expect(harness.requests()).toEqual([]);
  });
});

describe('balances when gate fails', () => {
  const harnessWith = harnessPerTest();
  const BALANCE = '... on BalancePayload { balance { seconds } }';

  it('setBalance answers UpstreamFailure on a 503, and the balance stays', async () => {
    const harness = await harnessWith({});
    const person = freshPerson(harness, (candidate) => candidate.hasToken);
    const before = present(tokenNamed(harness, person.username)).balance_seconds;
    harness.simulators.injectFault('gate', { method: 'PATCH', path: '/user_token/:id/', action: 'status', status: 503 });
    expect(await mutate(harness, 'setBalance', { username: person.username, seconds: before + 1 })).toMatchObject({
      __typename: 'UpstreamFailure',
      upstream: 'gate',
      status: 503,
      retryable: true,
    });
    expect(present(tokenNamed(harness, person.username)).balance_seconds).toBe(before);
  });

  it('addBalance settles a lost answer by reading back, and adds once', async () => {
    const harness = await harnessWith({});
    const person = freshPerson(harness, (candidate) => candidate.hasToken);
    const before = present(tokenNamed(harness, person.username)).balance_seconds;
    harness.simulators.injectFault('gate', { method: 'PATCH', path: '/user_token/:id/', action: 'reset-after' });
    const result = await mutate(harness, 'addBalance', { username: person.username, seconds: 42 }, BALANCE);
    expect(result).toEqual({ __typename: 'BalancePayload', balance: { seconds: before + 42 } });
    expect(present(tokenNamed(harness, person.username)).balance_seconds).toBe(before + 42);
  });

  it('addBalance with an idempotency key: a failure that may pass releases the key, and a retry adds once', async () => {
    const harness = await harnessWith({});
    const person = freshPerson(harness, (candidate) => candidate.hasToken);
    const before = present(tokenNamed(harness, person.username)).balance_seconds;
    const input = { username: person.username, seconds: 30, idempotencyKey: 'mt-retry' };
    harness.simulators.injectFault('gate', { method: 'PATCH', path: '/user_token/:id/', action: 'status', status: 503 });
    expect(await mutate(harness, 'addBalance', input)).toMatchObject({ __typename: 'UpstreamFailure', status: 503 });
    expect(present(tokenNamed(harness, person.username)).balance_seconds).toBe(before);
    expect(await mutate(harness, 'addBalance', input, BALANCE)).toEqual({ __typename: 'BalancePayload', balance: { seconds: before + 30 } });
    expect(await mutate(harness, 'addBalance', input, BALANCE)).toEqual({ __typename: 'BalancePayload', balance: { seconds: before + 30 } });
    expect(present(tokenNamed(harness, person.username)).balance_seconds).toBe(before + 30);
  });

  it('addBalance run side by side for one user: each change holds the lock, and none is lost', async () => {
    const harness = await harnessWith({ latencyMs: 5 });
    const person = freshPerson(harness, (candidate) => candidate.hasToken);
    const before = present(tokenNamed(harness, person.username)).balance_seconds;
    const auditBefore = harness.audit.length;
    const sent = await Promise.all([10, 20, 30, -5, 45].map((seconds) => send(harness, 'addBalance', { username: person.username, seconds }, BALANCE)));
    expect(sent.map(({ result }) => result['__typename'])).toEqual(Array(5).fill('BalancePayload'));
    expect(present(tokenNamed(harness, person.username)).balance_seconds).toBe(before + 100);
    // Each saw the balance the one before it left: together they climbed through distinct values to the end.
    const seen = sent.map(({ result }) => result['balance']['seconds'] as number);
    expect(new Set(seen).size).toBe(5);
    expect(Math.max(...seen)).toBe(before + 100);
    const lines = harness.audit.slice(auditBefore);
    expect(lines).toHaveLength(5);
    expect(new Set(lines.map((line) => line.requestId))).toEqual(new Set(sent.map(({ requestId }) => requestId)));
  });

  it('a change that waits for the lock longer than LOCK_WAIT_MS answers LockTimeout, and changes nothing', async () => {
    const harness = await harnessWith({ env: { LOCK_WAIT_MS: '100' } });
    const person = freshPerson(harness, (candidate) => candidate.hasToken);
    const before = present(tokenNamed(harness, person.username)).balance_seconds;
    // Whichever change holds the lock first reads its balance slowly (by the token's id, under the lock).
    harness.simulators.injectFault('gate', { method: 'GET', path: '/user_token/:id/', action: 'delay', ms: 250 });
    const auditBefore = harness.audit.length;
    const sent = await Promise.all([
      send(harness, 'addBalance', { username: person.username, seconds: 7 }, BALANCE),
      send(harness, 'setBalance', { username: person.username, seconds: 1 }, BALANCE),
    ]);
    const outcomes = sent.map(({ result }) => outcomeOf(result));
    expect([...outcomes].sort()).toEqual(['LockTimeout', 'ok']);
    const winner = present(sent.find(({ result }) => result['__typename'] === 'BalancePayload')).result;
    expect(present(tokenNamed(harness, person.username)).balance_seconds).toBe(winner['balance']['seconds']);
    expect([before + 7, 1]).toContain(winner['balance']['seconds']);
    const lines = harness.audit.slice(auditBefore);
    expect(lines.map((line) => line.outcome).sort()).toEqual(['LockTimeout', 'ok']);
    expect(present(lines.find((line) => line.outcome === 'LockTimeout')).changed).toEqual([]);
  });

  it('the same idempotency key while the first request still runs: IdempotencyKeyBusy, then the first answer', async () => {
    // The first request's read of the balance is answered only once the second was.
    const balanceRead = answersHeldUntilReleased((url, method) => method === 'GET' && url.pathname.endsWith('/user_token/'));
    const harness = await harnessWith({ env: { LOCK_WAIT_MS: '100' }, reshape: { gate: { hold: balanceRead.hold } } });
    const person = freshPerson(harness, (candidate) => candidate.hasToken);
    const before = present(tokenNamed(harness, person.username)).balance_seconds;
    const input = { username: person.username, seconds: 11, idempotencyKey: 'mt-busy' };
    const first = send(harness, 'addBalance', input, BALANCE);
    await vi.waitFor(() => expect(balanceRead.held()).toBe(1), WAIT);
    const second = await send(harness, 'addBalance', input, BALANCE);
    expect(second.result).toMatchObject({ __typename: 'IdempotencyKeyBusy', message: expect.any(String) });
    balanceRead.release();
    expect((await first).result).toEqual({ __typename: 'BalancePayload', balance: { seconds: before + 11 } });
    expect(await mutate(harness, 'addBalance', input, BALANCE)).toEqual({ __typename: 'BalancePayload', balance: { seconds: before + 11 } });
    expect(present(tokenNamed(harness, person.username)).balance_seconds).toBe(before + 11);
  });
});

// ==== gate user extras ====

describe('user extras: createExtra, updateExtra, replaceExtra, deleteExtra', () => {
  let harness: Harness;
  beforeAll(async () => {
    harness = await startHarness();
  });
  afterAll(() => harness.close());

  it('createExtra by username creates the extra of that person', async () => {
    const person = freshPerson(harness, (candidate) => !candidate.hasExtra);
    expect(extraOf(harness, person.username)).toBeUndefined();
    const input = { username: person.username, organizationId: person.organizationId, preferences: { theme: 'dark', nested: { a: 1 } }, customFields: { department: 'ops' } };
    const result = await mutate(harness, 'createExtra', input, `... on CreateExtraPayload { extra { ${EXTRA} } }`);
    expect(result['__typename']).toBe('CreateExtraPayload');
    const stored = present(extraOf(harness, person.username));
    expect(stored).toMatchObject({ organization_id: person.organizationId, preferences: input.preferences, custom_fields: input.customFields });
    expect(String(stored.parent)).toBe(present(gateUserNamed(harness, person.username)).id);
    expect(result['extra']).toEqual({
      id: globalId('Extra', stored.id),
      gateId: String(stored.id),
      organizationId: person.organizationId,
      preferences: input.preferences,
      customFields: input.customFields,
      user: { username: person.username },
    });
    expect(lastAudit(harness)).toMatchObject({ created: [{ record: 'gate.userExtra', id: String(stored.id) }] });
    const { user } = (await harness.data('query($u: String!) { user(username: $u) { extra { gateId preferences } } }', { u: person.username })) as Json;
    expect(user).toEqual({ extra: { gateId: String(stored.id), preferences: input.preferences } });
  });

  it('createExtra by parent (the gate user id)', async () => {
    const person = freshPerson(harness, (candidate) => !candidate.hasExtra);
    const { id } = present(gateUserNamed(harness, person.username));
    const result = await mutate(harness, 'createExtra', { parent: id, customFields: { badge: 7 } }, `... on CreateExtraPayload { extra { ${EXTRA} } }`);
    expect(result['extra']).toMatchObject({ customFields: { badge: 7 }, preferences: {}, user: { username: person.username } });
    expect(present(extraOf(harness, person.username)).custom_fields).toEqual({ badge: 7 });
  });

  // A person named by a `parent` gate does not have is a NotFoundError, as an unknown username is.
  it('createExtra answers NotFoundError for an unknown parent, as for an unknown username', async () => {
    const count = data(harness).userExtras.length;
    expect(await mutate(harness, 'createExtra', { parent: '987654321', preferences: {} })).toMatchObject({ __typename: 'NotFoundError' });
    expect(data(harness).userExtras).toHaveLength(count);
  });

  it('createExtra answers ConflictError when the person already has one, and writes nothing', async () => {
    const person = freshPerson(harness, (candidate) => candidate.hasExtra);
    const before = structuredClone(present(extraOf(harness, person.username)));
    const count = data(harness).userExtras.length;
    const result = await mutate(harness, 'createExtra', { username: person.username, preferences: { theme: 'other' } });
    expect(result).toMatchObject({ __typename: 'ConflictError' });
    expect(data(harness).userExtras).toHaveLength(count);
    expect(extraOf(harness, person.username)).toEqual(before);
  });

  it('createExtra answers NotFoundError for an unknown username, and ValidationError for bad input', async () => {
    const count = data(harness).userExtras.length;
    harness.simulators.resetRequests();
    expect(await mutate(harness, 'createExtra', { username: 'mt.nobody', preferences: {} })).toMatchObject({ __typename: 'NotFoundError' });
    expect(writesSeen(harness)).toEqual([]);
    harness.simulators.resetRequests();
    const neither = await mutate(harness, 'createExtra', { preferences: { theme: 'x' } });
    expect(neither).toMatchObject({ __typename: 'ValidationError', fieldErrors: [{ field: 'username' }] });
    const notObjects = await mutate(harness, 'createExtra', { username: 'bob', preferences: [1, 2], customFields: 'text' });
    expect(notObjects['fieldErrors'].map((problem: Json) => problem['field']).sort()).toEqual(['customFields', 'preferences']);
    expect(harness.requests()).toEqual([]);
    expect(data(harness).userExtras).toHaveLength(count);
  });

  it('updateExtra merges nested objects key by key, as gate does', async () => {
    const person = freshPerson(harness, (candidate) => candidate.hasExtra);
    const extra = present(extraOf(harness, person.username));
    extra.preferences = { ...extra.preferences, nested: { a: 1, b: 2, deep: { x: 1, y: 2 } } };
    const before = structuredClone(extra);
    const result = await mutate(
      harness,
      'updateExtra',
      { username: person.username, changes: { preferences: { theme: 'solarized', nested: { b: 3, deep: { y: 9 } } }, customFields: { department: 'mt-dept' } } },
      `... on UpdateExtraPayload { extra { ${EXTRA} } }`,
    );
    expect(result['__typename']).toBe('UpdateExtraPayload');
    const expectedPreferences = { ...before.preferences, theme: 'solarized', nested: { a: 1, b: 3, deep: { x: 1, y: 9 } } };
    const expectedCustomFields = { ...before.custom_fields, department: 'mt-dept' };
    const stored = present(extraOf(harness, person.username));
    expect(stored.preferences).toEqual(expectedPreferences);
    expect(stored.custom_fields).toEqual(expectedCustomFields);
    expect(stored.organization_id).toBe(before.organization_id);
    expect(result['extra']).toEqual({
      id: globalId('Extra', before.id),
      gateId: String(before.id),
      organizationId: before.organization_id,
      preferences: expectedPreferences,
      customFields: expectedCustomFields,
      user: { username: person.username },
    });
    expect(lastAudit(harness)).toMatchObject({ changed: [{ record: 'gate.userExtra', id: String(before.id) }] });
  });

  it('updateExtra by gateId; NotFoundError for a person without one or an unknown id; ValidationError for no change', async () => {
    const person = freshPerson(harness, (candidate) => candidate.hasExtra);
    const extra = present(extraOf(harness, person.username));
    const result = await mutate(harness, 'updateExtra', { gateId: String(extra.id), changes: { organizationId: 'mt-org' } }, '... on UpdateExtraPayload { extra { gateId organizationId } }');
    expect(result['extra']).toEqual({ gateId: String(extra.id), organizationId: 'mt-org' });
    expect(present(extraOf(harness, person.username)).organization_id).toBe('mt-org');
    const withoutExtra = present(data(harness).people.find((candidate) => !candidate.hasExtra && !extraOf(harness, candidate.username)));
    expect(await mutate(harness, 'updateExtra', { username: withoutExtra.username, changes: { organizationId: 'x' } })).toMatchObject({ __typename: 'NotFoundError' });
    expect(await mutate(harness, 'updateExtra', { username: 'mt.nobody', changes: { organizationId: 'x' } })).toMatchObject({ __typename: 'NotFoundError' });
    expect(await mutate(harness, 'updateExtra', { gateId: '987654321', changes: { organizationId: 'x' } })).toMatchObject({ __typename: 'NotFoundError' });
    harness.simulators.resetRequests();
    expect(await mutate(harness, 'updateExtra', { gateId: String(extra.id), changes: {} })).toMatchObject({ __typename: 'ValidationError', fieldErrors: [{ field: 'changes' }] });
    expect(await mutate(harness, 'updateExtra', { gateId: 'x1', changes: { organizationId: 'x' } })).toMatchObject({ __typename: 'ValidationError', fieldErrors: [{ field: 'gateId' }] });
    expect(harness.requests()).toEqual([]);
  });

  it('replaceExtra replaces the extra as a whole; it stays with its person, filed where it was', async () => {
    const person = freshPerson(harness, (candidate) => candidate.hasExtra);
    const before = structuredClone(present(extraOf(harness, person.username)));
    expect(Object.keys(before.custom_fields).length).toBeGreaterThan(0);
    const result = await mutate(
      harness,
      'replaceExtra',
      { username: person.username, extra: { preferences: { theme: 'light' } } },
      `... on ReplaceExtraPayload { extra { ${EXTRA} } }`,
    );
    expect(result['extra']).toEqual({
      id: globalId('Extra', before.id),
      gateId: String(before.id),
      organizationId: String(before.organization_id),
      preferences: { theme: 'light' },
      customFields: {},
      user: { username: person.username },
    });
    const stored = present(data(harness).userExtras.find((extra) => extra.id === before.id));
    expect(before.organization_id).not.toBeNull();
    expect(stored).toMatchObject({ parent: before.parent, organization_id: before.organization_id, preferences: { theme: 'light' }, custom_fields: {} });
    expect(lastAudit(harness)).toMatchObject({ changed: [{ record: 'gate.userExtra', id: String(before.id) }] });
  });

  it('replaceExtra by gateId; NotFoundError for an extra gate does not have', async () => {
    const person = freshPerson(harness, (candidate) => candidate.hasExtra);
    const extra = present(extraOf(harness, person.username));
    const result = await mutate(
      harness,
      'replaceExtra',
      { gateId: String(extra.id), extra: { organizationId: '1002', customFields: { only: true } } },
      '... on ReplaceExtraPayload { extra { organizationId preferences customFields } }',
    );
    expect(result['extra']).toEqual({ organizationId: '1002', preferences: {}, customFields: { only: true } });
    expect(present(extraOf(harness, person.username))).toMatchObject({ organization_id: '1002', preferences: {}, custom_fields: { only: true } });
    expect(await mutate(harness, 'replaceExtra', { gateId: '987654321', extra: {} })).toMatchObject({ __typename: 'NotFoundError' });
    expect(await mutate(harness, 'replaceExtra', { username: 'mt.nobody', extra: {} })).toMatchObject({ __typename: 'NotFoundError' });
  });

  it('deleteExtra removes the extra; a second delete is a NotFoundError', async () => {
    const person = freshPerson(harness, (candidate) => candidate.hasExtra);
    const extra = present(extraOf(harness, person.username));
    const result = await mutate(harness, 'deleteExtra', { username: person.username }, '... on DeleteExtraPayload { deletedExtraId }');
    expect(result).toEqual({ __typename: 'DeleteExtraPayload', deletedExtraId: globalId('Extra', extra.id) });
    expect(data(harness).userExtras.some((candidate) => candidate.id === extra.id)).toBe(false);
    expect(gateUserNamed(harness, person.username)).toBeDefined();
    expect(lastAudit(harness)).toMatchObject({ removed: [{ record: 'gate.userExtra', id: String(extra.id) }] });
    expect(await mutate(harness, 'deleteExtra', { username: person.username })).toMatchObject({ __typename: 'NotFoundError' });
    expect(await mutate(harness, 'deleteExtra', { gateId: String(extra.id) })).toMatchObject({ __typename: 'NotFoundError' });
    const { user } = (await harness.data('query($u: String!) { user(username: $u) { extra { gateId } } }', { u: person.username })) as Json;
    expect(user).toEqual({ extra: null });
  });

  it('deleteExtra by gateId', async () => {
    const person = freshPerson(harness, (candidate) => candidate.hasExtra);
    const extra = present(extraOf(harness, person.username));
    expect(await mutate(harness, 'deleteExtra', { gateId: String(extra.id) }, '... on DeleteExtraPayload { deletedExtraId }')).toEqual({
      __typename: 'DeleteExtraPayload',
      deletedExtraId: globalId('Extra', extra.id),
    });
    expect(extraOf(harness, person.username)).toBeUndefined();
  });
});

// ==== edge users ====

describe('edge users: createEdgeUser, updateEdgeUser, deleteEdgeUser', () => {
  let harness: Harness;
  beforeAll(async () => {
    harness = await startHarness();
  });
  afterAll(() => harness.close());

  const edgePerson = () => freshPerson(harness, (candidate) => candidate.inEdge);

  it('createEdgeUser creates the edge user with the given fields', async () => {
    const person = freshPerson(harness, (candidate) => !candidate.inEdge);
    const input = {
      username: person.username,
      password: 'edge-Pass-77',
      firstName: person.firstName,
      lastName: person.lastName,
      email: `${person.username}@edge.example`,
      memberships: ['GOLD', 'BETA'],
      organization: 'mt-org',
      description: 'made by a test',
      allowRestAccess: true,
    };
    const result = await mutate(harness, 'createEdgeUser', input, `... on CreateEdgeUserPayload { edgeUser { ${EDGE_USER} allowRestAccess user { username } } }`);
    expect(result['__typename']).toBe('CreateEdgeUserPayload');
    const stored = present(edgeUserNamed(harness, person.username));
    expect(stored).toMatchObject({
      password: input.password,
      first_name: person.firstName,
      last_name: person.lastName,
      email: input.email,
      memberships: ['GOLD', 'BETA'],
      organization: 'mt-org',
      description: 'made by a test',
      allow_rest_access: true,
      is_active: true,
    });
    expect(result['edgeUser']).toEqual({
      id: globalId('EdgeUser', stored.id),
      edgeId: stored.id,
      username: person.username,
      firstName: person.firstName,
      lastName: person.lastName,
      email: input.email,
      description: 'made by a test',
      isActive: true,
      organization: 'mt-org',
      memberships: ['GOLD', 'BETA'],
      allowRestAccess: true,
      user: { username: person.username },
    });
    expect(lastAudit(harness)).toMatchObject({ created: [{ record: 'edge.user', id: stored.id }] });
    const { user } = (await harness.data('query($u: String!) { user(username: $u) { edgeAccount { edgeId } } }', { u: person.username })) as Json;
    expect(user).toEqual({ edgeAccount: { edgeId: stored.id } });
  });

  it('createEdgeUser answers ConflictError for a taken username, and writes nothing', async () => {
    const person = edgePerson();
    const count = data(harness).edgeUsers.length;
    harness.simulators.resetRequests();
    const result = await mutate(harness, 'createEdgeUser', { username: person.username, password: 'edge-Pass-78', firstName: 'A', lastName: 'B', email: 'a.b@example.com' });
    expect(result).toMatchObject({ __typename: 'ConflictError', message: expect.stringContaining(person.username) });
    expect(writesSeen(harness)).toEqual([]);
    expect(data(harness).edgeUsers).toHaveLength(count);
  });

  it('createEdgeUser refuses bad input with a ValidationError naming each field, asking no upstream', async () => {
    harness.simulators.resetRequests();
    const result = await mutate(harness, 'createEdgeUser', { username: 'mt/edge', password: 'short', firstName: '', lastName: 'B', email: 'nope', memberships: [''] });
    expect(result['__typename']).toBe('ValidationError');
    expect(result['fieldErrors'].map((problem: Json) => problem['field']).sort()).toEqual(['email', 'firstName', 'memberships.0', 'password', 'username']);
    expect(harness.requests()).toEqual([]);
  });

  it('updateEdgeUser changes the fields given; edge answers 202, and the payload is what reads back', async () => {
    const person = edgePerson();
    const before = structuredClone(present(edgeUserNamed(harness, person.username)));
    harness.simulators.resetRequests();
    const result = await mutate(
      harness,
      'updateEdgeUser',
      { username: person.username, changes: { firstName: 'Edgy', memberships: ['PLATINUM'], isStaff: true } },
      `... on UpdateEdgeUserPayload { edgeUser { ${EDGE_USER} isStaff } }`,
    );
    expect(result['__typename']).toBe('UpdateEdgeUserPayload');
    const stored = present(edgeUserNamed(harness, person.username));
    expect(stored).toMatchObject({ first_name: 'Edgy', memberships: ['PLATINUM'], is_staff: true, last_name: before.last_name, email: before.email });
    expect(result['edgeUser']).toEqual({
      id: globalId('EdgeUser', before.id),
      edgeId: before.id,
      username: person.username,
      firstName: 'Edgy',
      lastName: before.last_name,
      email: before.email,
      description: before.description,
      isActive: before.is_active,
      organization: before.organization,
      memberships: ['PLATINUM'],
      isStaff: true,
    });
    const userPath = `/api/users/${before.id}/`;
    const patchAt = harness.requests().findIndex((request) => request.method === 'PATCH' && request.path === userPath);
    expect(harness.requests()[patchAt]?.status).toBe(202);
    expect(harness.requests().slice(patchAt + 1).some((request) => request.method === 'GET' && request.path === userPath && request.status === 200)).toBe(true);
    expect(lastAudit(harness)).toMatchObject({ changed: [{ record: 'edge.user', id: before.id }] });
  });

  it('updateEdgeUser by edgeId, renaming the user', async () => {
    const person = edgePerson();
    const { id } = present(edgeUserNamed(harness, person.username));
    const result = await mutate(harness, 'updateEdgeUser', { edgeId: id, changes: { username: 'mt.edge.renamed', isActive: false } }, '... on UpdateEdgeUserPayload { edgeUser { edgeId username isActive } }');
    expect(result['edgeUser']).toEqual({ edgeId: id, username: 'mt.edge.renamed', isActive: false });
    expect(present(data(harness).edgeUsers.find((user) => user.id === id))).toMatchObject({ username: 'mt.edge.renamed', is_active: false });
  });

  it('updateEdgeUser answers NotFoundError for an unknown user, and ValidationError for bad keys or no change', async () => {
    expect(await mutate(harness, 'updateEdgeUser', { username: 'mt.nobody', changes: { firstName: 'X' } })).toMatchObject({ __typename: 'NotFoundError' });
    expect(await mutate(harness, 'updateEdgeUser', { edgeId: 'ffffffffffffffffffffffff', changes: { firstName: 'X' } })).toMatchObject({ __typename: 'NotFoundError' });
    harness.simulators.resetRequests();
    expect(await mutate(harness, 'updateEdgeUser', { changes: { firstName: 'X' } })).toMatchObject({ __typename: 'ValidationError', fieldErrors: [{ field: 'edgeId' }] });
    expect(await mutate(harness, 'updateEdgeUser', { username: 'bob', changes: {} })).toMatchObject({ __typename: 'ValidationError', fieldErrors: [{ field: 'changes' }] });
    expect(await mutate(harness, 'updateEdgeUser', { edgeId: 'a/b', changes: { firstName: 'X' } })).toMatchObject({ __typename: 'ValidationError', fieldErrors: [{ field: 'edgeId' }] });
    expect(await mutate(harness, 'updateEdgeUser', { username: 'bob', changes: { email: 'nope' } })).toMatchObject({ __typename: 'ValidationError', fieldErrors: [{ field: 'changes.email' }] });
    expect(harness.requests()).toEqual([]);
  });

  it('deleteEdgeUser removes the edge user; a second delete is a NotFoundError', async () => {
    const person = edgePerson();
    const { id } = present(edgeUserNamed(harness, person.username));
    const result = await mutate(harness, 'deleteEdgeUser', { username: person.username }, '... on DeleteEdgeUserPayload { deletedEdgeUserId username }');
    expect(result).toEqual({ __typename: 'DeleteEdgeUserPayload', deletedEdgeUserId: globalId('EdgeUser', id), username: person.username });
    expect(data(harness).edgeUsers.some((user) => user.id === id)).toBe(false);
    expect(gateUserNamed(harness, person.username)).toBeDefined();
    expect(lastAudit(harness)).toMatchObject({ removed: [{ record: 'edge.user', id }] });
    expect(await mutate(harness, 'deleteEdgeUser', { username: person.username })).toMatchObject({ __typename: 'NotFoundError' });
    expect(await mutate(harness, 'deleteEdgeUser', { edgeId: id })).toMatchObject({ __typename: 'NotFoundError' });
  });

  it('deleteEdgeUser by edgeId', async () => {
    const person = edgePerson();
    const { id } = present(edgeUserNamed(harness, person.username));
    expect(await mutate(harness, 'deleteEdgeUser', { edgeId: id }, '... on DeleteEdgeUserPayload { username }')).toEqual({ __typename: 'DeleteEdgeUserPayload', username: person.username });
    expect(edgeUserNamed(harness, person.username)).toBeUndefined();
  });
});

// ==== edge access tokens ====

describe('edge access tokens: createAccessToken, revokeAccessToken, deleteAccessToken', () => {
  let harness: Harness;
  beforeAll(async () => {
    harness = await startHarness();
  });
  afterAll(() => harness.close());

  const edgePerson = () => freshPerson(harness, (candidate) => candidate.inEdge);
  const CREATED = `... on CreatedAccessToken { plaintext accessToken { ${ACCESS_TOKEN} } }`;
  const listed = async (username: string) =>
    ((await harness.data('query($u: String!) { user(username: $u) { accessTokens(first: 100) { edges { node { id title active } } } } }', { u: username })) as Json)['user'][
      'accessTokens'
    ]['edges'].map((edge: Json) => edge['node']);

  it('createAccessToken answers the plaintext once; edge keeps only its hash, and the token is listed', async () => {
    const person = edgePerson();
    const account = present(edgeUserNamed(harness, person.username));
    const count = account.tokens.length;
    const result = await mutate(harness, 'createAccessToken', { username: person.username, title: 'mt token' }, CREATED);
    expect(result['__typename']).toBe('CreatedAccessToken');
    const plaintext = result['plaintext'] as string;
    expect(typeof plaintext).toBe('string');
    expect(plaintext.length).toBeGreaterThan(0);
    expect(account.tokens).toHaveLength(count + 1);
    const stored = present(account.tokens.at(-1));
    expect(stored).toMatchObject({ title: 'mt token', active: true });
    expect(stored.hashed_token).not.toContain(plaintext);
    expect(JSON.stringify(data(harness))).not.toContain(plaintext);
    const id = globalId('AccessToken', `${account.id}/${stored.id}`);
    expect(result['accessToken']).toEqual({ id, edgeId: stored.id, title: 'mt token', active: true, owner: { username: person.username } });
    expect(lastAudit(harness)).toMatchObject({ created: [{ record: 'edge.accessToken', id: stored.id }] });
    expect(await listed(person.username)).toContainEqual({ id, title: 'mt token', active: true });
    // Read again, the token never shows its plaintext or its hash.
    const text = JSON.stringify(await harness.data('query($id: ID!) { node(id: $id) { ... on AccessToken { id title active } } }', { id }));
    expect(text).not.toContain(plaintext);
    expect(text).not.toContain(stored.hashed_token);
  });

  it('createAccessToken by edgeId', async () => {
    const person = edgePerson();
    const account = present(edgeUserNamed(harness, person.username));
    const result = await mutate(harness, 'createAccessToken', { edgeId: account.id, title: 'by id' }, CREATED);
    expect(result['plaintext']).toEqual(expect.stringMatching(/.+/));
    expect(result['accessToken']).toMatchObject({ title: 'by id', active: true, owner: { username: person.username } });
    expect(account.tokens.map((token) => token.title)).toContain('by id');
  });

  it('createAccessToken answers NotFoundError for an unknown account, and ValidationError for bad input', async () => {
    harness.simulators.resetRequests();
    expect(await mutate(harness, 'createAccessToken', { username: 'mt.nobody', title: 'x' })).toMatchObject({ __typename: 'NotFoundError' });
    expect(await mutate(harness, 'createAccessToken', { edgeId: 'ffffffffffffffffffffffff', title: 'x' })).toMatchObject({ __typename: 'NotFoundError' });
    expect(writesSeen(harness)).toEqual([]);
    harness.simulators.resetRequests();
    expect(await mutate(harness, 'createAccessToken', { username: 'bob', title: '' })).toMatchObject({ __typename: 'ValidationError', fieldErrors: [{ field: 'title' }] });
    expect(await mutate(harness, 'createAccessToken', { title: 'x' })).toMatchObject({ __typename: 'ValidationError', fieldErrors: [{ field: 'edgeId' }] });
    expect(harness.requests()).toEqual([]);
  });

  it('revokeAccessToken makes the token inactive, as read back from edge', async () => {
    const person = edgePerson();
    const created = await mutate(harness, 'createAccessToken', { username: person.username, title: 'to revoke' }, CREATED);
    const { id, edgeId } = created['accessToken'];
    const account = present(edgeUserNamed(harness, person.username));
    harness.simulators.resetRequests();
    const result = await mutate(harness, 'revokeAccessToken', { id }, `... on RevokeAccessTokenPayload { accessToken { ${ACCESS_TOKEN} } }`);
    expect(result).toEqual({
      __typename: 'RevokeAccessTokenPayload',
      accessToken: { id, edgeId, title: 'to revoke', active: false, owner: { username: person.username } },
    });
    expect(present(account.tokens.find((token) => token.id === edgeId)).active).toBe(false);
    const tokenPath = `/api/users/${account.id}/tokens/${edgeId}/`;
    // edge answers the PATCH 202 with no body; the token is then read back.
    expect(harness.requests().filter((request) => request.path === tokenPath).map((request) => [request.method, request.status])).toEqual([
      ['PATCH', 202],
      ['GET', 200],
    ]);
    expect(lastAudit(harness)).toMatchObject({ changed: [{ record: 'edge.accessToken', id: edgeId }] });
    expect(await listed(person.username)).toContainEqual({ id, title: 'to revoke', active: false });
  });

  it('deleteAccessToken removes the token; a second delete is a NotFoundError', async () => {
    const person = edgePerson();
    const created = await mutate(harness, 'createAccessToken', { username: person.username, title: 'to delete' }, CREATED);
    const { id, edgeId } = created['accessToken'];
    const account = present(edgeUserNamed(harness, person.username));
    const result = await mutate(harness, 'deleteAccessToken', { id }, '... on DeleteAccessTokenPayload { deletedAccessTokenId }');
    expect(result).toEqual({ __typename: 'DeleteAccessTokenPayload', deletedAccessTokenId: id });
    expect(account.tokens.some((token) => token.id === edgeId)).toBe(false);
    expect(lastAudit(harness)).toMatchObject({ removed: [{ record: 'edge.accessToken', id: edgeId }] });
    expect((await listed(person.username)).map((token: Json) => token['id'])).not.toContain(id);
    expect(await mutate(harness, 'deleteAccessToken', { id })).toMatchObject({ __typename: 'NotFoundError' });
    expect(await mutate(harness, 'revokeAccessToken', { id })).toMatchObject({ __typename: 'NotFoundError' });
  });

  it('revokeAccessToken and deleteAccessToken answer ValidationError for an id that is not an access token, NotFoundError for an unknown one', async () => {
    const account = present(edgeUserNamed(harness, edgePerson().username));
    const badIds = ['not-a-global-id', globalId('User', 'bob'), globalId('AccessToken', 'no-slash'), globalId('AccessToken', `${account.id}/a%2Fb/c`)];
    harness.simulators.resetRequests();
    for (const id of badIds) {
      for (const field of ['revokeAccessToken', 'deleteAccessToken']) {
        expect(await mutate(harness, field, { id })).toMatchObject({ __typename: 'ValidationError', fieldErrors: [{ field: 'id' }] });
      }
    }
    expect(harness.requests()).toEqual([]);
    const unknownIds = [globalId('AccessToken', `${account.id}/ffffffffffffffffffffffff`), globalId('AccessToken', 'ffffffffffffffffffffffff/ffffffffffffffffffffffff')];
    const tokensBefore = structuredClone(account.tokens);
    for (const id of unknownIds) {
      for (const field of ['revokeAccessToken', 'deleteAccessToken']) {
        expect(await mutate(harness, field, { id })).toMatchObject({ __typename: 'NotFoundError' });
      }
    }
    expect(account.tokens).toEqual(tokensBefore);
  });
});

describe('edge when it fails', () => {
  const harnessWith = harnessPerTest();

  it('createEdgeUser answers UpstreamFailure on a 503, and nothing is created', async () => {
    const harness = await harnessWith({});
    const person = freshPerson(harness, (candidate) => !candidate.inEdge);
    harness.simulators.injectFault('edge', { method: 'POST', path: '/users/', action: 'status', status: 503 });
    const result = await mutate(harness, 'createEdgeUser', { username: person.username, password: 'edge-Pass-99', firstName: 'F', lastName: 'L', email: 'f.l@example.com' });
    expect(result).toMatchObject({ __typename: 'UpstreamFailure', upstream: 'edge', status: 503, retryable: true });
    expect(edgeUserNamed(harness, person.username)).toBeUndefined();
  });

  it('createEdgeUser settles a lost answer by reading back', async () => {
    const harness = await harnessWith({});
    const person = freshPerson(harness, (candidate) => !candidate.inEdge);
    harness.simulators.injectFault('edge', { method: 'POST', path: '/users/', action: 'reset-after' });
    const result = await mutate(
      harness,
      'createEdgeUser',
      { username: person.username, password: 'edge-Pass-98', firstName: 'F', lastName: 'L', email: 'f.l@example.com' },
      '... on CreateEdgeUserPayload { edgeUser { username firstName } }',
    );
    expect(result).toEqual({ __typename: 'CreateEdgeUserPayload', edgeUser: { username: person.username, firstName: 'F' } });
    expect(data(harness).edgeUsers.filter((user) => user.username === person.username)).toHaveLength(1);
  });

  it('updateEdgeUser settles a lost 202 by reading back', async () => {
    const harness = await harnessWith({});
    const person = freshPerson(harness, (candidate) => candidate.inEdge);
    harness.simulators.injectFault('edge', { method: 'PATCH', path: '/users/:id/', action: 'reset-after' });
    const result = await mutate(harness, 'updateEdgeUser', { username: person.username, changes: { lastName: 'Landed' } }, '... on UpdateEdgeUserPayload { edgeUser { username lastName } }');
    expect(result).toEqual({ __typename: 'UpdateEdgeUserPayload', edgeUser: { username: person.username, lastName: 'Landed' } });
  });

  it('revokeAccessToken answers UpstreamFailure on a 503, and the token stays active', async () => {
    const harness = await harnessWith({});
    const account = present(harness.simulators.dataset.edgeUsers.find((user) => user.tokens.some((token) => token.active)));
    const token = present(account.tokens.find((candidate) => candidate.active));
    harness.simulators.injectFault('edge', { method: 'PATCH', path: '/users/:id/tokens/:tokenId/', action: 'status', status: 503 });
    const result = await mutate(harness, 'revokeAccessToken', { id: globalId('AccessToken', `${account.id}/${token.id}`) });
    expect(result).toMatchObject({ __typename: 'UpstreamFailure', upstream: 'edge', status: 503, retryable: true });
    expect(token.active).toBe(true);
  });

  // The plaintext of a token whose answer was lost is gone for good: what landed is removed, and
  // the token asked for again, so that the answer still holds a plaintext and one token is left.
  it('createAccessToken whose answer is lost removes what landed and creates it again, with its plaintext', async () => {
    const harness = await harnessWith({});
    const person = freshPerson(harness, (candidate) => candidate.inEdge);
    const account = present(edgeUserNamed(harness, person.username));
    const count = account.tokens.length;
    harness.simulators.injectFault('edge', { method: 'POST', path: '/users/:id/tokens/', action: 'reset-after' });
    const result = await mutate(harness, 'createAccessToken', { username: person.username, title: 'lost' }, '... on CreatedAccessToken { plaintext accessToken { title } }');
    expect(account.tokens).toHaveLength(count + 1);
    expect(result).toMatchObject({ __typename: 'CreatedAccessToken', plaintext: expect.stringMatching(/^\w{20,}$/), accessToken: { title: 'lost' } });
  });

  it('createAccessToken whose answer is lost and whose leftover cannot be cleared answers OutcomeUnknown', async () => {
    const harness = await harnessWith({});
    const person = freshPerson(harness, (candidate) => candidate.inEdge);
    const account = present(edgeUserNamed(harness, person.username));
    const count = account.tokens.length;
    harness.simulators.injectFault('edge', { method: 'POST', path: '/users/:id/tokens/', action: 'reset-after' });
    harness.simulators.injectFault('edge', { method: 'DELETE', path: '/users/:id/tokens/:tokenId/', action: 'status', status: 503, times: 'always' });
    const result = await mutate(harness, 'createAccessToken', { username: person.username, title: 'lost' });
    expect(account.tokens).toHaveLength(count + 1);
    expect(result).toMatchObject({ __typename: 'OutcomeUnknown', upstream: 'edge' });
  });

  it('createAccessToken answers UpstreamFailure on a 503, and no token is created', async () => {
    const harness = await harnessWith({});
    const person = freshPerson(harness, (candidate) => candidate.inEdge);
    const account = present(edgeUserNamed(harness, person.username));
    const count = account.tokens.length;
    harness.simulators.injectFault('edge', { method: 'POST', path: '/users/:id/tokens/', action: 'status', status: 503 });
    expect(await mutate(harness, 'createAccessToken', { username: person.username, title: 'never' })).toMatchObject({
      __typename: 'UpstreamFailure',
      upstream: 'edge',
      status: 503,
    });
    expect(account.tokens).toHaveLength(count);
  });
});

// ==== across mutations: fresh data, the audit log, secrets ====

describe('one operation of several mutations, the audit log and secrets', () => {
  let harness: Harness;
  beforeAll(async () => {
    harness = await startHarness();
  });
  afterAll(() => harness.close());

  it('shows fresh data through every path after each write of the same operation', async () => {
    const person = freshPerson(harness, (candidate) => candidate.hasToken && candidate.hasExtra);
    const token = present(tokenNamed(harness, person.username));
    const oldBalance = token.balance_seconds;
    const operation = `mutation($u: String!) {
      first: updateToken(input: { username: $u, changes: { maxSessions: 7 } }) {
        __typename ... on UpdateTokenPayload { token { maxSessions user { firstName balance { seconds } extra { preferences } } } }
      }
      second: updateUser(input: { username: $u, changes: { firstName: "Fresh" } }) {
        __typename ... on UpdateUserPayload { user { firstName token { maxSessions balance { seconds } } } }
      }
      third: setBalance(input: { username: $u, seconds: 4242 }) {
        __typename ... on BalancePayload { balance { seconds } token { user { firstName } } }
      }
      fourth: updateExtra(input: { username: $u, changes: { preferences: { fresh: true } } }) {
        __typename ... on UpdateExtraPayload { extra { preferences user { firstName } } }
      }
      fifth: updateToken(input: { username: $u, changes: { maxSessions: 8 } }) {
        __typename ... on UpdateTokenPayload { token { maxSessions balance { seconds } user { firstName balance { seconds } extra { preferences } token { maxSessions } } } }
      }
    }`;
    const before = harness.audit.length;
    const result = (await harness.data(operation, { u: person.username })) as Json;
    const extraBefore = present(extraOf(harness, person.username)).preferences;
    const { fresh: _fresh, ...preferencesBefore } = extraBefore;
    expect(result['first']['token']).toEqual({ maxSessions: 7, user: { firstName: person.firstName, balance: { seconds: oldBalance }, extra: { preferences: preferencesBefore } } });
    expect(result['second']['user']).toEqual({ firstName: 'Fresh', token: { maxSessions: 7, balance: { seconds: oldBalance } } });
    expect(result['third']).toEqual({ __typename: 'BalancePayload', balance: { seconds: 4242 }, token: { user: { firstName: 'Fresh' } } });
    expect(result['fourth']['extra']).toEqual({ preferences: { ...preferencesBefore, fresh: true }, user: { firstName: 'Fresh' } });
    expect(result['fifth']['token']).toEqual({
      maxSessions: 8,
      balance: { seconds: 4242 },
      user: { firstName: 'Fresh', balance: { seconds: 4242 }, extra: { preferences: { ...preferencesBefore, fresh: true } }, token: { maxSessions: 8 } },
    });
    // One audit line per mutation, all with the operation's one request id.
    const lines = harness.audit.slice(before);
    expect(lines.map((line) => [line.mutation, line.outcome])).toEqual([
      ['updateToken', 'ok'],
      ['updateUser', 'ok'],
      ['setBalance', 'ok'],
      ['updateExtra', 'ok'],
      ['updateToken', 'ok'],
    ]);
    expect(new Set(lines.map((line) => line.requestId)).size).toBe(1);
  });

  it('records created or removed in an operation show where they were read before, later in it', async () => {
    const person = freshPerson(harness, (candidate) => !candidate.hasToken && !candidate.hasExtra && candidate.inEdge);
    const u = person.username;
    const relations = 'user { token { gateId } balance { seconds } extra { gateId preferences } edgeAccount { accessTokens(first: 100) { totalCount } } }';
    const operation = `mutation($u: String!) {
      before: updateUser(input: { username: $u, changes: { role: "before" } }) { ... on UpdateUserPayload { ${relations} } }
      token: createToken(input: { username: $u, email: "mt.fresh@example.com", organization: "acme", initialBalanceSeconds: 77 }) { __typename }
      extra: createExtra(input: { username: $u, preferences: { made: 1 } }) { __typename }
      access: createAccessToken(input: { username: $u, title: "fresh" }) { __typename }
      created: updateUser(input: { username: $u, changes: { role: "created" } }) { ... on UpdateUserPayload { ${relations} } }
      noToken: deleteToken(input: { username: $u }) { __typename }
      noExtra: deleteExtra(input: { username: $u }) { __typename }
      removed: updateUser(input: { username: $u, changes: { role: "removed" } }) { ... on UpdateUserPayload { ${relations} } }
    }`;
    const tokensBefore = present(edgeUserNamed(harness, u)).tokens.length;
    const result = (await harness.data(operation, { u })) as Json;
    expect(result['before']['user']).toEqual({ token: null, balance: null, extra: null, edgeAccount: { accessTokens: { totalCount: tokensBefore } } });
    expect([result['token'], result['extra'], result['access'], result['noToken'], result['noExtra']].map((step) => step['__typename'])).toEqual([
      'CreateTokenPayload',
      'CreateExtraPayload',
      'CreatedAccessToken',
      'DeleteTokenPayload',
      'DeleteExtraPayload',
    ]);
    expect(result['created']['user']).toEqual({
      token: { gateId: expect.any(String) },
      balance: { seconds: 77 },
      extra: { gateId: expect.any(String), preferences: { made: 1 } },
      edgeAccount: { accessTokens: { totalCount: tokensBefore + 1 } },
    });
    expect(result['removed']['user']).toEqual({ token: null, balance: null, extra: null, edgeAccount: { accessTokens: { totalCount: tokensBefore + 1 } } });
  });

  // A user renamed by gateId is not answered later in the operation under the username it had.
  it('after renaming a user by gateId, the old username shows no user later in the same operation', async () => {
    const person = freshPerson(harness, (candidate) => candidate.hasToken);
    const { id } = present(gateUserNamed(harness, person.username));
    const operation = `mutation($u: String!, $id: ID!) {
      first: updateToken(input: { username: $u, changes: { maxSessions: 2 } }) { ... on UpdateTokenPayload { token { user { gateId username } } } }
      rename: updateUser(input: { gateId: $id, changes: { username: "mt.renamed.by.id" } }) { ... on UpdateUserPayload { user { gateId username } } }
      after: updateToken(input: { username: $u, changes: { maxSessions: 3 } }) { ... on UpdateTokenPayload { token { username user { gateId username } } } }
    }`;
    const result = (await harness.data(operation, { u: person.username, id })) as Json;
    expect(result['first']['token']['user']).toEqual({ gateId: id, username: person.username });
    expect(result['rename']['user']).toEqual({ gateId: id, username: 'mt.renamed.by.id' });
    expect(gateUserNamed(harness, person.username)).toBeUndefined();
    // The token keeps the old username; gate has no user of that name any more.
    expect(result['after']['token']).toEqual({ username: person.username, user: null });
  });

  it('writes one audit line per mutation: who, what, the request id, how it ended and which records', async () => {
    const before = harness.audit.length;
    const username = 'mt.audited';
    const password = 'audited-Pass-5';
    const create = `mutation($input: CreateUserInput!) { createUser(input: $input) { __typename ... on CreateUserPayload { user { gateId } } } }`;
    const created = (await harness.execute(create, { input: { username, email: 'mt.audited@example.com', password } }, { 'x-request-id': 'audit-create' })) as Json;
    const gateId = created['data']['createUser']['user']['gateId'];
    const conflict = (await harness.execute(create, { input: { username, email: 'mt.audited@example.com', password } }, { 'x-request-id': 'audit-conflict' })) as Json;
    expect(conflict['data']['createUser']['__typename']).toBe('ConflictError');
    await harness.execute(
      `mutation($u: String!) {
        token: createToken(input: { username: $u, email: "mt.audited@example.com", organization: "acme", initialBalanceSeconds: 10 }) { __typename }
        extra: createExtra(input: { username: $u, preferences: { a: 1 } }) { __typename }
        change: updateUser(input: { username: $u, changes: { password: "audited-Pass-6", lastName: "Audit" } }) { __typename }
        bad: setBalance(input: { username: $u, seconds: -5 }) { __typename }
      }`,
      { u: username },
      { 'x-request-id': 'audit-several' },
    );
    const tokenId = String(present(tokenNamed(harness, username)).id);
    const extraId = String(present(extraOf(harness, username)).id);
    const removed = (await harness.execute(`mutation { deleteUser(input: { username: "${username}" }) { __typename } }`, {}, { 'x-request-id': 'audit-delete' })) as Json;
    expect(removed['data']['deleteUser']['__typename']).toBe('DeleteUserPayload');
    const none = { replayed: false, created: [], changed: [], removed: [], leftovers: [] };
    expect(harness.audit.slice(before)).toEqual([
      { who: 'anonymous', mutation: 'createUser', requestId: 'audit-create', outcome: 'ok', ...none, created: [{ record: 'gate.user', id: gateId }] },
      { who: 'anonymous', mutation: 'createUser', requestId: 'audit-conflict', outcome: 'ConflictError', ...none },
      { who: 'anonymous', mutation: 'createToken', requestId: 'audit-several', outcome: 'ok', ...none, created: [{ record: 'gate.userToken', id: tokenId }] },
      { who: 'anonymous', mutation: 'createExtra', requestId: 'audit-several', outcome: 'ok', ...none, created: [{ record: 'gate.userExtra', id: extraId }] },
      { who: 'anonymous', mutation: 'updateUser', requestId: 'audit-several', outcome: 'ok', ...none, changed: [{ record: 'gate.user', id: gateId }] },
      { who: 'anonymous', mutation: 'setBalance', requestId: 'audit-several', outcome: 'ValidationError', ...none },
      { who: 'anonymous', mutation: 'deleteUser', requestId: 'audit-delete', outcome: 'ok', ...none, removed: [{ record: 'gate.user', id: gateId }, { record: 'gate.userExtra', id: extraId }] },
    ]);
    const text = JSON.stringify(harness.audit);
    expect(text).not.toContain(password);
    expect(text).not.toContain('audited-Pass-6');
  });

  it('never answers a password it was given, and the audit log holds no password or token plaintext', async () => {
    const passwords = ['secret-Create-1', 'secret-Change-2', 'secret-Replace-3', 'secret-Edge-4'];
    const person = freshPerson(harness, (candidate) => candidate.inEdge);
    const userPayload = (typename: string) => `${FAILURE_FIELDS} ... on ${typename} { user { ${USER} } }`;
    const answers = [
      await harness.execute(`mutation($input: CreateUserInput!) { createUser(input: $input) { ${userPayload('CreateUserPayload')} } }`, {
        input: { username: 'mt.secret', email: 'mt.secret@example.com', password: passwords[0] },
      }),
      await harness.execute(`mutation($input: UpdateUserInput!) { updateUser(input: $input) { ${userPayload('UpdateUserPayload')} } }`, {
        input: { username: 'mt.secret', changes: { password: passwords[1] } },
      }),
      await harness.execute(`mutation($input: ReplaceUserInput!) { replaceUser(input: $input) { ${userPayload('ReplaceUserPayload')} } }`, {
        input: { username: 'mt.secret', user: { username: 'mt.secret', email: 'mt.secret@example.com', password: passwords[2] } },
      }),
      // A refused one, too: a ValidationError names the field, never its value.
      await harness.execute(`mutation($input: CreateUserInput!) { createUser(input: $input) { ${userPayload('CreateUserPayload')} } }`, {
        input: { username: 'mt.secret2', email: 'not-an-email', password: 'short77' },
      }),
      await harness.execute(`mutation($input: CreateEdgeUserInput!) { createEdgeUser(input: $input) { ${FAILURE_FIELDS} ... on CreateEdgeUserPayload { edgeUser { ${EDGE_USER} } } } }`, {
        input: { username: 'mt.secret', password: passwords[3], firstName: 'S', lastName: 'T', email: 'mt.secret@example.com' },
      }),
    ];
    for (const answer of answers) expect(answer.errors).toBeUndefined();
    expect(answers.map((answer) => (answer.data as Json)[Object.keys(answer.data as Json)[0] as string]['__typename'])).toEqual([
      'CreateUserPayload',
      'UpdateUserPayload',
      'ReplaceUserPayload',
      'ValidationError',
      'CreateEdgeUserPayload',
    ]);
    const text = JSON.stringify(answers);
    for (const password of [...passwords, 'short77']) expect(text).not.toContain(password);
    expect(present(gateUserNamed(harness, 'mt.secret')).password).toBe(passwords[2]);
    expect(present(edgeUserNamed(harness, 'mt.secret')).password).toBe(passwords[3]);

    // An access token's plaintext and gate's AAA token are in their creation answers, never in the log.
    const token = (await harness.data(
      `mutation($u: String!) {
        access: createAccessToken(input: { username: $u, title: "audit" }) { ... on CreatedAccessToken { plaintext } }
        aaa: createToken(input: { username: "mt.secret", email: "mt.secret@example.com", organization: "acme" }) { ... on CreateTokenPayload { token { token } } }
      }`,
      { u: person.username },
    )) as Json;
    const plaintext = present(token['access']['plaintext']) as string;
    const aaaToken = present(token['aaa']['token']['token']) as string;
    const log = JSON.stringify(harness.audit);
    for (const secret of [...passwords, ...passwordsGiven, plaintext, aaaToken]) expect(log).not.toContain(secret);
  });
});

describe('renaming to a username that is taken', () => {
  let harness: Harness;
  beforeAll(async () => {
    harness = await startHarness();
  });
  afterAll(() => harness.close());

  /** Two people everywhere: the first is renamed to the second's username. */
  const twoPeople = () => {
    const { people } = harness.simulators.dataset;
    const [first, second] = people.filter((person) => person.inEdge && person.hasToken).slice(-2);
    return { from: present(first).username, to: present(second).username };
  };

  it.each([
    ['updateUser', 'gate users'],
    ['updateToken', 'gate user tokens'],
    ['updateEdgeUser', 'edge users'],
  ])('%s answers ConflictError (for %s), and writes nothing', async (mutation) => {
    const { from, to } = twoPeople();
    harness.simulators.resetRequests();
    const result = await mutate(harness, mutation, { username: from, changes: { username: to } });
    expect(result).toMatchObject({ __typename: 'ConflictError', message: expect.stringContaining(to) });
    expect(harness.requests().filter((request) => request.method !== 'GET')).toEqual([]);
  });
});
