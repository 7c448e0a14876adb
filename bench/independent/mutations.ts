// Provisioning round-trips through the gateway, each judged three ways: the mutation's payload,
// the gateway's own read afterwards, and the independent upstream's state read directly. Only new
// people are written (and refusals tried on existing ones), so the read checks' dataset stands.
import { describeErrors, graphql, report, rest, secretsAdd } from './client.ts';
import { isoOf, type Dataset } from './dataset.ts';
import { diff, EDGE_USER_FIELDS, EXTRA_FIELDS, TOKEN_FIELDS, USER_FIELDS } from './expect.ts';

/** What every result union can be besides its payload (ProvisioningFailed only for the two sagas). */
const FAILURES = '__typename ... on Error { message } ... on ValidationError { fieldErrors { field message } } ... on UpstreamFailure { upstream status }';
const SAGA_FAILURES = `${FAILURES} ... on ProvisioningFailed { failedStep leftovers }`;

type Json = Record<string, any>;

async function mutate(label: string, query: string, variables: Json, allowSecrets?: ReadonlySet<string>): Promise<{ payload: Json | null; errors: string[] }> {
  const answer = await graphql(label, query, variables, allowSecrets ? { allowSecrets } : {});
  const payload = (answer.data ? (Object.values(answer.data)[0] as Json | null) : null) ?? null;
  return { payload, errors: describeErrors(answer.errors) };
}

/** The typename a failure must have, with the message shown when it is another. */
function expectTypename(payload: Json | null, typename: string): string[] {
  if (payload?.['__typename'] === typename) return [];
  return [`expected ${typename}, got ${JSON.stringify(payload).slice(0, 300)}`];
}

async function gateUser(username: string): Promise<Json | undefined> {
  const found = await rest('gate', `/user/?username=${encodeURIComponent(username)}`);
  return (found.body as { results?: Json[] }).results?.[0];
}
async function gateToken(username: string): Promise<Json | undefined> {
  const found = await rest('gate', `/user_token/?username=${encodeURIComponent(username)}&balance=true`);
  return (found.body as { results?: Json[] }).results?.[0];
}
async function gateExtra(parent: string): Promise<Json | undefined> {
  const found = await rest('gate', `/user_extra/?parent=${encodeURIComponent(parent)}&device_info=true`);
  return (found.body as { results?: Json[] }).results?.[0];
}
async function edgeUser(username: string): Promise<Json | undefined> {
  const found = await rest('edge', `/users/?username=${encodeURIComponent(username)}&limit=75`);
  return (found.body as Json[]).find((user) => user['username'] === username);
}

/** A gate user as the gateway shows it, from gate's own record. */
function userFromRest(user: Json): Json {
  return {
    username: user['username'],
    gateId: user['id'],
    email: user['email'],
    organization: user['organization'],
    firstName: user['profile']['first_name'],
    lastName: user['profile']['last_name'],
    role: user['profile']['role'],
    createdAt: isoText(user['profile']['created_at']),
    lastLogin: isoText(user['profile']['last_login']),
    updatedAt: isoText(user['profile']['updated_at']),
  };
}
function isoText(text: unknown): string | null {
  return typeof text === 'string' ? new Date(text.endsWith('Z') || /[+-]\d\d:\d\d$/.test(text) ? text : `${text}Z`).toISOString() : null;
}

