import {
  getNamedType,
  isEnumType,
  isInputObjectType,
  isListType,
  isNonNullType,
  isScalarType,
  type GraphQLFormattedError,
  type GraphQLInputType,
  type GraphQLUnionType,
} from 'graphql';
import { exportSPKI, generateKeyPair, SignJWT, type CryptoKey } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { schema } from '../src/schema/index.ts';
import { harnessPerTest, startHarness, type Harness } from './support/harness.ts';
import { apiKey } from './support/credentials.ts';
import { present } from './support/expect.ts';
import { selectionOf } from './support/select-everything.ts';

/**
 * Who may do what beyond tenant isolation: rights over a whole shared upstream are `admin`'s; a
 * client that may write but not read reads nothing through a mutation's payload; clients are told
 * apart by credential, issuer, id and organization; accounts without a gate user are `admin`'s.
 */

type Json = Record<string, any>;

const acme = apiKey('acme-ops', ['users:read', 'users:write'], 'acme');
const acmeWriter = apiKey('acme-writer', ['users:write'], 'acme');
const acmeReader = apiKey('acme-reader', ['users:read'], 'acme');
const admin = apiKey('root', ['users:read', 'users:write', 'admin']);

// The same id for two clients of two organizations: an API key of acme, and a JWT subject of umbrella.
const opsDashboard = apiKey('ops-dashboard', ['users:read', 'users:write'], 'acme');
const ISSUER = 'https://issuer.test/';
const AUDIENCE = 'user-gateway';
let signingKey: CryptoKey;
let jwtEnv: Record<string, string>;

/** A bearer JWT of umbrella whose subject is `sub`. */
async function umbrellaJwt(sub: string): Promise<Record<string, string>> {
  const token = await new SignJWT({ sub, scope: 'users:read users:write', org: 'umbrella' })
    .setProtectedHeader({ alg: 'RS256' })
    .setIssuer(ISSUER)
    .setAudience(AUDIENCE)
    .setExpirationTime('5m')
    .sign(signingKey);
  return { authorization: `Bearer ${token}` };
}

let harness: Harness;
beforeAll(async () => {
  const { publicKey, privateKey } = await generateKeyPair('RS256');
  signingKey = privateKey;
  jwtEnv = { JWT_PUBLIC_KEY: await exportSPKI(publicKey), JWT_ISSUER: ISSUER, JWT_AUDIENCE: AUDIENCE };
  harness = await startHarness({ env: { API_KEYS: JSON.stringify([acme.entry, acmeWriter.entry, acmeReader.entry, admin.entry, opsDashboard.entry]), ...jwtEnv } });
});
afterAll(() => harness.close());

/** A client as the gateway is shown it: an API key, or the headers of another credential. */
type Client = { key: string } | Record<string, string>;
const headersOf = (client: Client) => ('key' in client ? { 'x-api-key': client.key } : client);

async function ask(client: Client, query: string, variables: Json = {}): Promise<{ data?: Json | null; errors?: GraphQLFormattedError[] }> {
  return harness.execute(query, variables, headersOf(client));
}

async function dataFor(client: Client, query: string, variables: Json = {}): Promise<Json> {
  const result = await ask(client, query, variables);
  expect(result.errors, JSON.stringify(result.errors)).toBeUndefined();
  return present(result.data);
}

const dataset = () => harness.simulators.dataset;
const writesSeen = () => harness.requests().filter((request) => request.method !== 'GET');

const RESULT = '__typename ... on Error { message }';
const FORBIDDEN = '... on ForbiddenError { requiredScope fields }';

/** Runs `field` with `input` as `client`, answering its result's typename, message and what `selection` asks. */
async function mutate(client: Client, field: string, input: Json, selection = ''): Promise<Json> {
  const inputType = `${field.charAt(0).toUpperCase()}${field.slice(1)}Input`;
  const data = await dataFor(client, `mutation ($input: ${inputType}!) { result: ${field}(input: $input) { ${RESULT} ${selection} } }`, { input });
  return data['result'];
}

