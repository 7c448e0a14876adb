import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AuditTrail } from '../src/provisioning/audit.ts';
import { auditLog } from '../src/server/gateway.ts';
import type { FaultRule } from '../src/simulators/index.ts';
import { harnessPerTest, startHarness, type GraphQLResult, type Harness } from './support/harness.ts';
import { person } from './support/people.ts';
import { observedGatewayPerTest } from './support/signals.ts';
import { environmentWithoutSettings } from './support/gateway-process.ts';

type Loose = GraphQLResult<Record<string, any>>;

const PROVISION = `mutation($input: ProvisionUserInput!) {
  provisionUser(input: $input) {
    __typename
    ... on Error { message }
    ... on ValidationError { fieldErrors { field message } }
    ... on ProvisioningFailed { failedStep leftovers }
    ... on OutcomeUnknown { upstream }
    ... on UpstreamFailure { upstream status retryable }
    ... on ProvisionUserPayload {
      user { username gateId email firstName lastName role }
      token { username isActive accessLevel maxSessions balance { seconds } }
      extra { gateId preferences customFields user { username } }
      edgeAccount { username memberships firstName }
      accessToken { plaintext accessToken { id title active } }
    }
  }
}`;

const DEPROVISION = `mutation($username: String!) {
  deprovisionUser(input: { username: $username }) {
    __typename
    ... on Error { message }
    ... on ProvisioningFailed { failedStep leftovers }
    ... on DeprovisionUserPayload { username removed }
  }
}`;

/** Which of the person's records each upstream holds now, read straight from the simulators' data. */
function presence(harness: Harness, username: string) {
  const data = harness.simulators.dataset;
  const user = data.gateUsers.find((candidate) => candidate.username === username);
  const account = data.edgeUsers.find((candidate) => candidate.username === username);
  return {
    'gate.user': user ? 1 : 0,
    'gate.userToken': data.userTokens.filter((token) => token.username === username).length,
    'gate.userExtra': user ? data.userExtras.filter((extra) => String(extra.parent) === user.id).length : 0,
    'edge.user': data.edgeUsers.filter((candidate) => candidate.username === username).length,
    'edge.accessToken': account?.tokens.length ?? 0,
  };
}

const everywhere = { 'gate.user': 1, 'gate.userToken': 1, 'gate.userExtra': 1, 'edge.user': 1, 'edge.accessToken': 1 };
const nowhere = { 'gate.user': 0, 'gate.userToken': 0, 'gate.userExtra': 0, 'edge.user': 0, 'edge.accessToken': 0 };

/** Each step of the saga, and the write it makes. */
const steps: [string, 'gate' | 'edge', FaultRule['path']][] = [
  ['gate.user', 'gate', '/user/'],
  ['gate.userToken', 'gate', '/user_token/'],
  ['gate.userExtra', 'gate', '/user_extra/'],
  ['edge.user', 'edge', '/users/'],
  ['edge.accessToken', 'edge', '/users/:id/tokens/'],
];

