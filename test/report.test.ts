// `npm run report`: an organization's members as CSV, read from a running gateway through its
// GraphQL API; in process (yoga.fetch), as a child process over HTTP, with trusted documents only,
// and against the independent upstreams of bench/independent/.
import { parse as parseCsv } from 'csv-parse/sync';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CLI_MANIFEST, CliFailure, EXIT, GatewayClient, type GatewayClientOptions } from '../src/cli/gateway-client.ts';
import { organizationReport, REPORT_COLUMNS, reportCsv } from '../src/cli/report/report.ts';
import { loadConfig } from '../src/server/config.ts';
import type { Dataset } from '../src/simulators/dataset.ts';
import { buildDataset, type Dataset as IndependentDataset } from '../bench/independent/dataset.ts';
import { runCli } from './support/cli.ts';
import { apiKey } from './support/credentials.ts';
import { harnessPerTest, startHarness, type Harness } from './support/harness.ts';
import { person } from './support/people.ts';
import { expectedOrganization, REPORT_CLOCK } from './support/organizations.ts';

const reader = apiKey('report-reader', ['users:read', 'admin']);
const tinycoReader = apiKey('tinyco-reader', ['users:read'], 'tinyco');
const API_KEYS = JSON.stringify([reader.entry, tinycoReader.entry]);

/** The CSV parsed back, every field as text, as a spreadsheet or another program reads it. */
const rowsOf = (csv: string) => parseCsv(csv, { columns: true }) as Record<string, string>[];

const clientOf = (target: Harness, key = reader.key, options: Partial<GatewayClientOptions> = {}) =>
  new GatewayClient({ url: 'http://gateway.test/graphql', apiKey: key, fetch: (url, init) => Promise.resolve(target.yoga.fetch(url, init)), ...options });

/** The report's lines as the simulators' dataset says they must be. */
function expectedRows(dataset: Dataset, organization: string): Record<string, string>[] {
  const { activeTokens, online } = expectedOrganization(dataset, organization, REPORT_CLOCK);
  return dataset.gateUsers
    .filter((user) => user.organization === organization)
    .map((user) => {
      const token = dataset.userTokens.find((candidate) => candidate.username === user.username);
      return {
        username: user.username,
        email: user.email,
        firstName: String(user.profile.first_name ?? ''),
        lastName: String(user.profile.last_name ?? ''),
        role: String(user.profile.role ?? ''),
        balanceSeconds: token ? String(Math.trunc(token.balance_seconds)) : '',
        activeAccessTokens: String(activeTokens.filter((active) => active.owner === user.username).length),
        switchOnline: String(online.includes(user.username)),
      };
    });
}