describe('edge-wide rights (edge superuser and staff flags) are admin’s', () => {
  const username = 'acme.edge.rights';
  const account = () => present(dataset().edgeUsers.find((user) => user.username === username));
  const newAccount = (rights: Json) => ({ username, password: 'long-enough-1', firstName: 'Ed', lastName: 'Ge', email: 'edge.rights@acme.com', ...rights });

  beforeAll(async () => {
    const created = await mutate(acme, 'createUser', { username, email: 'edge.rights@acme.com', password: 'long-enough-1' });
    expect(created.__typename).toBe('CreateUserPayload');
  });

  it('refuses a bound writer that creates an edge account with either flag true: ForbiddenError naming the fields, nothing asked upstream', async () => {
    harness.simulators.resetRequests();
    const refused = await mutate(acme, 'createEdgeUser', newAccount({ isSuperuser: true, isStaff: true }), FORBIDDEN);
    expect(refused).toMatchObject({ __typename: 'ForbiddenError', requiredScope: 'admin', fields: ['isSuperuser', 'isStaff'] });
    const staff = await mutate(acme, 'createEdgeUser', newAccount({ isStaff: true }), FORBIDDEN);
    expect(staff).toMatchObject({ __typename: 'ForbiddenError', fields: ['isStaff'] });
    expect(harness.requests()).toEqual([]);
    expect(harness.audit.at(-1)).toMatchObject({ mutation: 'createEdgeUser', outcome: 'ForbiddenError', created: [] });
  });

  it('lets it create the account with both flags false (edge’s default), which grants nothing', async () => {
    const created = await mutate(acme, 'createEdgeUser', newAccount({ isSuperuser: false, isStaff: false }), '... on CreateEdgeUserPayload { edgeUser { isSuperuser isStaff } }');
    expect(created).toMatchObject({ __typename: 'CreateEdgeUserPayload', edgeUser: { isSuperuser: false, isStaff: false } });
  });

  it('refuses any change of either flag by a bound writer, false included: rights it did not grant are not its to take', async () => {
    harness.simulators.resetRequests();
    for (const [changes, fields] of [
      [{ isSuperuser: true }, ['changes.isSuperuser']],
      [{ isStaff: false, firstName: 'Eddy' }, ['changes.isStaff']],
      [{ isSuperuser: false, isStaff: true }, ['changes.isSuperuser', 'changes.isStaff']],
    ] as const) {
      const refused = await mutate(acme, 'updateEdgeUser', { username, changes }, FORBIDDEN);
      expect(refused, JSON.stringify(changes)).toMatchObject({ __typename: 'ForbiddenError', requiredScope: 'admin', fields });
    }
    expect(writesSeen()).toEqual([]);
    expect(account()).toMatchObject({ is_superuser: false, is_staff: false, first_name: 'Ed' });
    const renamed = await mutate(acme, 'updateEdgeUser', { username, changes: { firstName: 'Eddy' } }, '... on UpdateEdgeUserPayload { edgeUser { firstName } }');
    expect(renamed).toMatchObject({ edgeUser: { firstName: 'Eddy' } });
  });

  it('lets admin grant and take them', async () => {
    const granted = await mutate(admin, 'updateEdgeUser', { username, changes: { isStaff: true } }, '... on UpdateEdgeUserPayload { edgeUser { isStaff } }');
    expect(granted).toMatchObject({ __typename: 'UpdateEdgeUserPayload', edgeUser: { isStaff: true } });
    expect(account().is_staff).toBe(true);
    const taken = await mutate(admin, 'updateEdgeUser', { username, changes: { isStaff: false } }, '... on UpdateEdgeUserPayload { edgeUser { isStaff } }');
    expect(taken).toMatchObject({ edgeUser: { isStaff: false } });
  });
});

/** Every field of each member of the mutation's result union, and of what they reach, `depth` levels down. */
function everythingOf(mutation: string, depth: number): string {
  const result = getNamedType(present(schema.getMutationType()?.getFields()[mutation]).type) as GraphQLUnionType;
  return `__typename ${result.getTypes().map((member) => `... on ${member.name} { ${selectionOf(member, 5, depth)} }`).join(' ')}`;
}

/** Some value of an input type, its required fields filled (the checks past the scopes never see it). */
function sampleOf(type: GraphQLInputType): unknown {
  if (isNonNullType(type)) return sampleOf(type.ofType);
  if (isListType(type)) return [sampleOf(type.ofType)];
  if (isEnumType(type)) return present(type.getValues()[0]).name;
  if (isInputObjectType(type)) {
    const required = Object.values(type.getFields()).filter((field) => isNonNullType(field.type) && field.defaultValue === undefined);
    return Object.fromEntries(required.map((field) => [field.name, sampleOf(field.type)]));
  }
  if (isScalarType(type)) return ({ Int: 1, SafeInt: 1, Float: 1, Boolean: true, DateTime: '2026-01-01T00:00:00Z', JSON: {} } as Json)[type.name] ?? 'sample';
  throw new Error(`no sample of ${String(type)}`);
}