describe('provisionUser: all or nothing', () => {
  const harnessWith = harnessPerTest();

  it('creates the person on every upstream and answers all of it, the token`s plaintext included', async () => {
    const harness = await harnessWith({});
    const result = (await harness.execute(PROVISION, { input: person('ada.l') })) as Loose;
    expect(result.errors).toBeUndefined();
    const payload = result.data?.['provisionUser'];
    expect(payload).toMatchObject({
      __typename: 'ProvisionUserPayload',
      user: { username: 'ada.l', email: 'ada.l@acme.com', firstName: 'Ada', lastName: 'Lovelace', role: 'user' },
      token: { username: 'ada.l', isActive: true, accessLevel: 'premium', maxSessions: 2, balance: { seconds: 7200 } },
      extra: { preferences: { theme: 'dark' }, customFields: { department: 'ops' }, user: { username: 'ada.l' } },
      edgeAccount: { username: 'ada.l', memberships: ['WHITE', 'GREEN'], firstName: 'Ada' },
      accessToken: { plaintext: expect.stringMatching(/^\w{20,}$/), accessToken: { title: 'Dashboard', active: true } },
    });
    expect(presence(harness, 'ada.l')).toEqual(everywhere);
    // The extra belongs to the new gate user; the token's balance went as initial_balance_seconds.
    const gateUser = harness.simulators.dataset.gateUsers.find((user) => user.username === 'ada.l');
    expect(payload.extra.gateId).toBe(String(harness.simulators.dataset.userExtras.find((extra) => String(extra.parent) === gateUser?.id)?.id));
    expect(JSON.stringify(result)).not.toContain('pw-of-ada.l');
    expect(harness.audit.at(-1)).toMatchObject({
      who: 'anonymous',
      mutation: 'provisionUser',
      outcome: 'ok',
      created: steps.map(([record]) => expect.objectContaining({ record })),
      removed: [],
      leftovers: [],
    });
    expect(JSON.stringify(harness.audit)).not.toMatch(new RegExp(`pw-of-ada|${payload.accessToken.plaintext}`));
  });

  it('creates the gate records alone without `edge`, and refuses edge without the names it requires', async () => {
    const harness = await harnessWith({});
    const { edge: _edge, ...gateOnly } = person('gate.only');
    const done = (await harness.execute(PROVISION, { input: gateOnly })) as Loose;
    expect(done.data?.['provisionUser']).toMatchObject({ __typename: 'ProvisionUserPayload', edgeAccount: null, accessToken: null });
    expect(presence(harness, 'gate.only')).toEqual({ ...nowhere, 'gate.user': 1, 'gate.userToken': 1, 'gate.userExtra': 1 });

    harness.simulators.resetRequests();
    const refused = (await harness.execute(PROVISION, { input: { ...person('no.names'), firstName: null, lastName: '', email: 'not-an-email' } })) as Loose;
    expect(refused.data?.['provisionUser']).toMatchObject({
      __typename: 'ValidationError',
      fieldErrors: [
        { field: 'email', message: 'must be an email address' },
        { field: 'firstName', message: expect.stringMatching(/required by edge/) },
        { field: 'lastName', message: expect.stringMatching(/required by edge/) },
      ],
    });
    expect(harness.requests()).toHaveLength(0);
  });

  it('refuses a username taken on any upstream before writing anything', async () => {
    const harness = await harnessWith({});
    const taken = harness.simulators.dataset.edgeUsers.find((user) => !harness.simulators.dataset.gateUsers.some((gateUser) => gateUser.username === user.username));
    const username = taken?.username.toLowerCase().replace(/[^\w.@+-]/g, '') === taken?.username ? taken!.username : 'admin';
    const before = presence(harness, username);
    const result = (await harness.execute(PROVISION, { input: person(username) })) as Loose;
    expect(result.data?.['provisionUser']).toMatchObject({ __typename: 'ConflictError', message: expect.stringContaining(`${username} is taken on edge`) });
    expect(presence(harness, username)).toEqual(before);
    expect(harness.requests().filter((request) => request.method !== 'GET')).toEqual([]);
  });

  describe.each(steps)('a failure at %s', (record, upstream, path) => {
    it('refused: undoes the steps before it, and leaves nothing behind', async () => {
      const harness = await harnessWith({});
      harness.simulators.injectFault(upstream, { method: 'POST', path, action: 'status', status: 500, body: { detail: 'boom' } });
      const result = (await harness.execute(PROVISION, { input: person('refused.one') })) as Loose;
      expect(result.data?.['provisionUser']).toMatchObject({ __typename: 'ProvisioningFailed', failedStep: record, leftovers: [] });
      expect(presence(harness, 'refused.one')).toEqual(nowhere);
      const done = steps.slice(0, steps.findIndex(([step]) => step === record)).map(([step]) => step);
      expect(harness.audit.at(-1)).toMatchObject({
        outcome: 'ProvisioningFailed',
        created: done.map((step) => expect.objectContaining({ record: step })),
        removed: [...done].reverse().map((step) => expect.objectContaining({ record: step })),
        leftovers: [],
      });
    });

    it('landed with its answer lost: reads it back and goes on, to a whole person', async () => {
      const harness = await harnessWith({});
      harness.simulators.injectFault(upstream, { method: 'POST', path, action: 'reset-after' });
      const result = (await harness.execute(PROVISION, { input: person('lost.answer') })) as Loose;
      expect(result.data?.['provisionUser']).toMatchObject({ __typename: 'ProvisionUserPayload', user: { username: 'lost.answer' } });
      expect(presence(harness, 'lost.answer')).toEqual(everywhere);
      // A token whose answer was lost is made again, so that its plaintext can still be shown.
      expect(result.data?.['provisionUser'].accessToken.plaintext).toMatch(/^\w{20,}$/);
    });
  });

  it('names what it could not undo, after trying again', async () => {
    const harness = await harnessWith({});
    harness.simulators.injectFault('edge', { method: 'POST', path: '/users/', action: 'status', status: 500 });
    harness.simulators.injectFault('gate', { method: 'DELETE', path: '/user_token/:id/', action: 'status', status: 503, times: 'always' });
    const result = (await harness.execute(PROVISION, { input: person('left.over') })) as Loose;
    expect(result.data?.['provisionUser']).toMatchObject({ __typename: 'ProvisioningFailed', failedStep: 'edge.user', leftovers: ['gate.userToken'] });
    expect(presence(harness, 'left.over')).toEqual({ ...nowhere, 'gate.userToken': 1 });
    const tokenDeletes = harness.requests().filter((request) => request.method === 'DELETE' && request.path.includes('/user_token/'));
    expect(tokenDeletes).toHaveLength(3);
    expect(harness.audit.at(-1)?.leftovers).toEqual([expect.objectContaining({ record: 'gate.userToken' })]);
  });

  it('answers OutcomeUnknown only when even reading back cannot tell, after undoing what it can', async () => {
    const harness = await harnessWith({});
    harness.simulators.injectFault('gate', { method: 'POST', path: '/user_token/', action: 'reset-after' });
    // The check for a taken username reads the token list once, unharmed; every read after it fails.
    harness.simulators.injectFault('gate', { method: 'GET', path: '/user_token/', action: 'delay', ms: 0 });
    harness.simulators.injectFault('gate', { method: 'GET', path: '/user_token/', action: 'status', status: 503, times: 'always' });
    const result = (await harness.execute(PROVISION, { input: person('unknown.one') })) as Loose;
    expect(result.data?.['provisionUser']).toMatchObject({ __typename: 'OutcomeUnknown', upstream: 'gate', message: expect.stringMatching(/gate\.userToken/) });
    // The gate user before it was undone; the token, which did land, could not even be found.
    expect(presence(harness, 'unknown.one')).toEqual({ ...nowhere, 'gate.userToken': 1 });
  });
});

