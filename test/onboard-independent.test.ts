// `npm run onboard` against gate, edge and switch written from their docs alone (bench/independent/):
// the gateway and the upstreams each in a process of their own, the upstreams read directly after.
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startChild, type ManagedChild } from '../bench/support/children.ts';
import { readyUrl } from '../bench/support/gateway.ts';
import { CLI_MANIFEST } from '../src/cli/gateway-client.ts';
import type { RowOutcome } from '../src/cli/onboard/outcomes.ts';
import type { SecretEntry } from '../src/cli/onboard/secrets.ts';
import { apiKey } from './support/credentials.ts';
import { runCli } from './support/cli.ts';

const repositoryRoot = fileURLToPath(new URL('..', import.meta.url));
const STARTUP_TIMEOUT_MS = 60_000;
const UPSTREAM_KEYS = ['GATE_URL', 'GATE_TOKEN', 'EDGE_URL', 'EDGE_USERNAME', 'EDGE_PASSWORD', 'SWITCH_URL', 'SWITCH_TOKEN'] as const;

const directory = mkdtempSync(join(tmpdir(), 'onboard-independent-'));
const children: ManagedChild[] = [];
let upstreams: Record<string, string>;
let cli: Record<string, string>;

beforeAll(async () => {
  const servers = startChild({ name: 'independent-upstreams', command: process.execPath, args: ['bench/independent/main.ts'], cwd: repositoryRoot, env: {} });
  children.push(servers);
  const collected: Record<string, string> = {};
  upstreams = await servers.waitForStdout(
    (line) => {
      const match = /^([A-Z_]+)=(.*)$/.exec(line);
      if (match) collected[match[1] as string] = match[2] as string;
      return UPSTREAM_KEYS.every((key) => collected[key] !== undefined) ? { ...collected } : undefined;
    },
    'upstream env lines',
    STARTUP_TIMEOUT_MS,
  );
  const admin = apiKey('onboarding', ['admin', 'users:read', 'users:write']);
  const gateway = startChild({
    name: 'gateway',
    command: process.execPath,
    args: ['src/index.ts'],
    cwd: repositoryRoot,
    env: {
      ...upstreams,
      HOST: '127.0.0.1',
      PORT: '0',
      LOG_LEVEL: 'warn',
      API_KEYS: JSON.stringify([admin.entry]),
      TRUSTED_DOCUMENTS: CLI_MANIFEST,
      TRUSTED_DOCUMENTS_ONLY: 'true',
      // Idempotency keys in this gateway's memory only: a Redis would remember another run's rows.
      REDIS_URL: undefined,
      EDGE_TOKEN: undefined,
      API_KEYS_FILE: undefined,
      AUTH_MODE: undefined,
      WORKERS: undefined,
    },
  });
  children.push(gateway);
  cli = { GATEWAY_URL: await gateway.waitForStdout(readyUrl, 'ready line', STARTUP_TIMEOUT_MS), GATEWAY_API_KEY: admin.key };
}, STARTUP_TIMEOUT_MS * 2);

afterAll(async () => {
  await Promise.all(children.map((child) => child.stop()));
  rmSync(directory, { recursive: true, force: true });
});

/** An upstream read directly, with its own credentials: what it holds, whatever the gateway says. */
async function upstream(name: 'gate' | 'edge', path: string): Promise<unknown> {
  const authorization =
    name === 'gate' ? `Bearer ${upstreams['GATE_TOKEN']}` : `Basic ${Buffer.from(`${upstreams['EDGE_USERNAME']}:${upstreams['EDGE_PASSWORD']}`).toString('base64')}`;
  const response = await fetch(`${upstreams[`${name.toUpperCase()}_URL`]}${path}`, { headers: { authorization } });
  expect(response.status, `${name} ${path}`).toBe(200);
  return response.json();
}

type Listed = { results: { username: string; email: string }[] };
type EdgeAccount = { id: string; username: string; email: string; memberships: string[] };

async function holdings(organization: string) {
  const users = ((await upstream('gate', `/user/?organization=${organization}&limit=100`)) as Listed).results;
  const tokens = ((await upstream('gate', `/user_token/?organization=${organization}&limit=100`)) as Listed).results;
  const edge: EdgeAccount[] = [];
  for (const { username } of users) {
    const found = (await upstream('edge', `/users/?username=${encodeURIComponent(username)}`)) as EdgeAccount[] | { results: EdgeAccount[] };
    edge.push(...(Array.isArray(found) ? found : found.results).filter((account) => account.username === username));
  }
  return {
    users: users.map((user) => `${user.username} ${user.email}`).sort(),
    tokens: tokens.map((token) => token.username).sort(),
    edge: edge.map((account) => `${account.username} ${account.memberships.join('|')}`).sort(),
    accessTokens: await Promise.all(edge.map(async (account) => ((await upstream('edge', `/users/${account.id}/tokens/`)) as { title: string }[] | { results: { title: string }[] }))).then(
      (lists) => lists.flatMap((list) => (Array.isArray(list) ? list : list.results).map((token) => token.title)),
    ),
  };
}