describe('the report, in process', () => {
  let harness: Harness;
  beforeAll(async () => {
    harness = await startHarness({ env: { API_KEYS }, clock: { now: () => REPORT_CLOCK } });
  });
  afterAll(() => harness.close());

  it('writes a header and one line per member, which parse back to what the upstreams hold', async () => {
    for (const organization of ['acme', 'tinyco']) {
      const csv = reportCsv(await organizationReport(clientOf(harness), organization));
      expect(csv.split('\n')[0]).toBe(REPORT_COLUMNS.join(','));
      const rows = rowsOf(csv);
      expect(rows).toEqual(expectedRows(harness.simulators.dataset, organization));
      if (organization === 'acme') {
        // Pages of members, of access tokens and of switch users joined: some of each kind.
        expect(rows.length).toBeGreaterThan(100);
        expect(rows.some((row) => Number(row['activeAccessTokens']) > 0)).toBe(true);
        expect(rows.some((row) => row['switchOnline'] === 'true')).toBe(true);
        expect(rows.some((row) => row['balanceSeconds'] === '')).toBe(true);
      }
    }
  });

  it('quotes what would break a field: commas and quotes', async () => {
    const writer = apiKey('writer', ['users:read', 'users:write', 'admin']);
    const target = await startHarness({ env: { API_KEYS: JSON.stringify([writer.entry]) }, clock: { now: () => REPORT_CLOCK } });
    try {
      const input = { ...person('quoted.name'), organization: 'tinyco', lastName: 'O\'Brien, "Jr."' };
      const answer = (await target.execute('mutation ($input: ProvisionUserInput!) { provisionUser(input: $input) { __typename } }', { input }, { 'x-api-key': writer.key })) as {
        data?: { provisionUser?: { __typename: string } };
      };
      expect(answer.data?.provisionUser?.__typename).toBe('ProvisionUserPayload');
      const csv = reportCsv(await organizationReport(clientOf(target, writer.key), 'tinyco'));
      expect(csv).toContain('"O\'Brien, ""Jr."""');
      expect(rowsOf(csv).find((row) => row['username'] === 'quoted.name')).toMatchObject({ lastName: 'O\'Brien, "Jr."', activeAccessTokens: '1' });
    } finally {
      await target.close();
    }
  });

  it('fails on an organization gate has no member of, naming the closest known one', async () => {
    const failure = await organizationReport(clientOf(harness), 'Acme').catch((error: unknown) => error);
    expect(failure).toBeInstanceOf(CliFailure);
    expect(failure).toMatchObject({ exitCode: EXIT.notFound, message: 'gate has no member of organization "Acme"; did you mean "acme"?' });
  });

  it('reports to a client bound to an organization on its own alone', async () => {
    const rows = rowsOf(reportCsv(await organizationReport(clientOf(harness, tinycoReader.key), 'tinyco')));
    expect(rows).toEqual(expectedRows(harness.simulators.dataset, 'tinyco'));
    await expect(organizationReport(clientOf(harness, tinycoReader.key), 'acme')).rejects.toMatchObject({
      exitCode: EXIT.notFound,
      message: 'gate has no member of organization "acme"; did you mean "tinyco"?',
    });
  });

  it('fails on a refused credential', async () => {
    await expect(organizationReport(clientOf(harness, 'not-a-key'), 'acme')).rejects.toMatchObject({ exitCode: EXIT.auth });
  });

  it('waits as the gateway`s Retry-After says, and asks again', async () => {
    let refusals = 1;
    let now = REPORT_CLOCK;
    const slept: number[] = [];
    const client = clientOf(harness, reader.key, {
      fetch: (url, init) =>
        Promise.resolve(
          refusals-- > 0
            ? new Response(JSON.stringify({ errors: [{ message: 'Too many requests.', extensions: { code: 'RATE_LIMITED' } }] }), { status: 429, headers: { 'retry-after': '7' } })
            : harness.yoga.fetch(url, init),
        ),
      now: () => now,
      sleep: (ms) => {
        slept.push(ms);
        now += ms;
        return Promise.resolve();
      },
    });
    expect(rowsOf(reportCsv(await organizationReport(client, 'tinyco')))).toEqual(expectedRows(harness.simulators.dataset, 'tinyco'));
    expect(slept).toEqual([7_000]);
  });
});

describe('the report on a gateway that runs trusted documents only', () => {
  const harnessWith = harnessPerTest();

  it('runs by the ids of its own manifest, once TRUSTED_DOCUMENTS lists it', async () => {
    const target = await harnessWith({ env: { API_KEYS, TRUSTED_DOCUMENTS: CLI_MANIFEST, TRUSTED_DOCUMENTS_ONLY: 'true' }, clock: { now: () => REPORT_CLOCK } });
    const rows = rowsOf(reportCsv(await organizationReport(clientOf(target), 'tinyco')));
    expect(rows).toEqual(expectedRows(target.simulators.dataset, 'tinyco'));
  });

  it('says which manifest is missing when the gateway does not hold it', async () => {
    const target = await harnessWith({ env: { API_KEYS, TRUSTED_DOCUMENTS: 'examples/web/src/gql/persisted-documents.json', TRUSTED_DOCUMENTS_ONLY: 'true' } });
    await expect(organizationReport(clientOf(target), 'tinyco')).rejects.toMatchObject({ exitCode: EXIT.failed, message: expect.stringContaining(`TRUSTED_DOCUMENTS=${CLI_MANIFEST}`) });
  });
});