describe('a client that may read but not write (users:read without users:write)', () => {
  const mutations = Object.values(present(schema.getMutationType()).getFields());

  it.each(mutations.map((field) => [field.name, field] as const))('%s answers its result union`s ForbiddenError: no top-level error, nothing asked upstream, audited as refused', async (name, field) => {
    const declared = field.args.map((arg) => `$${arg.name}: ${String(arg.type)}`).join(', ');
    const passed = field.args.map((arg) => `${arg.name}: $${arg.name}`).join(', ');
    const variables = Object.fromEntries(field.args.map((arg) => [arg.name, sampleOf(arg.type)]));
    harness.simulators.resetRequests();
    const audited = harness.audit.length;
    const answer = await ask(acmeReader, `mutation (${declared}) { result: ${name}(${passed}) { ${RESULT} ${FORBIDDEN} } }`, variables);
    expect(answer.errors).toBeUndefined();
    expect(present(answer.data)['result']).toEqual({
      __typename: 'ForbiddenError',
      message: `This client may not run ${name}: it needs the users:write scope. Nothing was written.`,
      requiredScope: 'users:write',
      fields: [],
    });
    expect(harness.requests()).toEqual([]);
    expect(harness.audit.slice(audited)).toEqual([expect.objectContaining({ mutation: name, who: 'apikey:acme-reader@acme', outcome: 'ForbiddenError', created: [] })]);
  });
});

const pathOf = (error: GraphQLFormattedError) => (error.path ?? []).join('.');

/** The names of the fields that answered a value (not null, not an object) anywhere in `value`. */
function answeredFieldNames(value: unknown): string[] {
  if (Array.isArray(value)) return value.flatMap(answeredFieldNames);
  if (value === null || typeof value !== 'object') return [];
  return Object.entries(value).flatMap(([name, field]) => (field !== null && typeof field !== 'object' ? [name] : answeredFieldNames(field)));
}