export async function runMutationChecks(data: Dataset): Promise<void> {
  const name = 'indep.mut-1';
  const organization = 'acme';
  const acmeBefore = data.gateUsers.filter((user) => user.organization === organization).length;

  // ---- gate user ----
  let result = await mutate('createUser', `mutation($input: CreateUserInput!) { m: createUser(input: $input) { ${FAILURES} ... on CreateUserPayload { user { ${USER_FIELDS} } } } }`, {
    input: { username: name, email: 'mut1@acme.example.com', password: 'correct-horse-9', organization, firstName: 'Mut', lastName: 'One', role: 'engineer' },
  });
  let stored = await gateUser(name);
  report.verdict('createUser: payload is what gate now holds', [...result.errors, ...expectTypename(result.payload, 'CreateUserPayload'), ...(stored ? diff(userFromRest(stored), result.payload?.['user']) : ['gate has no such user'])]);
  const count = await graphql('users count', `query($o: String) { users(filter: {organization: $o}) { totalCount } }`, { o: organization });
  report.verdict('createUser: users(filter: {organization}) counts the new user', diff(acmeBefore + 1, (count.data?.['users'] as Json | null)?.['totalCount']));

  result = await mutate('createUser taken', `mutation($input: CreateUserInput!) { m: createUser(input: $input) { ${FAILURES} } }`, {
    input: { username: 'bob', email: 'other.bob@acme.example.com', password: 'correct-horse-9', organization },
  });
  report.verdict('createUser of a taken username (gate: 400 with a username field error) is a ConflictError', [...result.errors, ...expectTypename(result.payload, 'ConflictError')]);

  result = await mutate('updateUser', `mutation($input: UpdateUserInput!) { m: updateUser(input: $input) { ${FAILURES} ... on UpdateUserPayload { user { ${USER_FIELDS} } } } }`, {
    input: { username: name, changes: { role: 'lead', lastName: 'King' } },
  });
  stored = await gateUser(name);
  report.verdict('updateUser: PATCH merges the profile (firstName kept)', [
    ...result.errors,
    ...expectTypename(result.payload, 'UpdateUserPayload'),
    ...diff({ firstName: 'Mut', lastName: 'King', role: 'lead' }, { firstName: stored?.['profile']?.['first_name'], lastName: stored?.['profile']?.['last_name'], role: stored?.['profile']?.['role'] }, '$.gate'),
    ...(stored ? diff(userFromRest(stored), result.payload?.['user']) : []),
  ]);

  result = await mutate('replaceUser', `mutation($input: ReplaceUserInput!) { m: replaceUser(input: $input) { ${FAILURES} ... on ReplaceUserPayload { user { ${USER_FIELDS} } } } }`, {
    input: { username: name, user: { username: name, email: 'mut1.replaced@acme.example.com', organization, firstName: 'Mut' } },
  });
  stored = await gateUser(name);
  report.verdict('replaceUser (lastName, role left out): gate\'s profile strings are emptied, never sent as null (DRF: "This field may not be null.")', [
    ...result.errors,
    ...expectTypename(result.payload, 'ReplaceUserPayload'),
    ...diff({ email: 'mut1.replaced@acme.example.com', first_name: 'Mut', last_name: '', role: '' }, { email: stored?.['email'], first_name: stored?.['profile']?.['first_name'], last_name: stored?.['profile']?.['last_name'], role: stored?.['profile']?.['role'] }, '$.gate'),
    ...(stored ? diff(userFromRest(stored), result.payload?.['user']) : []),
  ]);

  // ---- user token and balance ----
  result = await mutate('createToken', `mutation($input: CreateTokenInput!) { m: createToken(input: $input) { ${FAILURES} ... on CreateTokenPayload { token { ${TOKEN_FIELDS} balance { seconds } } } } }`, {
    input: { username: name, email: 'mut1@acme.example.com', organization, initialBalanceSeconds: 600, maxSessions: 2, accessLevel: 'premium' },
  });
  let token = await gateToken(name);
  report.verdict('createToken: initial balance, profile, and the payload as gate holds it', [
    ...result.errors,
    ...expectTypename(result.payload, 'CreateTokenPayload'),
    ...diff({ balance_seconds: 600, max_sessions: 2, access_level: 'premium' }, { balance_seconds: token?.['balance_seconds'], max_sessions: token?.['profile']?.['max_sessions'], access_level: token?.['profile']?.['access_level'] }, '$.gate'),
    ...diff({ gateId: String(token?.['id']), token: token?.['token'], balance: { seconds: 600 } }, { gateId: result.payload?.['token']?.['gateId'], token: result.payload?.['token']?.['token'], balance: result.payload?.['token']?.['balance'] }),
  ]);
  result = await mutate('createToken taken', `mutation($input: CreateTokenInput!) { m: createToken(input: $input) { ${FAILURES} } }`, {
    input: { username: 'bob', email: 'bob@x.example.com', organization },
  });
  report.verdict('createToken of a taken username (gate: 409) is a ConflictError', [...result.errors, ...expectTypename(result.payload, 'ConflictError')]);

  const balanceMutation = (field: 'setBalance' | 'addBalance') => `mutation($input: ${field === 'setBalance' ? 'SetBalanceInput' : 'AddBalanceInput'}!) { m: ${field}(input: $input) { ${FAILURES} ... on BalancePayload { balance { seconds } } } }`;
  const steps: Array<['setBalance' | 'addBalance', number, number]> = [
    ['setBalance', 1234, 1234],
    ['addBalance', 66, 1300],
    ['addBalance', -300, 1000],
  ];
  for (const [field, seconds, expected] of steps) {
    result = await mutate(field, balanceMutation(field), { input: { username: name, seconds } });
    token = await gateToken(name);
    report.verdict(`${field}(${seconds}): balance ${expected} in the payload and on gate`, [
      ...result.errors,
      ...expectTypename(result.payload, 'BalancePayload'),
      ...diff(expected, result.payload?.['balance']?.['seconds'], '$.balance.seconds'),
      ...diff(expected, token?.['balance_seconds'], '$.gate.balance_seconds'),
    ]);
  }
  // "negative to charge (never below zero)": either a charge stopped at 0 or a refusal that
  // changes nothing honours it; the schema does not say which.
  result = await mutate('addBalance overdraw', balanceMutation('addBalance'), { input: { username: name, seconds: -5000 } });
  token = await gateToken(name);
  const clamped = result.payload?.['__typename'] === 'BalancePayload' && result.payload?.['balance']?.['seconds'] === 0 && token?.['balance_seconds'] === 0;
  const refused = result.payload?.['__typename'] === 'ValidationError' && token?.['balance_seconds'] === 1000;
  report.verdict(`addBalance(-5000) on 1000 s never goes below zero (${clamped ? 'charged down to 0' : refused ? 'refused as a ValidationError, balance kept' : 'neither'})`, [
    ...result.errors,
    ...(clamped || refused ? [] : [`got ${JSON.stringify(result.payload)}; gate holds ${String(token?.['balance_seconds'])}`]),
  ]);
  const balanceBefore = token?.['balance_seconds'];
  result = await mutate('updateToken', `mutation($input: UpdateTokenInput!) { m: updateToken(input: $input) { ${FAILURES} ... on UpdateTokenPayload { token { maxSessions accessLevel } } } }`, {
    input: { username: name, changes: { maxSessions: 3 } },
  });
  token = await gateToken(name);
  report.verdict('updateToken: maxSessions changed, accessLevel kept, balance untouched', [
    ...result.errors,
    ...expectTypename(result.payload, 'UpdateTokenPayload'),
    ...diff({ maxSessions: 3, accessLevel: 'premium' }, result.payload?.['token']),
    ...diff({ max_sessions: 3, access_level: 'premium', balance_seconds: balanceBefore }, { max_sessions: token?.['profile']?.['max_sessions'], access_level: token?.['profile']?.['access_level'], balance_seconds: token?.['balance_seconds'] }, '$.gate'),
  ]);

  const busy = data.gateTokens.find((candidate) => candidate._active_sessions > 0)!;
  result = await mutate('deleteToken busy', `mutation($input: DeleteTokenInput!) { m: deleteToken(input: $input) { ${FAILURES} } }`, { input: { username: busy.username } });
  report.verdict(`deleteToken of ${busy.username} (active sessions, gate: 409) is a ConflictError and the token stays`, [
    ...result.errors,
    ...expectTypename(result.payload, 'ConflictError'),
    ...((await gateToken(busy.username)) ? [] : ['the token is gone from gate']),
  ]);

  // ---- user extra ----
  const gateId = String((await gateUser(name))?.['id']);
  result = await mutate('createExtra', `mutation($input: CreateExtraInput!) { m: createExtra(input: $input) { ${FAILURES} ... on CreateExtraPayload { extra { ${EXTRA_FIELDS} } } } }`, {
    input: { username: name, preferences: { theme: 'dark', nested: { a: 1, b: 2 } }, customFields: { team: 'blue' } },
  });
  let extra = await gateExtra(gateId);
  report.verdict('createExtra: filed under the parent, organization number defaulted by gate', [
    ...result.errors,
    ...expectTypename(result.payload, 'CreateExtraPayload'),
    ...diff({ parent: Number(gateId), organization_id: '3107', preferences: { theme: 'dark', nested: { a: 1, b: 2 } }, custom_fields: { team: 'blue' } }, { parent: extra?.['parent'], organization_id: extra?.['organization_id'], preferences: extra?.['preferences'], custom_fields: extra?.['custom_fields'] }, '$.gate'),
    ...diff({ gateId: String(extra?.['id']), organizationId: '3107', preferences: { theme: 'dark', nested: { a: 1, b: 2 } }, customFields: { team: 'blue' } }, pick(result.payload?.['extra'], ['gateId', 'organizationId', 'preferences', 'customFields'])),
  ]);
  result = await mutate('createExtra again', `mutation($input: CreateExtraInput!) { m: createExtra(input: $input) { ${FAILURES} } }`, { input: { username: name, preferences: { theme: 'light' } } });
  report.verdict('createExtra for a person who has one (gate: 409) is a ConflictError', [...result.errors, ...expectTypename(result.payload, 'ConflictError')]);

  result = await mutate('updateExtra', `mutation($input: UpdateExtraInput!) { m: updateExtra(input: $input) { ${FAILURES} ... on UpdateExtraPayload { extra { preferences customFields } } } }`, {
    input: { username: name, changes: { preferences: { language: 'fr', nested: { b: 3 } } } },
  });
  extra = await gateExtra(gateId);
  const merged = { theme: 'dark', nested: { a: 1, b: 3 }, language: 'fr' };
  report.verdict('updateExtra: PATCH merges nested objects key by key (nested.a kept)', [
    ...result.errors,
    ...expectTypename(result.payload, 'UpdateExtraPayload'),
    ...diff({ preferences: merged, custom_fields: { team: 'blue' } }, { preferences: extra?.['preferences'], custom_fields: extra?.['custom_fields'] }, '$.gate'),
    ...diff({ preferences: merged, customFields: { team: 'blue' } }, result.payload?.['extra']),
  ]);
  result = await mutate('replaceExtra', `mutation($input: ReplaceExtraInput!) { m: replaceExtra(input: $input) { ${FAILURES} ... on ReplaceExtraPayload { extra { preferences customFields } } } }`, {
    input: { username: name, extra: { customFields: { team: 'red' } } },
  });
  extra = await gateExtra(gateId);
  report.verdict('replaceExtra (organizationId left out): what is left out is emptied, organization_id never sent as null (DRF: "This field may not be null.")', [
    ...result.errors,
    ...expectTypename(result.payload, 'ReplaceExtraPayload'),
    ...diff({ preferences: {}, custom_fields: { team: 'red' } }, { preferences: extra?.['preferences'], custom_fields: extra?.['custom_fields'] }, '$.gate'),
    ...diff({ preferences: {}, customFields: { team: 'red' } }, result.payload?.['extra']),
  ]);

  // ---- edge user and access tokens ----
  result = await mutate('createEdgeUser', `mutation($input: CreateEdgeUserInput!) { m: createEdgeUser(input: $input) { ${FAILURES} ... on CreateEdgeUserPayload { edgeUser { ${EDGE_USER_FIELDS} } } } }`, {
    input: { username: name, password: 'swordfish-99', firstName: 'Mut', lastName: 'One', email: 'mut1@acme.example.com', memberships: ['WHITE', 'GREEN'] },
  });
  let account = await edgeUser(name);
  report.verdict('createEdgeUser: payload is what edge now holds', [
    ...result.errors,
    ...expectTypename(result.payload, 'CreateEdgeUserPayload'),
    ...(account ? diff({ edgeId: account['id'], username: name, memberships: ['WHITE', 'GREEN'], firstName: 'Mut', isActive: true }, pick(result.payload?.['edgeUser'], ['edgeId', 'username', 'memberships', 'firstName', 'isActive'])) : ['edge has no such user']),
  ]);
  result = await mutate('createEdgeUser taken', `mutation($input: CreateEdgeUserInput!) { m: createEdgeUser(input: $input) { ${FAILURES} } }`, {
    input: { username: 'Jonny', password: 'swordfish-99', firstName: 'J', lastName: 'Y', email: 'j@y.example.com' },
  });
  report.verdict('createEdgeUser of a taken username (edge: 400 with a username field error) is a ConflictError', [...result.errors, ...expectTypename(result.payload, 'ConflictError')]);

  result = await mutate('updateEdgeUser', `mutation($input: UpdateEdgeUserInput!) { m: updateEdgeUser(input: $input) { ${FAILURES} ... on UpdateEdgeUserPayload { edgeUser { description isStaff firstName } } } }`, {
    input: { username: name, changes: { description: 'compilers', isStaff: true } },
  });
  account = await edgeUser(name);
  report.verdict('updateEdgeUser: 202 without a body, read back', [
    ...result.errors,
    ...expectTypename(result.payload, 'UpdateEdgeUserPayload'),
    ...diff({ description: 'compilers', is_staff: true, first_name: 'Mut' }, { description: account?.['description'], is_staff: account?.['is_staff'], first_name: account?.['first_name'] }, '$.edge'),
    ...diff({ description: 'compilers', isStaff: true, firstName: 'Mut' }, result.payload?.['edgeUser']),
  ]);

  // The plaintext may be in this one answer, and never again.
  const created = await graphql('createAccessToken', `mutation($input: CreateAccessTokenInput!) { m: createAccessToken(input: $input) { ${FAILURES} ... on CreatedAccessToken { plaintext accessToken { id edgeId title active } } } }`, { input: { username: name, title: 'CLI' } }, { allowSecrets: new Set() });
  const createdPayload = (created.data?.['m'] ?? null) as Json | null;
  const plaintext = createdPayload?.['plaintext'];
  const edgeTokens = account ? ((await rest('edge', `/users/${account['id']}/tokens/`)).body as Json[]) : [];
  report.verdict('createAccessToken: the plaintext once, the token active on edge', [
    ...describeErrors(created.errors),
    ...expectTypename(createdPayload, 'CreatedAccessToken'),
    ...(typeof plaintext === 'string' && /^[0-9a-f]{40}$/.test(plaintext) ? [] : [`plaintext is ${JSON.stringify(plaintext)}`]),
    ...diff([{ id: createdPayload?.['accessToken']?.['edgeId'], title: 'CLI', active: true }], edgeTokens.map((item) => pick(item, ['id', 'title', 'active'])), '$.edge'),
  ]);
  if (typeof plaintext === 'string') secretsAdd(plaintext, `plaintext of the access token made by createAccessToken`);
  for (const item of edgeTokens) if (typeof item['hashed_token'] === 'string') secretsAdd(item['hashed_token'], 'hashed_token of the new access token');
  const tokenId = createdPayload?.['accessToken']?.['id'];
  result = await mutate('revokeAccessToken', `mutation($input: RevokeAccessTokenInput!) { m: revokeAccessToken(input: $input) { ${FAILURES} ... on RevokeAccessTokenPayload { accessToken { title active } } } }`, { input: { id: tokenId } });
  const afterRevoke = account ? ((await rest('edge', `/users/${account['id']}/tokens/`)).body as Json[]) : [];
  report.verdict('revokeAccessToken: inactive in the payload and on edge', [
    ...result.errors,
    ...expectTypename(result.payload, 'RevokeAccessTokenPayload'),
    ...diff({ title: 'CLI', active: false }, result.payload?.['accessToken']),
    ...diff([false], afterRevoke.map((item) => item['active']), '$.edge.active'),
  ]);
  const reread = await graphql('accessTokens after create', `query($u: String!) { user(username: $u) { accessTokens { totalCount edges { node { title active } } } } }`, { u: name });
  report.verdict('accessTokens after create and revoke (no plaintext anywhere: see secrets)', [...describeErrors(reread.errors), ...diff({ totalCount: 1, edges: [{ node: { title: 'CLI', active: false } }] }, (reread.data?.['user'] as Json | null)?.['accessTokens'])]);
  result = await mutate('deleteAccessToken', `mutation($input: DeleteAccessTokenInput!) { m: deleteAccessToken(input: $input) { ${FAILURES} ... on DeleteAccessTokenPayload { deletedAccessTokenId } } }`, { input: { id: tokenId } });
  const afterDelete = account ? ((await rest('edge', `/users/${account['id']}/tokens/`)).body as Json[]) : [];
  report.verdict('deleteAccessToken: gone from edge', [...result.errors, ...expectTypename(result.payload, 'DeleteAccessTokenPayload'), ...diff(0, afterDelete.length, '$.edge.tokens')]);

  // ---- taking it apart again ----
  result = await mutate('deleteEdgeUser', `mutation($input: DeleteEdgeUserInput!) { m: deleteEdgeUser(input: $input) { ${FAILURES} ... on DeleteEdgeUserPayload { username } } }`, { input: { username: name } });
  report.verdict('deleteEdgeUser', [...result.errors, ...expectTypename(result.payload, 'DeleteEdgeUserPayload'), ...((await edgeUser(name)) ? ['still on edge'] : [])]);
  result = await mutate('deleteExtra', `mutation($input: DeleteExtraInput!) { m: deleteExtra(input: $input) { ${FAILURES} ... on DeleteExtraPayload { deletedExtraId } } }`, { input: { username: name } });
  report.verdict('deleteExtra', [...result.errors, ...expectTypename(result.payload, 'DeleteExtraPayload'), ...((await gateExtra(gateId)) ? ['still on gate'] : [])]);
  result = await mutate('deleteToken', `mutation($input: DeleteTokenInput!) { m: deleteToken(input: $input) { ${FAILURES} ... on DeleteTokenPayload { username } } }`, { input: { username: name } });
  report.verdict('deleteToken', [...result.errors, ...expectTypename(result.payload, 'DeleteTokenPayload'), ...((await gateToken(name)) ? ['still on gate'] : [])]);
  result = await mutate('deleteUser', `mutation($input: DeleteUserInput!) { m: deleteUser(input: $input) { ${FAILURES} ... on DeleteUserPayload { username } } }`, { input: { username: name } });
  const gone = await graphql('user after delete', `query($u: String!) { user(username: $u) { username } }`, { u: name });
  report.verdict('deleteUser: gone from gate and from the gateway', [...result.errors, ...expectTypename(result.payload, 'DeleteUserPayload'), ...((await gateUser(name)) ? ['still on gate'] : []), ...diff(null, gone.data?.['user'], '$.user')]);

  // ---- provisionUser and deprovisionUser ----
  const provisioned = 'indep.prov-1';
  const provision = await graphql('provisionUser', `mutation($input: ProvisionUserInput!) { m: provisionUser(input: $input) { ${SAGA_FAILURES}
      ... on ProvisionUserPayload { user { username organization } token { balance { seconds } maxSessions } extra { preferences } edgeAccount { username memberships } accessToken { plaintext accessToken { title active } } } } }`, {
    input: {
      idempotencyKey: `indep-prov-${Date.now()}`,
      username: provisioned, email: 'prov1@globex.example.com', password: 'correct-horse-1', organization: 'globex',
      firstName: 'Pro', lastName: 'Vision', role: 'engineer', initialBalanceSeconds: 3600, accessLevel: 'premium', maxSessions: 2,
      preferences: { theme: 'dark' }, customFields: { department: 'R&D' }, edge: { memberships: ['WHITE', 'GREEN'], accessTokenTitle: 'Dashboard' },
    },
  }, { allowSecrets: new Set() });
  const provisionPayload = (provision.data?.['m'] ?? null) as Json | null;
  if (typeof provisionPayload?.['accessToken']?.['plaintext'] === 'string') secretsAdd(provisionPayload['accessToken']['plaintext'], 'plaintext made by provisionUser');
  const provUser = await gateUser(provisioned);
  const provToken = await gateToken(provisioned);
  const provExtra = provUser ? await gateExtra(String(provUser['id'])) : undefined;
  const provEdge = await edgeUser(provisioned);
  const provEdgeTokens = provEdge ? ((await rest('edge', `/users/${provEdge['id']}/tokens/`)).body as Json[]) : [];
  for (const item of provEdgeTokens) if (typeof item['hashed_token'] === 'string') secretsAdd(item['hashed_token'], 'hashed_token made by provisionUser');
  report.verdict('provisionUser: every upstream holds the person', [
    ...describeErrors(provision.errors),
    ...expectTypename(provisionPayload, 'ProvisionUserPayload'),
    ...diff(
      { user: 'globex', balance: 3600, extra: { theme: 'dark' }, custom: { department: 'R&D' }, edge: ['WHITE', 'GREEN'], tokens: ['Dashboard'] },
      { user: provUser?.['organization'], balance: provToken?.['balance_seconds'], extra: provExtra?.['preferences'], custom: provExtra?.['custom_fields'], edge: provEdge?.['memberships'], tokens: provEdgeTokens.map((item) => item['title']) },
      '$.upstreams',
    ),
    ...(typeof provisionPayload?.['accessToken']?.['plaintext'] === 'string' ? [] : ['no plaintext in the answer']),
  ]);

  const busyPerson = data.gateTokens.find((candidate) => candidate._active_sessions > 0 && data.gateUsers.some((user) => user.username === candidate.username))!;
  result = await mutate('deprovisionUser busy', `mutation($input: DeprovisionUserInput!) { m: deprovisionUser(input: $input) { ${SAGA_FAILURES} ... on DeprovisionUserPayload { removed } } }`, { input: { username: busyPerson.username } });
  report.verdict(`deprovisionUser of ${busyPerson.username} (active sessions) is a ConflictError and removes nothing`, [
    ...result.errors,
    ...expectTypename(result.payload, 'ConflictError'),
    ...((await gateUser(busyPerson.username)) && (await gateToken(busyPerson.username)) ? [] : ['something was removed']),
  ]);
  result = await mutate('deprovisionUser', `mutation($input: DeprovisionUserInput!) { m: deprovisionUser(input: $input) { ${SAGA_FAILURES} ... on DeprovisionUserPayload { removed } } }`, { input: { username: provisioned } });
  const left = [
    (await gateUser(provisioned)) ? 'gate.user' : '',
    (await gateToken(provisioned)) ? 'gate.userToken' : '',
    provUser && (await gateExtra(String(provUser['id']))) ? 'gate.userExtra' : '',
    (await edgeUser(provisioned)) ? 'edge.user' : '',
  ].filter(Boolean);
  report.verdict('deprovisionUser: removed in order, nothing left upstream', [
    ...result.errors,
    ...expectTypename(result.payload, 'DeprovisionUserPayload'),
    ...diff(['gate.userToken', 'edge.accessToken', 'edge.user', 'gate.userExtra', 'gate.user'], result.payload?.['removed'], '$.removed'),
    ...(left.length > 0 ? [`left upstream: ${left.join(', ')}`] : []),
  ]);
}

function pick(value: unknown, keys: string[]): Json | undefined {
  if (typeof value !== 'object' || value === null) return undefined;
  return Object.fromEntries(keys.map((key) => [key, (value as Json)[key]]));
}
