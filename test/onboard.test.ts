// `npm run onboard` as an operator runs it: the CLI in a process of its own, against a gateway
// listening over HTTP that runs trusted documents only (and one started as `npm start` starts it),
// over simulators faults are injected into.
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { CLI_MANIFEST, EXIT } from '../src/cli/gateway-client.ts';
import type { RowOutcome } from '../src/cli/onboard/outcomes.ts';
import type { SecretEntry } from '../src/cli/onboard/secrets.ts';
import type { Simulators } from '../src/simulators/index.ts';
import { apiKey } from './support/credentials.ts';
import { runCli, startCli } from './support/cli.ts';
import { observedGatewayPerTest } from './support/signals.ts';

const directory = mkdtempSync(join(tmpdir(), 'onboard-'));
afterAll(() => rmSync(directory, { recursive: true, force: true }));

const HEADER = 'username,email,firstName,lastName,organization,role,initialBalanceSeconds,maxSessions,preferences,edge.memberships,edge.accessTokenTitle';

/** Four people to create in a new organization: two with edge accounts, one with an access token. */
const GOOD_ROWS = [
  'ada.l,ada.l@newco.test,Ada,Lovelace,newco,engineer,3600,2,"{""theme"":""dark""}",WHITE|GREEN,Dashboard',
  'grace.h,grace.h@newco.test,Grace,Hopper,newco,lead,600,,,,',
  'barbara.l,barbara.l@newco.test,Barbara,Liskov,newco,,,,,,',
  'donald.k,donald.k@newco.test,Donald,Knuth,newco,,120,1,,BLUE,',
];

/** What the upstreams hold of `newco` once the good rows are in. */
const GOOD_HOLDINGS = {
  users: ['ada.l', 'barbara.l', 'donald.k', 'grace.h'],
  tokens: ['ada.l', 'barbara.l', 'donald.k', 'grace.h'],
  extras: 4,
  edge: ['ada.l', 'donald.k'],
};

/** The four good rows (lines 2, 3, 10, 11) among bad ones, a row in another organization and one in conflict. */
const MIXED_FILE = [
  HEADER,
  GOOD_ROWS[0],
  GOOD_ROWS[1],
  'bad row,not-an-email,Bad,Row,newco,,,,,,',
  'alan.t,alan.t@newco.test,Alan,Turing,newco,,lots,,,,',
  'katherine.j,katherine.j@newco.test,Katherine,"Johnson',
  '(NASA)",newco,,,,,,',
  'linus.t,linus@newco.test,Linus,Torvalds,newco,,,,,,',
  'edsger.d,LINUS@newco.test,Edsger,Dijkstra,newco,,,,,,',
  GOOD_ROWS[2],
  GOOD_ROWS[3],
  'margaret.h,margaret.h@newco.test,Margaret,Hamilton,newcoo,,,,,,',
  'bob,bob@newco.test,Bob,Builder,newco,,,,,,',
].join('\n');

function file(name: string, text: string): string {
  const path = join(directory, name);
  writeFileSync(path, `${text}\n`);
  return path;
}

const readLines = <T>(path: string): T[] =>
  readFileSync(path, 'utf8')
    .split('\n')
    .filter(Boolean)
    .map((line) => JSON.parse(line) as T);

/** Who each upstream holds of an organization: gate users, user tokens, user extras, edge accounts. */
function holdings(simulators: Simulators, organization: string) {
  const { gateUsers, userTokens, userExtras, edgeUsers } = simulators.dataset;
  const users = gateUsers.filter((user) => user.organization === organization);
  const usernames = users.map((user) => user.username).sort();
  const ids = new Set(users.map((user) => Number(user.id)));
  return {
    users: usernames,
    tokens: userTokens.filter((token) => token.organization === organization).map((token) => token.username).sort(),
    extras: userExtras.filter((extra) => ids.has(extra.parent)).length,
    edge: edgeUsers.filter((account) => usernames.includes(account.username)).map((account) => account.username).sort(),
  };
}

const writes = (simulators: Simulators) => simulators.requests.filter((request) => request.method !== 'GET');