const HEADER = 'username,email,firstName,lastName,organization,role,initialBalanceSeconds,maxSessions,preferences,edge.memberships,edge.accessTokenTitle';

const readLines = <T>(path: string): T[] =>
  readFileSync(path, 'utf8')
    .split('\n')
    .filter(Boolean)
    .map((line) => JSON.parse(line) as T);

describe('npm run onboard against independent implementations of the three APIs', () => {
  it('creates exactly the good rows, finds them unchanged on a rerun, and syncs a changed file with --prune', async () => {
    const people = join(directory, 'indepco.csv');
    writeFileSync(
      people,
      [
        HEADER,
        'ivy.a,ivy.a@indepco.test,Ivy,Adams,indepco,engineer,3600,2,"{""theme"":""dark""}",WHITE|GREEN,Console',
        'jack.b,jack.b@indepco.test,Jack,Brown,indepco,,600,,,,',
        'kim.c,not-an-email,Kim,Chen,indepco,,,,,,',
        'lee.d,lee.d@indepco.test,Lee,Diaz,indepco,,,,,BLUE,',
        'max.e,max.e@indepco.test,Max,Evans,indepco,,,,,,',
      ].join('\n'),
    );
    const secrets = join(directory, 'secrets.jsonl');
    const results = join(directory, 'results.jsonl');
    const applied = await runCli('onboard', [people, '--apply', '--new-organization', '--secrets', secrets, '--results', results], cli);
    expect(applied.code, applied.stdout + applied.stderr).toBe(1);
    expect(readLines<RowOutcome>(results).map(({ line, outcome }) => [line, outcome])).toEqual([
      [2, 'created'],
      [3, 'created'],
      [4, 'failed'],
      [5, 'created'],
      [6, 'created'],
    ]);
    expect(await holdings('indepco')).toEqual({
      users: ['ivy.a ivy.a@indepco.test', 'jack.b jack.b@indepco.test', 'lee.d lee.d@indepco.test', 'max.e max.e@indepco.test'],
      tokens: ['ivy.a', 'jack.b', 'lee.d', 'max.e'],
      edge: ['ivy.a WHITE|GREEN', 'lee.d BLUE'],
      accessTokens: ['Console'],
    });
    const entries = readLines<SecretEntry>(secrets);
    expect(entries.map(({ username, secret }) => `${username} ${secret}`).sort()).toEqual(['ivy.a accessToken', 'ivy.a password', 'jack.b password', 'lee.d password', 'max.e password']);
    for (const { value } of entries) expect([applied.stdout, applied.stderr, readFileSync(results, 'utf8')].join('\n')).not.toContain(value);

    const rerun = await runCli('onboard', [people], cli);
    expect(rerun.stdout).toContain('Unchanged (4):\n  ivy.a (line 2), jack.b (line 3), lee.d (line 5), max.e (line 6)');

    writeFileSync(
      people,
      [
        HEADER,
        'ivy.a,ivy@indepco.test,Ivy,Adams,indepco,architect,3600,2,"{""theme"":""light""}",GREEN,Console',
        'jack.b,jack.b@indepco.test,Jack,Brown,indepco,,600,,,,',
        'lee.d,lee.d@indepco.test,Lee,Diaz,indepco,,,,,BLUE,',
      ].join('\n'),
    );
    const synced = await runCli('onboard', [people, '--apply', '--sync', '--prune', '--secrets', secrets, '--results', results], cli);
    expect(synced.code, synced.stdout + synced.stderr).toBe(0);
    expect(readLines<RowOutcome>(results).map(({ username, outcome }) => [username, outcome])).toEqual([
      ['ivy.a', 'changed'],
      ['jack.b', 'unchanged'],
      ['lee.d', 'unchanged'],
      ['max.e', 'removed'],
    ]);
    expect(await holdings('indepco')).toEqual({
      users: ['ivy.a ivy@indepco.test', 'jack.b jack.b@indepco.test', 'lee.d lee.d@indepco.test'],
      tokens: ['ivy.a', 'jack.b', 'lee.d'],
      edge: ['ivy.a GREEN', 'lee.d BLUE'],
      accessTokens: ['Console'],
    });
    const settled = await runCli('onboard', [people, '--sync', '--prune'], cli);
    expect(settled.code, settled.stdout).toBe(0);
    expect(settled.stdout).toContain('Unchanged (3):');
  }, 120_000);
});