describe('a client that may write but not read (users:write without users:read)', () => {
  const PROVISIONED = `... on ProvisionUserPayload {
    user { id gateId username email switchAccount { id name } }
    token { id gateId username email }
    extra { id gateId preferences }
    edgeAccount { id edgeId username email memberships loginHistory(first: 3) { totalCount } accessTokens(first: 3) { totalCount } }
    accessToken { plaintext accessToken { id edgeId title } }
  }`;
  const provision = (client: Client, username: string, selection: string) =>
    ask(client, `mutation ($input: ProvisionUserInput!) { result: provisionUser(input: $input) { ${RESULT} ${selection} } }`, {
      input: {
        idempotencyKey: `provision-${username}`,
        username,
        email: `${username}@acme.com`,
        password: 'long-enough-1',
        organization: 'acme',
        firstName: 'Write',
        lastName: 'Only',
        preferences: { theme: 'dark' },
        edge: { memberships: ['WHITE'], accessTokenTitle: 'first' },
      },
    });

  it('provisions, and gets the ids, the username and the token’s plaintext, each other field refused as the Query root refuses', async () => {
    const rootRefusal = await ask(acmeWriter, '{ user(username: "bob") { id } }');
    expect(rootRefusal.errors?.map((error) => error.extensions?.['code'])).toEqual(['FORBIDDEN']);

    harness.simulators.resetRequests();
    const answer = await provision(acmeWriter, 'acme.write.only', PROVISIONED);
    const result = present(answer.data)['result'];
    expect(result.__typename).toBe('ProvisionUserPayload');
    expect(dataset().gateUsers.some((user) => user.username === 'acme.write.only')).toBe(true);
    expect(dataset().edgeUsers.some((user) => user.username === 'acme.write.only')).toBe(true);

    expect(result.user).toEqual({ id: expect.any(String), gateId: expect.any(String), username: 'acme.write.only', email: null, switchAccount: null });
    expect(result.token).toEqual({ id: expect.any(String), gateId: expect.any(String), username: 'acme.write.only', email: null });
    expect(result.extra).toEqual({ id: expect.any(String), gateId: expect.any(String), preferences: null });
    expect(result.edgeAccount).toEqual({
      id: expect.any(String),
      edgeId: expect.any(String),
      username: 'acme.write.only',
      email: null,
      memberships: null,
      loginHistory: null,
      accessTokens: null,
    });
    expect(result.accessToken).toEqual({ plaintext: expect.stringMatching(/.{8,}/), accessToken: { id: expect.any(String), edgeId: expect.any(String), title: null } });

    const refused = (answer.errors ?? []).map((error) => ({ path: pathOf(error), code: error.extensions?.['code'], message: error.message }));
    expect(refused.map((error) => error.path).sort()).toEqual(
      [
        'result.user.email',
        'result.user.switchAccount',
        'result.token.email',
        'result.extra.preferences',
        'result.edgeAccount.email',
        'result.edgeAccount.memberships',
        'result.edgeAccount.loginHistory',
        'result.edgeAccount.accessTokens',
        'result.accessToken.accessToken.title',
      ].sort(),
    );
    expect(new Set(refused.map((error) => error.code))).toEqual(new Set(['FORBIDDEN']));
    expect(refused.find((error) => error.path === 'result.user.email')?.message).toBe('This client may not see User.email.');
    // Nothing below a refused field is read: no login history, and switch only once (whether the username is free).
    const reads = harness.requests().filter((request) => request.method === 'GET').map((request) => request.path);
    expect(reads.filter((path) => path.includes('/history/'))).toEqual([]);
    expect(reads.filter((path) => path.endsWith('/user/list'))).toHaveLength(1);
  });

  it('gets everything when it may read as well', async () => {
    const answer = await provision(acme, 'acme.read.write', PROVISIONED);
    expect(answer.errors).toBeUndefined();
    const result = present(answer.data)['result'];
    expect(result.user.email).toBe('acme.read.write@acme.com');
    expect(result.edgeAccount).toMatchObject({ email: 'acme.read.write@acme.com', memberships: ['WHITE'], loginHistory: { totalCount: 0 }, accessTokens: { totalCount: 1 } });
    expect(result.accessToken.plaintext).toEqual(expect.any(String));
  });

  it.each([
    ['provisionUser', (): Json => ({ idempotencyKey: 'everything-1', username: 'acme.write.all', email: 'all@acme.com', password: 'long-enough-1', organization: 'acme', firstName: 'A', lastName: 'B', edge: { accessTokenTitle: 'x' } })],
    ['addBalance', (): Json => ({ username: 'acme.write.all', seconds: 60 })],
    ['updateUser', (): Json => ({ username: 'acme.write.all', changes: { lastName: 'C' } })],
    ['updateEdgeUser', (): Json => ({ username: 'acme.write.all', changes: { lastName: 'C' } })],
    ['createAccessToken', (): Json => ({ username: 'acme.write.all', title: 'y' })],
    ['updateExtra', (): Json => ({ username: 'acme.write.all', changes: { preferences: { a: 1 } } })],
  ])('%s, asked for everything its result can hold: the payload answers, every refusal is FORBIDDEN on a field that can be null', async (mutation, input) => {
    const inputType = `${mutation.charAt(0).toUpperCase()}${mutation.slice(1)}Input`;
    const answer = await ask(acmeWriter, `mutation ($input: ${inputType}!) { result: ${mutation}(input: $input) { ${everythingOf(mutation, 4)} } }`, { input: input() });
    const result = present(answer.data)['result'];
    expect(result.__typename).toMatch(/Payload$|^CreatedAccessToken$/);
    expect(answer.errors?.length).toBeGreaterThan(0);
    const identifying = new Set(['__typename', 'id', 'gateId', 'edgeId', 'username', 'plaintext']);
    expect(answeredFieldNames(result).filter((name) => !identifying.has(name))).toEqual([]);
    for (const error of answer.errors ?? []) {
      expect(error.extensions?.['code'], pathOf(error)).toBe('FORBIDDEN');
      const answered = (error.path ?? []).reduce<unknown>((value, segment) => (value as Record<string | number, unknown>)[segment], answer.data);
      expect(answered, pathOf(error)).toBeNull();
    }
  });
});