describe('the report CLI over HTTP', () => {
  let harness: Harness;
  let server: Server;
  let url: string;
  beforeAll(async () => {
    harness = await startHarness({ env: { API_KEYS }, clock: { now: () => REPORT_CLOCK } });
    server = createServer(harness.yoga);
    server.listen(0, '127.0.0.1');
    await once(server, 'listening');
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/graphql`;
  });
  afterAll(async () => {
    server.close();
    await harness.close();
  });

  it('writes the CSV to standard output and exits 0', async () => {
    const { code, stdout, stderr } = await runCli('report', ['--organization', 'globex'], { GATEWAY_URL: url, GATEWAY_API_KEY: reader.key });
    expect({ code, stderr }).toEqual({ code: 0, stderr: '' });
    expect(rowsOf(stdout)).toEqual(expectedRows(harness.simulators.dataset, 'globex'));
  });

  it('exits non-zero with one line on standard error: unknown organization, refused credential, unreachable gateway, usage', async () => {
    const cases: [string[], Record<string, string>, number, RegExp][] = [
      [['--organization', 'globx'], { GATEWAY_URL: url, GATEWAY_API_KEY: reader.key }, EXIT.notFound, /no member of organization "globx"; did you mean "globex"\?/],
      [['--organization', 'globex'], { GATEWAY_URL: url, GATEWAY_API_KEY: 'wrong' }, EXIT.auth, /refused the credential/],
      [['--organization', 'globex'], { GATEWAY_URL: 'http://127.0.0.1:1/graphql', GATEWAY_API_KEY: reader.key }, EXIT.unreachable, /no answer from the gateway at http:\/\/127\.0\.0\.1:1\/graphql/],
      [['--organization', 'globex'], { GATEWAY_URL: 'gateway.example' }, EXIT.usage, /GATEWAY_URL is not a URL/],
      [[], { GATEWAY_URL: url }, EXIT.usage, /--organization <name> is required/],
    ];
    for (const [args, env, exitCode, message] of cases) {
      const { code, stdout, stderr } = await runCli('report', args, env);
      expect({ code, stdout }).toEqual({ code: exitCode, stdout: '' });
      expect(stderr).toMatch(message);
      expect(stderr.trimEnd().split('\n')).toHaveLength(1);
    }
  });
});

/** The report's lines as the independent upstreams' dataset says they must be. */
function independentRows(data: IndependentDataset, organization: string, now: number): Record<string, string>[] {
  const members = data.gateUsers.filter((user) => user.organization === organization);
  return members.map((user) => {
    const token = data.gateTokens.find((candidate) => candidate.username === user.username);
    const account = data.edgeUsers.find((candidate) => candidate.username === user.username);
    const tokens = account ? (data.edgeTokens.get(account.id) ?? []) : [];
    const switchUser = data.switchItems.find((item) => item.name === user.username);
    return {
      username: user.username,
      email: user.email,
      firstName: user.profile.first_name,
      lastName: user.profile.last_name,
      role: user.profile.role,
      balanceSeconds: token ? String(Math.trunc(token._balance_seconds)) : '',
      activeAccessTokens: String(tokens.filter((candidate) => candidate.active && candidate._moments.expires.ms > now).length),
      switchOnline: String(switchUser?.is_online === 1),
    };
  });
}

describe('the report against the independent upstreams', () => {
  const INDEPENDENT_CLOCK = Date.UTC(2026, 5, 1);
  const KEYS = ['GATE_URL', 'GATE_TOKEN', 'EDGE_URL', 'EDGE_USERNAME', 'EDGE_PASSWORD', 'SWITCH_URL', 'SWITCH_TOKEN'] as const;
  let servers: ReturnType<typeof spawn>;
  let harness: Harness;
  beforeAll(async () => {
    servers = spawn(process.execPath, ['bench/independent/main.ts'], { stdio: ['ignore', 'pipe', 'inherit'] });
    const env: Record<string, string> = {};
    let buffered = '';
    await new Promise<void>((resolve, reject) => {
      servers.once('exit', () => reject(new Error('the independent upstreams exited before printing their settings')));
      servers.stdout?.on('data', (chunk) => {
        buffered += String(chunk);
        for (const line of buffered.split('\n')) {
          const match = /^([A-Z_]+)=(.*)$/.exec(line);
          if (match) env[match[1] as string] = match[2] as string;
        }
        if (KEYS.every((key) => env[key] !== undefined)) resolve();
      });
    });
    const { upstreams } = loadConfig({ ...env, AUTH_MODE: 'none' });
    harness = await startHarness({
      env: { API_KEYS },
      override: { gate: upstreams.gate, edge: upstreams.edge, switch: upstreams.switch },
      clock: { now: () => INDEPENDENT_CLOCK },
    });
  }, 60_000);
  afterAll(async () => {
    await harness?.close();
    servers?.kill('SIGTERM');
  });

  it('reports every member as the independent upstreams hold them', async () => {
    const data = buildDataset();
    for (const organization of ['stark', 'hooli']) {
      const expected = independentRows(data, organization, INDEPENDENT_CLOCK);
      expect(expected.length).toBeGreaterThan(10);
      const rows = rowsOf(reportCsv(await organizationReport(clientOf(harness), organization)));
      expect(rows).toEqual(expected);
    }
  }, 60_000);
});
