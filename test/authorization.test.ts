import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startHarness, type Harness } from './support/harness.ts';
import { apiKey } from './support/credentials.ts';
import { present } from './support/expect.ts';

/**
 * Who may do what beyond tenant isolation: rights over a whole shared upstream are `admin`'s.
 */

type Json = Record<string, any>;

const acme = apiKey('acme-ops', ['users:read', 'users:write'], 'acme');
const admin = apiKey('root', ['users:read', 'users:write', 'admin']);

let harness: Harness;
beforeAll(async () => {
  harness = await startHarness({ env: { API_KEYS: JSON.stringify([acme.entry, admin.entry]) } });
});
afterAll(() => harness.close());

async function dataFor(client: { key: string }, query: string, variables: Json = {}): Promise<Json> {
  const result = (await harness.execute(query, variables, { 'x-api-key': client.key })) as Json;
  expect(result['errors'], JSON.stringify(result['errors'])).toBeUndefined();
  return present(result['data']);
}

const dataset = () => harness.simulators.dataset;
const writesSeen = () => harness.requests().filter((request) => request.method !== 'GET');

const RESULT = '__typename ... on Error { message }';
const FORBIDDEN = '... on ForbiddenError { requiredScope fields }';

/** Runs `field` with `input` as `client`, answering its result's typename, message and what `selection` asks. */
async function mutate(client: { key: string }, field: string, input: Json, selection = ''): Promise<Json> {
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