describe('callers are told apart by credential, issuer, id and organization', () => {
  const ADD = 'mutation ($input: AddBalanceInput!) { result: addBalance(input: $input) { __typename ... on Error { message } ... on BalancePayload { token { username } balance { seconds } } } }';
  const balanceOf = (username: string) => present(dataset().userTokens.find((token) => token.username === username)).balance_seconds;

  it('replays nothing across organizations: a JWT whose subject is another organization’s API key id runs its own request', async () => {
    const input = { username: 'bob', seconds: 60, idempotencyKey: 'collide-1' };
    const start = balanceOf('bob');
    const first = (await dataFor(opsDashboard, ADD, { input }))['result'];
    expect(first).toMatchObject({ __typename: 'BalancePayload', balance: { seconds: start + 60 } });
    const forged = await umbrellaJwt('ops-dashboard');
    const second = (await dataFor(forged, ADD, { input }))['result'];
    // bob is acme's: for umbrella he is not there, exactly as for a key it never used.
    expect(second).toEqual({ __typename: 'NotFoundError', message: expect.any(String) });
    expect(balanceOf('bob')).toBe(start + 60);
    const again = (await dataFor(opsDashboard, ADD, { input }))['result'];
    expect(again).toMatchObject({ __typename: 'BalancePayload', balance: { seconds: start + 60 } });
    expect(harness.audit.slice(-3).map(({ who, replayed, outcome }) => ({ who, replayed, outcome }))).toEqual([
      { who: 'apikey:ops-dashboard@acme', replayed: false, outcome: 'ok' },
      { who: 'jwt:https%3A//issuer.test/:ops-dashboard@umbrella', replayed: false, outcome: 'NotFoundError' },
      { who: 'apikey:ops-dashboard@acme', replayed: true, outcome: 'ok' },
    ]);
  });

  it('escapes what separates the parts of a key: a subject cannot spell another client’s key', async () => {
    await mutate(await umbrellaJwt('a@acme'), 'setBalance', { username: 'no.such.person', seconds: 1 });
    expect(harness.audit.at(-1)?.who).toBe('jwt:https%3A//issuer.test/:a%40acme@umbrella');
  });

  describe('rate limits', () => {
    const start = harnessPerTest();
    it('counts each client apart, the same id under another credential included', async () => {
      const limited = await start({ env: { API_KEYS: JSON.stringify([opsDashboard.entry]), ...jwtEnv, RATE_LIMIT_PER_MINUTE: '2' } });
      const status = async (headers: Record<string, string>) =>
        (
          await limited.yoga.fetch('http://gateway.test/graphql', {
            method: 'POST',
            headers: { 'content-type': 'application/json', ...headers },
            body: JSON.stringify({ query: '{ __typename }' }),
          })
        ).status;
      const key = headersOf(opsDashboard);
      const forged = await umbrellaJwt('ops-dashboard');
      expect([await status(key), await status(key), await status(key)]).toEqual([200, 200, 429]);
      expect([await status(forged), await status(forged), await status(forged)]).toEqual([200, 200, 429]);
    });
  });
});