describe('npm run onboard', () => {
  const gatewayWith = observedGatewayPerTest();

  /** A gateway that runs the CLI's trusted documents only, and the CLI's environment for it (an admin key). */
  async function gateway(env: NodeJS.ProcessEnv = {}) {
    const admin = apiKey('onboarding', ['admin', 'users:read', 'users:write']);
    const observed = await gatewayWith({
      env: { API_KEYS: JSON.stringify([admin.entry]), TRUSTED_DOCUMENTS: CLI_MANIFEST, TRUSTED_DOCUMENTS_ONLY: 'true', ...env },
    });
    return { simulators: observed.simulators, cli: { GATEWAY_URL: observed.gateway.url, GATEWAY_API_KEY: admin.key } };
  }

  it('names each bad row by its line and column, plans the rest, and writes nothing in a dry run', async () => {
    const { simulators, cli } = await gateway();
    const people = file('mixed.csv', MIXED_FILE);
    simulators.resetRequests();
    const { code, stdout } = await runCli('onboard', [people], cli);
    for (const problem of [
      'username: may hold only letters, digits and @ . + - _',
      'email: must be an email address',
    ]) expect(stdout).toContain(`${people}:4: ${problem}`);
    expect(stdout).toContain(`${people}:5: initialBalanceSeconds: must be a whole number`);
    // A cell over two lines: the row is named by the line it starts on, and the next row by its own.
    expect(stdout).toContain(`${people}:6: lastName: must not hold control characters`);
    expect(stdout).toContain(`${people}:8: email: is on line 9 too`);
    expect(stdout).toContain(`${people}:9: email: is on line 8 too`);
    expect(stdout).toContain(`${people}:12: organization: is "newcoo", where the file is for "newco": one file holds one organization`);
    expect(stdout).toContain('bob (line 13): username is held by organization "acme"');
    expect(stdout).toContain('To create (4):\n  ada.l (line 2), grace.h (line 3), barbara.l (line 10), donald.k (line 11)');
    expect(stdout).toContain('WARNING: organization "newco" has no member yet');
    expect(stdout).toContain('Dry run: nothing was written.');
    expect(code).toBe(1);
    expect(writes(simulators)).toEqual([]);
  });

  it('creates exactly the good rows, secrets only in the 0600 file; a rerun finds them unchanged', async () => {
    const { simulators, cli } = await gateway();
    const people = file('mixed.csv', MIXED_FILE);
    const secrets = join(directory, 'apply-secrets.jsonl');
    const results = join(directory, 'apply-results.jsonl');
    const args = [people, '--apply', '--new-organization', '--secrets', secrets, '--results', results, '--concurrency', '2'];
    const applied = await runCli('onboard', args, cli);
    expect(applied.code).toBe(1);
    expect(holdings(simulators, 'newco')).toEqual(GOOD_HOLDINGS);
    const outcomes = readLines<RowOutcome>(results);
    expect(outcomes.map(({ line, outcome, error }) => [line, outcome, error?.type])).toEqual([
      [2, 'created', undefined],
      [3, 'created', undefined],
      [4, 'failed', 'invalid'],
      [5, 'failed', 'invalid'],
      [6, 'failed', 'invalid'],
      [8, 'failed', 'invalid'],
      [9, 'failed', 'invalid'],
      [10, 'created', undefined],
      [11, 'created', undefined],
      [12, 'failed', 'invalid'],
      [13, 'failed', 'conflict'],
    ]);
    expect(outcomes[0]?.ids).toEqual({ user: expect.any(String), token: expect.any(String), extra: expect.any(String), edgeUser: expect.any(String), accessToken: expect.any(String) });

    expect(statSync(secrets).mode & 0o777).toBe(0o600);
    const entries = readLines<SecretEntry>(secrets);
    const passwords = entries.filter((entry) => entry.secret === 'password');
    expect(passwords.map((entry) => entry.username).sort()).toEqual(['ada.l', 'barbara.l', 'donald.k', 'grace.h']);
    for (const { username, value } of passwords) {
      // The password handed over is the one set, on gate and on edge.
      expect(simulators.dataset.gateUsers.find((user) => user.username === username)?.password).toBe(value);
      const account = simulators.dataset.edgeUsers.find((user) => user.username === username);
      if (account) expect(account.password).toBe(value);
    }
    const tokens = entries.filter((entry) => entry.secret === 'accessToken');
    expect(tokens).toEqual([{ line: 2, username: 'ada.l', secret: 'accessToken', title: 'Dashboard', value: expect.stringMatching(/^\w{20,}$/) }]);
    const shown = [applied.stdout, applied.stderr, readFileSync(results, 'utf8')].join('\n');
    for (const { value } of entries) expect(shown).not.toContain(value);

    simulators.resetRequests();
    const again = await runCli('onboard', args, cli);
    expect(again.code).toBe(1);
    expect(again.stdout).toContain('Unchanged (4):');
    expect(readLines<RowOutcome>(results).filter((outcome) => outcome.outcome === 'unchanged').map((outcome) => outcome.line)).toEqual([2, 3, 10, 11]);
    expect(writes(simulators)).toEqual([]);
    expect(readLines<SecretEntry>(secrets)).toEqual(entries);
  });

  it('refuses to start an apply that would make secrets without --secrets, or a new organization without --new-organization', async () => {
    const { simulators, cli } = await gateway();
    const people = file('good.csv', [HEADER, ...GOOD_ROWS].join('\n'));
    simulators.resetRequests();
    const newOrganization = await runCli('onboard', [people, '--apply', '--secrets', join(directory, 'unused.jsonl')], cli);
    expect(newOrganization.code).toBe(EXIT.notFound);
    expect(newOrganization.stderr).toContain('organization "newco" has no member yet; if it is spelt right, run again with --new-organization');
    const noSecrets = await runCli('onboard', [people, '--apply', '--new-organization'], cli);
    expect(noSecrets.code).toBe(EXIT.usage);
    expect(noSecrets.stderr).toContain('name the file they go to with --secrets <file>');
    expect(writes(simulators)).toEqual([]);
  });

  it('tells how to start a gateway that runs trusted documents only and does not hold the tools`', async () => {
    const observed = await gatewayWith({ env: { TRUSTED_DOCUMENTS: 'examples/web/src/gql/persisted-documents.json', TRUSTED_DOCUMENTS_ONLY: 'true' } });
    const refused = await runCli('onboard', [file('good.csv', [HEADER, ...GOOD_ROWS].join('\n'))], { GATEWAY_URL: observed.gateway.url });
    expect(refused.code).toBe(EXIT.failed);
    expect(refused.stderr).toBe(
      `user-gateway-onboard: the members of newco: the gateway runs trusted documents only and does not hold the command-line tools': start it with TRUSTED_DOCUMENTS=${CLI_MANIFEST} (beside any other manifest, comma-separated)\n`,
    );
  });

  it('checks and plans the example file against a gateway started as `npm start` starts it, without a manifest', async () => {
    const observed = await gatewayWith();
    const example = 'examples/onboarding/people.csv';
    const { code, stdout, stderr } = await runCli('onboard', [example], { GATEWAY_URL: observed.gateway.url.replace('127.0.0.1', 'localhost') });
    expect(stderr).toBe('');
    expect(stdout).toContain(`${example}: 10 rows for organization "northwind", which has 0 members now.`);
    expect(stdout).toContain(`${example}:10: email: must be an email address`);
    expect(stdout).toContain(
      [
        'To create (9):',
        '  ada.lovelace (line 2), alan.turing (line 3), hedy.lamarr (line 4), katherine.johnson (line 5),',
        '  edsger.dijkstra (line 6), barbara.liskov (line 7), donald.knuth (line 8),',
        '  margaret.hamilton (line 9), frances.allen (line 11)',
      ].join('\n'),
    );
    expect(stdout).toContain('WARNING: organization "northwind" has no member yet');
    expect(code).toBe(EXIT.failed);
  });

  it('reports a row that fails, creates the others, and creates it on the next run', async () => {
    const { simulators, cli } = await gateway();
    const people = file('good.csv', [HEADER, ...GOOD_ROWS].join('\n'));
    const results = join(directory, 'failing-results.jsonl');
    const args = [people, '--apply', '--new-organization', '--secrets', join(directory, 'failing-secrets.jsonl'), '--results', results, '--concurrency', '1'];
    // The first user token made fails: the first row's provisioning undoes its gate user.
    simulators.injectFault('gate', { method: 'POST', path: '/user_token/', action: 'refuse', status: 400, message: 'token store full' });
    const first = await runCli('onboard', args, cli);
    expect(first.code).toBe(1);
    const outcomes = readLines<RowOutcome>(results);
    expect(outcomes.map(({ username, outcome }) => [username, outcome])).toEqual([
      ['ada.l', 'failed'],
      ['grace.h', 'created'],
      ['barbara.l', 'created'],
      ['donald.k', 'created'],
    ]);
    expect(outcomes[0]?.error).toMatchObject({ type: 'ProvisioningFailed', message: expect.stringContaining('gate.userToken') });
    expect(holdings(simulators, 'newco').users).toEqual(['barbara.l', 'donald.k', 'grace.h']);

    const second = await runCli('onboard', args, cli);
    expect(second.code).toBe(0);
    expect(readLines<RowOutcome>(results).map(({ username, outcome }) => [username, outcome])).toEqual([
      ['ada.l', 'created'],
      ['grace.h', 'unchanged'],
      ['barbara.l', 'unchanged'],
      ['donald.k', 'unchanged'],
    ]);
    expect(holdings(simulators, 'newco')).toEqual(GOOD_HOLDINGS);
  });

  it('stops cleanly on Ctrl-C (the rows under way finish, no new one starts) and a rerun resumes without duplicates', async () => {
    const { simulators, cli } = await gateway();
    const rows = [...GOOD_ROWS, ...['e1', 'e2', 'e3', 'e4'].map((name) => `${name},${name}@newco.test,E,${name},newco,,,,,,`)];
    const people = file('eight.csv', [HEADER, ...rows].join('\n'));
    const results = join(directory, 'interrupted-results.jsonl');
    const args = [people, '--apply', '--new-organization', '--secrets', join(directory, 'interrupted-secrets.jsonl'), '--results', results, '--concurrency', '2'];
    // Every new gate user is held upstream: two rows are under way, and stay so until released.
    simulators.injectFault('gate', { method: 'POST', path: '/user/', action: 'hold', times: 'always' });
    const run = startCli('onboard', args, cli);
    await simulators.whenHeld('gate', 2);
    run.child.kill('SIGINT');
    await run.printed(/Ctrl-C: no new row starts/);
    simulators.clearFaults();
    await simulators.releaseHeld('gate');
    const stopped = await run.exited;
    expect(stopped.code).toBe(130);
    expect(stopped.stdout).toContain('Stopped by Ctrl-C');
    const outcomes = readLines<RowOutcome>(results);
    expect(outcomes.filter((outcome) => outcome.outcome === 'created')).toHaveLength(2);
    expect(outcomes.filter((outcome) => outcome.outcome === 'skipped')).toHaveLength(6);
    expect(holdings(simulators, 'newco').users).toEqual(outcomes.filter((outcome) => outcome.outcome === 'created').map((outcome) => outcome.username).sort());

    const resumed = await runCli('onboard', args, cli);
    expect(resumed.code).toBe(0);
    const after = readLines<RowOutcome>(results);
    expect(after.filter((outcome) => outcome.outcome === 'unchanged')).toHaveLength(2);
    expect(after.filter((outcome) => outcome.outcome === 'created')).toHaveLength(6);
    const everyone = ['ada.l', 'barbara.l', 'donald.k', 'e1', 'e2', 'e3', 'e4', 'grace.h'];
    expect(holdings(simulators, 'newco')).toEqual({ users: everyone, tokens: everyone, extras: 8, edge: ['ada.l', 'donald.k'] });
    const { gateUsers, edgeUsers } = simulators.dataset;
    for (const username of everyone) expect(gateUsers.filter((user) => user.username === username)).toHaveLength(1);
    expect(edgeUsers.find((account) => account.username === 'ada.l')?.tokens).toHaveLength(1);
  });

  it('waits as the gateway`s 429 Retry-After says, and then sends the row again', async () => {
    // One request at a time: while the first row is under way, the second is refused 429.
    const { simulators, cli } = await gateway({ CLIENT_MAX_IN_FLIGHT: '1' });
    const people = file('three.csv', [HEADER, ...GOOD_ROWS.slice(1)].join('\n'));
    const results = join(directory, 'limited-results.jsonl');
    simulators.injectFault('gate', { method: 'POST', path: '/user/', action: 'hold' });
    const run = startCli('onboard', [people, '--apply', '--new-organization', '--secrets', join(directory, 'limited-secrets.jsonl'), '--results', results, '--concurrency', '2'], cli);
    await simulators.whenHeld('gate', 1);
    await run.printed(/provisionUser \S+ \(line \d\): the gateway answered 429 TOO_MANY_REQUESTS_IN_FLIGHT; waiting 1 s as its Retry-After says/);
    await simulators.releaseHeld('gate');
    const { code } = await run.exited;
    expect(code).toBe(0);
    expect(readLines<RowOutcome>(results).map((outcome) => outcome.outcome)).toEqual(['created', 'created', 'created']);
    expect(holdings(simulators, 'newco').users).toEqual(['barbara.l', 'donald.k', 'grace.h']);
  });

  it('with --sync makes the organization what a changed file says, and with --prune removes whom it no longer lists', async () => {
    const { simulators, cli } = await gateway();
    const secrets = join(directory, 'sync-secrets.jsonl');
    const first = await runCli('onboard', [file('good.csv', [HEADER, ...GOOD_ROWS].join('\n')), '--apply', '--new-organization', '--secrets', secrets], cli);
    expect(first.code).toBe(0);

    const changed = file(
      'changed.csv',
      [
        HEADER,
        // ada.l: a new email, role and memberships; grace.h is gone; donald.k gets preferences and an access token; frances.a is new.
        'ada.l,ada@newco.test,Ada,Lovelace,newco,architect,3600,2,"{""theme"":""dark""}",BLUE,Dashboard',
        GOOD_ROWS[2],
        'donald.k,donald.k@newco.test,Donald,Knuth,newco,,120,1,"{""editor"":""emacs""}",BLUE,TeX',
        'frances.a,frances.a@newco.test,Frances,Allen,newco,,,,,,',
      ].join('\n'),
    );
    simulators.resetRequests();
    const plan = await runCli('onboard', [changed, '--sync', '--prune'], cli);
    expect(plan.code).toBe(0);
    expect(plan.stdout).toContain('To change (2):\n  ada.l (line 2): email, role, edge.memberships\n  donald.k (line 4): preferences, edge.accessTokenTitle');
    expect(plan.stdout).toContain('To create (1):\n  frances.a (line 5)');
    expect(plan.stdout).toContain('Unchanged (1):\n  barbara.l (line 3)');
    expect(plan.stdout).toContain('To remove, as no row names them (1):\n  grace.h');
    expect(writes(simulators)).toEqual([]);

    const results = join(directory, 'sync-results.jsonl');
    const synced = await runCli('onboard', [changed, '--sync', '--prune', '--apply', '--secrets', secrets, '--results', results], cli);
    expect(synced.code).toBe(0);
    expect(readLines<RowOutcome>(results).map(({ username, outcome }) => [username, outcome])).toEqual([
      ['ada.l', 'changed'],
      ['barbara.l', 'unchanged'],
      ['donald.k', 'changed'],
      ['frances.a', 'created'],
      ['grace.h', 'removed'],
    ]);
    const { gateUsers, userTokens, userExtras, edgeUsers } = simulators.dataset;
    const ada = gateUsers.find((user) => user.username === 'ada.l');
    expect({ email: ada?.email, role: ada?.profile['role'] }).toEqual({ email: 'ada@newco.test', role: 'architect' });
    expect(userTokens.find((token) => token.username === 'ada.l')?.email).toBe('ada@newco.test');
    expect(edgeUsers.find((account) => account.username === 'ada.l')).toMatchObject({ email: 'ada@newco.test', memberships: ['BLUE'] });
    const donald = gateUsers.find((user) => user.username === 'donald.k');
    expect(userExtras.find((extra) => extra.parent === Number(donald?.id))?.preferences).toEqual({ editor: 'emacs' });
    expect(edgeUsers.find((account) => account.username === 'donald.k')?.tokens.map((token) => token.title)).toEqual(['TeX']);
    expect(holdings(simulators, 'newco')).toEqual({
      users: ['ada.l', 'barbara.l', 'donald.k', 'frances.a'],
      tokens: ['ada.l', 'barbara.l', 'donald.k', 'frances.a'],
      extras: 4,
      edge: ['ada.l', 'donald.k'],
    });
    expect(edgeUsers.some((account) => account.username === 'grace.h')).toBe(false);
    const entries = readLines<SecretEntry>(secrets);
    expect(entries.filter((entry) => entry.username === 'donald.k' && entry.secret === 'accessToken').map((entry) => entry.title)).toEqual(['TeX']);
    for (const { value } of entries) expect([synced.stdout, synced.stderr, readFileSync(results, 'utf8')].join('\n')).not.toContain(value);

    const settled = await runCli('onboard', [changed, '--sync', '--prune'], cli);
    expect(settled.code).toBe(0);
    expect(settled.stdout).toContain('Unchanged (4):');
    expect(settled.stdout).not.toContain('To remove');
  });
});