describe('provisionUser: idempotency', () => {
  let harness: Harness;
  beforeAll(async () => {
    harness = await startHarness();
  });
  afterAll(() => harness.close());

  it('answers 20 concurrent calls with one key from one provisioning: one person, 20 equal answers, 19 marked as replays', async () => {
    const { edge: _edge, ...input } = person('twenty.at.once', 'one-key-for-twenty');
    const results = (await Promise.all(Array.from({ length: 20 }, () => harness.execute(PROVISION, { input })))) as (Loose & { extensions?: unknown })[];
    const answers = results.map((result) => JSON.stringify(result.data));
    expect(new Set(answers).size).toBe(1);
    expect(results.filter((result) => result.extensions === undefined)).toHaveLength(1);
    expect(results[0]?.data?.['provisionUser'].__typename).toBe('ProvisionUserPayload');
    expect(presence(harness, 'twenty.at.once')).toEqual({ ...nowhere, 'gate.user': 1, 'gate.userToken': 1, 'gate.userExtra': 1 });
    expect(harness.requests().filter((request) => request.method === 'POST')).toHaveLength(3);
  });

  it('replays the first answer without writing again, the plaintext shown once only', async () => {
    const input = person('replayed.one');
    const first = (await harness.execute(PROVISION, { input })) as Loose;
    harness.simulators.resetRequests();
    const again = (await harness.execute(PROVISION, { input })) as Loose;
    // The records come from the first answer; only what the selection adds (the balance) is read.
    expect(harness.requests().map((request) => `${request.method} ${request.path}`)).toEqual([expect.stringMatching(/^GET \/api\/v1\/user_token\/\d+\/$/)]);
    const { accessToken: firstToken, ...firstRest } = first.data?.['provisionUser'];
    const { accessToken: againToken, ...againRest } = again.data?.['provisionUser'];
    expect(againRest).toEqual(firstRest);
    expect(firstToken.plaintext).toMatch(/^\w{20,}$/);
    expect(againToken).toEqual({ ...firstToken, plaintext: null });
  });

  it('refuses the same key with another input, writing nothing', async () => {
    const input = person('reused.key', 'the-reused-key');
    await harness.execute(PROVISION, { input });
    harness.simulators.resetRequests();
    const other = (await harness.execute(PROVISION, { input: { ...input, username: 'someone.else', email: 'someone.else@acme.com' } })) as Loose;
    expect(other.data?.['provisionUser']).toMatchObject({ __typename: 'IdempotencyKeyReused' });
    expect(harness.requests()).toHaveLength(0);
    expect(presence(harness, 'someone.else')).toEqual(nowhere);
  });

  it('runs again under the same key after a failure that may pass (nothing was kept)', async () => {
    const input = person('second.chance', 'second-chance-key');
    harness.simulators.injectFault('edge', { method: 'POST', path: '/users/', action: 'status', status: 503 });
    const failed = (await harness.execute(PROVISION, { input })) as Loose;
    expect(failed.data?.['provisionUser']).toMatchObject({ __typename: 'ProvisioningFailed', leftovers: [] });
    const retried = (await harness.execute(PROVISION, { input })) as Loose;
    expect(retried.data?.['provisionUser']).toMatchObject({ __typename: 'ProvisionUserPayload' });
    expect(presence(harness, 'second.chance')).toEqual(everywhere);
  });
});