describe('accounts without a gate user (orphans) are admin’s: no organization takes their username', () => {
  const EDGE_ORPHAN = 'svc.backup';
  const SWITCH_ORPHAN = 'bobcat';
  const newPerson = (username: string, edge?: Json) => ({
    idempotencyKey: `orphan-${username}-${edge ? 'edge' : 'gate'}`,
    username,
    email: `${username}@acme.com`,
    password: 'long-enough-1',
    organization: 'acme',
    firstName: 'Or',
    lastName: 'Phan',
    ...(edge && { edge }),
  });
  const gateUserOf = (username: string) => dataset().gateUsers.find((user) => user.username === username);
  const edgeAccountOf = (username: string) => dataset().edgeUsers.find((user) => user.username === username);
  /** What edge and switch show of a username to `client`: how many accounts its lists find. */
  const visibleTo = async (client: Client, username: string) => {
    const data = await dataFor(
      client,
      `query ($name: String!) { edgeUsers(first: 5, filter: { usernameContains: $name }) { edges { node { username } } } switchUsers(first: 5, filter: { nameContains: $name }) { edges { node { name } } } }`,
      { name: username },
    );
    return {
      edge: data['edgeUsers'].edges.filter((edge: Json) => edge.node.username === username).length,
      switch: data['switchUsers'].edges.filter((edge: Json) => edge.node.name === username).length,
    };
  };

  beforeAll(() => {
    expect(gateUserOf(EDGE_ORPHAN)).toBeUndefined();
    expect(edgeAccountOf(EDGE_ORPHAN)).toBeDefined();
    expect(gateUserOf(SWITCH_ORPHAN)).toBeUndefined();
    expect(edgeAccountOf(SWITCH_ORPHAN)).toBeUndefined();
    expect(dataset().switchUsers.some((user) => user.name === SWITCH_ORPHAN)).toBe(true);
  });

  it('provisionUser over an orphan edge account is a ConflictError naming edge, with or without `edge`, and writes nothing', async () => {
    harness.simulators.resetRequests();
    for (const person of [newPerson(EDGE_ORPHAN), newPerson(EDGE_ORPHAN, { memberships: ['WHITE'] })]) {
      const result = await mutate(acme, 'provisionUser', person);
      expect(result).toEqual({ __typename: 'ConflictError', message: `${EDGE_ORPHAN} is taken on edge; nothing was created` });
    }
    expect(writesSeen()).toEqual([]);
    expect(gateUserOf(EDGE_ORPHAN)).toBeUndefined();
  });

  it('provisionUser over a name only switch holds is a ConflictError naming switch, for admin too', async () => {
    harness.simulators.resetRequests();
    for (const client of [acme, admin]) {
      const result = await mutate(client, 'provisionUser', newPerson(SWITCH_ORPHAN));
      expect(result).toEqual({ __typename: 'ConflictError', message: `${SWITCH_ORPHAN} is taken on switch; nothing was created` });
    }
    expect(writesSeen()).toEqual([]);
  });

  it('createUser, and a rename by updateUser or replaceUser, onto an orphan’s name is a ConflictError for a bound writer', async () => {
    const own = 'acme.orphan.renamer';
    expect((await mutate(acme, 'createUser', { username: own, email: `${own}@acme.com`, password: 'long-enough-1' })).__typename).toBe('CreateUserPayload');
    harness.simulators.resetRequests();
    const attempts: [string, Json, string][] = [
      ['createUser', { username: EDGE_ORPHAN, email: 'x@acme.com', password: 'long-enough-1' }, 'edge'],
      ['createUser', { username: SWITCH_ORPHAN, email: 'x@acme.com', password: 'long-enough-1' }, 'switch'],
      ['updateUser', { username: own, changes: { username: EDGE_ORPHAN } }, 'edge'],
      ['replaceUser', { username: own, user: { username: SWITCH_ORPHAN, email: `${own}@acme.com` } }, 'switch'],
    ];
    for (const [mutation, input, upstream] of attempts) {
      const result = await mutate(acme, mutation, input);
      expect(result, mutation).toEqual({ __typename: 'ConflictError', message: `${input['username'] === own ? (input['changes'] ?? input['user']).username : input['username']} is taken on ${upstream}; nothing was written` });
    }
    expect(writesSeen()).toEqual([]);
    expect(gateUserOf(own)).toBeDefined();
  });

  it('keeps the edge account a deleted person leaves behind, its login history with it, from the organization that takes the name next', async () => {
    const username = 'acme.leaver';
    const provisioned = await mutate(acme, 'provisionUser', newPerson(username, { memberships: ['WHITE'] }));
    expect(provisioned.__typename).toBe('ProvisionUserPayload');
    expect(await visibleTo(acme, username)).toEqual({ edge: 1, switch: 0 });
    expect((await mutate(acme, 'deleteUser', { username })).__typename).toBe('DeleteUserPayload');
    expect(edgeAccountOf(username)).toBeDefined();

    expect(await mutate(acme, 'provisionUser', { ...newPerson(username), idempotencyKey: 'orphan-again' })).toMatchObject({ __typename: 'ConflictError' });
    expect(await mutate(acme, 'createUser', { username, email: 'x@acme.com', password: 'long-enough-1' })).toMatchObject({ __typename: 'ConflictError' });
    expect(gateUserOf(username)).toBeUndefined();
    expect(await visibleTo(acme, username)).toEqual({ edge: 0, switch: 0 });
    expect(await visibleTo(admin, username)).toEqual({ edge: 1, switch: 0 });
  });

  it('shows orphans to admin only, and lets admin link one by creating its gate user', async () => {
    expect(await visibleTo(acme, EDGE_ORPHAN)).toEqual({ edge: 0, switch: 0 });
    expect(await visibleTo(admin, EDGE_ORPHAN)).toEqual({ edge: 1, switch: 0 });
    expect(await visibleTo(acme, SWITCH_ORPHAN)).toEqual({ edge: 0, switch: 0 });
    expect(await visibleTo(admin, SWITCH_ORPHAN)).toEqual({ edge: 0, switch: 1 });

    const linked = await mutate(admin, 'createUser', { username: SWITCH_ORPHAN, email: 'bobcat@acme.com', password: 'long-enough-1', organization: 'acme' });
    expect(linked.__typename).toBe('CreateUserPayload');
    expect(await visibleTo(acme, SWITCH_ORPHAN)).toEqual({ edge: 0, switch: 1 });
  });
});