describe('deprovisionUser', () => {
  const harnessWith = harnessPerTest();

  it('removes the person from every upstream, then answers NotFoundError', async () => {
    const harness = await harnessWith({});
    await harness.execute(PROVISION, { input: person('going.away') });
    const removed = (await harness.execute(DEPROVISION, { username: 'going.away' })) as Loose;
    expect(removed.data?.['deprovisionUser']).toEqual({
      __typename: 'DeprovisionUserPayload',
      username: 'going.away',
      removed: ['gate.userToken', 'edge.accessToken', 'edge.user', 'gate.userExtra', 'gate.user'],
    });
    expect(presence(harness, 'going.away')).toEqual(nowhere);
    const again = (await harness.execute(DEPROVISION, { username: 'going.away' })) as Loose;
    expect(again.data?.['deprovisionUser']).toMatchObject({ __typename: 'NotFoundError' });
  });

  it('tolerates parts already gone', async () => {
    const harness = await harnessWith({});
    const { edge: _edge, ...gateOnly } = person('half.gone');
    await harness.execute(PROVISION, { input: gateOnly });
    harness.simulators.dataset.userTokens.splice(harness.simulators.dataset.userTokens.findIndex((token) => token.username === 'half.gone'), 1);
    const removed = (await harness.execute(DEPROVISION, { username: 'half.gone' })) as Loose;
    expect(removed.data?.['deprovisionUser']).toMatchObject({ removed: ['gate.userExtra', 'gate.user'] });
    expect(presence(harness, 'half.gone')).toEqual(nowhere);
  });

  it('removes nothing while gate refuses the user token for its active sessions', async () => {
    const harness = await harnessWith({});
    const { dataset } = harness.simulators;
    const busy = dataset.userTokens.find(
      (token) => token.activeSessions > 0 && dataset.gateUsers.some((user) => user.username === token.username) && dataset.edgeUsers.some((user) => user.username === token.username),
    );
    const username = busy!.username;
    const before = presence(harness, username);
    const result = (await harness.execute(DEPROVISION, { username })) as Loose;
    expect(result.data?.['deprovisionUser']).toMatchObject({ __typename: 'ConflictError', message: expect.stringMatching(/active sessions/) });
    expect(presence(harness, username)).toEqual(before);
  });

  it('names what is left when a removal keeps failing', async () => {
    const harness = await harnessWith({});
    await harness.execute(PROVISION, { input: person('stuck.one') });
    harness.simulators.injectFault('gate', { method: 'DELETE', path: '/user_extra/:id/', action: 'status', status: 500, times: 'always' });
    const result = (await harness.execute(DEPROVISION, { username: 'stuck.one' })) as Loose;
    expect(result.data?.['deprovisionUser']).toMatchObject({ __typename: 'ProvisioningFailed', failedStep: 'gate.userExtra', leftovers: ['gate.userExtra', 'gate.user'] });
    expect(presence(harness, 'stuck.one')).toEqual({ ...nowhere, 'gate.user': 1, 'gate.userExtra': 1 });
  });
});

describe('the audit log', () => {
  const harnessWith = harnessPerTest();
  const observe = observedGatewayPerTest();
  const auditLines = (lines: readonly Record<string, unknown>[]) => lines.filter((line) => line['logger'] === 'audit');
  const CREATE_ACCESS_TOKEN = `mutation($username: String!) {
    createAccessToken(input: { username: $username, title: "Lost once" }) { __typename ... on CreatedAccessToken { plaintext accessToken { edgeId } } }
  }`;

  it('is one JSON line per mutation on the `audit` logger, with no secret in it', () => {
    const lines: string[] = [];
    const trail = new AuditTrail('addBalance');
    trail.changed.push({ record: 'gate.userToken', id: '7' });
    auditLog({ write: (line: string) => void lines.push(line) })(trail.entry('anonymous', 'request-1', 'ok'));
    expect(lines).toHaveLength(1);
    expect(JSON.parse(lines[0] ?? '')).toMatchObject({
      level: 30,
      logger: 'audit',
      msg: 'addBalance: ok',
      who: 'anonymous',
      mutation: 'addBalance',
      requestId: 'request-1',
      outcome: 'ok',
      replayed: false,
      changed: [{ record: 'gate.userToken', id: '7' }],
    });
  });

  it.each(['warn', 'silent'])('is written at LOG_LEVEL=%s, which silences the request log', async (level) => {
    const observed = await observe({ env: { LOG_LEVEL: level } });
    const response = await observed.graphql(DEPROVISION, { username: 'nobody.here' }, { 'x-request-id': `audit-at-${level}` });
    expect(((await response.json()) as Loose).data?.['deprovisionUser']).toMatchObject({ __typename: 'NotFoundError' });
    expect(observed.lines().filter((line) => line['logger'] === 'request')).toEqual([]);
    expect(auditLines(observed.lines())).toEqual([
      expect.objectContaining({ level: 30, mutation: 'deprovisionUser', outcome: 'NotFoundError', requestId: `audit-at-${level}`, msg: 'deprovisionUser: NotFoundError' }),
    ]);
  });

  it('reaches the stdout of a gateway process started with LOG_LEVEL=silent', { timeout: 30_000 }, async () => {
    const gateway = spawn(process.execPath, ['src/index.ts'], {
      env: { ...environmentWithoutSettings(), HOST: '127.0.0.1', PORT: '0', LOG_LEVEL: 'silent' },
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    try {
      let output = '';
      const waiting = new Set<() => void>();
      gateway.stdout.on('data', (chunk) => {
        output += String(chunk);
        for (const check of waiting) check();
      });
      const printed = (pattern: RegExp) =>
        new Promise<RegExpExecArray>((resolve, reject) => {
          const check = () => {
            const found = pattern.exec(output);
            if (!found) return;
            waiting.delete(check);
            resolve(found);
          };
          waiting.add(check);
          gateway.once('exit', () => reject(new Error(`the gateway exited:\n${output}`)));
          check();
        });
      const [, url] = await printed(/ready: (http:\/\/\S+\/graphql)/);
      const response = await fetch(url as string, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'x-request-id': 'audit-from-a-process' },
        body: JSON.stringify({ query: DEPROVISION, variables: { username: 'nobody.here' } }),
      });
      expect(((await response.json()) as Loose).data?.['deprovisionUser']).toMatchObject({ __typename: 'NotFoundError' });
      const [line] = await printed(/^\{.*"logger":"audit".*\}$/m);
      expect(JSON.parse(line)).toMatchObject({ logger: 'audit', mutation: 'deprovisionUser', outcome: 'NotFoundError', requestId: 'audit-from-a-process' });
    } finally {
      gateway.kill('SIGTERM');
      if (gateway.exitCode === null) await once(gateway, 'exit');
    }
  });

  it('names the access token swept after a lost answer as created and removed, and the one made again as created', async () => {
    const harness = await harnessWith({});
    const account = harness.simulators.dataset.edgeUsers[0]!;
    const before = new Set(account.tokens.map((token) => token.id));
    harness.simulators.injectFault('edge', { method: 'POST', path: '/users/:id/tokens/', action: 'reset-after' });
    const result = (await harness.execute(CREATE_ACCESS_TOKEN, { username: account.username })) as Loose;
    const answered = result.data?.['createAccessToken'];
    expect(answered).toMatchObject({ __typename: 'CreatedAccessToken', plaintext: expect.stringMatching(/^\w{20,}$/) });
    const made = harness.requests().filter((request) => request.method === 'POST' && request.path.endsWith('/tokens/'));
    expect(made).toHaveLength(2);
    const kept = account.tokens.filter((token) => !before.has(token.id)).map((token) => token.id);
    expect(kept).toEqual([answered.accessToken.edgeId]);
    const [entry] = harness.audit.slice(-1);
    const swept = entry?.removed.map((record) => record.id) ?? [];
    expect(swept).toHaveLength(1);
    expect(entry).toMatchObject({
      mutation: 'createAccessToken',
      outcome: 'ok',
      created: [
        { record: 'edge.accessToken', id: swept[0] },
        { record: 'edge.accessToken', id: answered.accessToken.edgeId },
      ],
      removed: [{ record: 'edge.accessToken', id: swept[0] }],
      leftovers: [],
    });
    expect(swept[0]).not.toBe(answered.accessToken.edgeId);
  });

  it('names what a failed provisioning swept of its failed step: created, then removed', async () => {
    const harness = await harnessWith({ env: { UPSTREAM_RETRIES: '0' } });
    harness.simulators.injectFault('gate', { method: 'POST', path: '/user_token/', action: 'reset-after' });
    // The check for a taken username reads the token list unharmed; the read-back after the lost
    // answer fails, so the outcome is unknown; the sweep after undoing the gate user finds the token.
    harness.simulators.injectFault('gate', { method: 'GET', path: '/user_token/', action: 'delay', ms: 0 });
    harness.simulators.injectFault('gate', { method: 'GET', path: '/user_token/', action: 'status', status: 503 });
    const result = (await harness.execute(PROVISION, { input: person('swept.one') })) as Loose;
    expect(result.data?.['provisionUser']).toMatchObject({ __typename: 'ProvisioningFailed', failedStep: 'gate.userToken', leftovers: [] });
    expect(presence(harness, 'swept.one')).toEqual(nowhere);
    const [entry] = harness.audit.slice(-1);
    const token = entry?.created.find((record) => record.record === 'gate.userToken');
    expect(token).toBeDefined();
    expect(entry).toMatchObject({
      outcome: 'ProvisioningFailed',
      created: [expect.objectContaining({ record: 'gate.user' }), token],
      removed: [expect.objectContaining({ record: 'gate.user' }), token],
      leftovers: [],
    });
  });
});
