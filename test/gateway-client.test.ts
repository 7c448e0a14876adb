// The command-line tools' one client of the gateway: how it sends a document (by id, then as text
// to a gateway that does not hold it), how it honours Retry-After (by an injected clock), how it
// fails, what it reads from the environment, and that the tools' one manifest is current.
import { generate } from '@graphql-codegen/cli';
import { readFileSync } from 'node:fs';
import { describe, expect, it, vi } from 'vitest';
import config, { CLI_GENERATED } from '../codegen.ts';
import { OnboardHolderDocument, ReportOrganizationsDocument } from '../src/cli/generated/graphql.ts';
import {
  CLI_MANIFEST,
  CliFailure,
  DEFAULT_GATEWAY_URL,
  EXIT,
  GatewayClient,
  gatewayClientOptions,
  GatewayRefusal,
  NoAnswer,
  Stopped,
  type Wait,
} from '../src/cli/gateway-client.ts';
import { apiKey } from './support/credentials.ts';
import { harnessPerTest, type Harness } from './support/harness.ts';

/** A gateway that answers from a script, one answer a request, and the clock the client waits by. */
const START = Date.parse('2026-12-01T12:00:00Z');

type Body = { documentId?: string; query?: string; variables: unknown };

function scripted(answers: (() => Response)[]) {
  const sent: Body[] = [];
  const slept: number[] = [];
  const sleepers: { ms: number; wake: () => void; fail: (error: unknown) => void }[] = [];
  let now = START;
  const waits: Wait[] = [];
  const client = (options: { held?: boolean; maxAttempts?: number } = {}) =>
    new GatewayClient({
      url: 'http://gateway.test/graphql',
      apiKey: 'the-key',
      now: () => now,
      onWait: (wait) => waits.push(wait),
      maxAttempts: options.maxAttempts ?? 30,
      fetch: async (_url, init) => {
        sent.push(JSON.parse(String(init.body)) as Body);
        const answer = answers.shift();
        if (!answer) throw new Error('no more answers scripted');
        return answer();
      },
      sleep: (ms, signal) => {
        slept.push(ms);
        if (!options.held) {
          now += ms;
          return Promise.resolve();
        }
        return new Promise<void>((wake, fail) => {
          sleepers.push({ ms, wake: () => wake(), fail });
          signal?.addEventListener('abort', () => fail(signal.reason), { once: true });
        });
      },
    });
  return { client, sent, slept, sleepers, waits, advance: (ms: number) => (now += ms) };
}

const json = (status: number, body: unknown, headers: Record<string, string> = {}) => () =>
  new Response(JSON.stringify(body), { status, headers: { 'content-type': 'application/json', ...headers } });
const HOLDER = { data: { user: { username: 'ada.l', organization: 'acme' } } };
const refused = (code: string, message = 'not now') => ({ errors: [{ message, extensions: { code } }] });
const HOLDER_ID = OnboardHolderDocument.__meta__?.['hash'] as string;
const byId = { documentId: HOLDER_ID, variables: { username: 'ada.l' } };
const byText = { query: OnboardHolderDocument.toString(), variables: { username: 'ada.l' } };
const ask = (client: GatewayClient, signal?: AbortSignal) => client.request(OnboardHolderDocument, { username: 'ada.l' }, { label: 'who holds ada.l', repeatable: true, signal });

describe('the tools` gateway client', () => {
  it('sends an operation by its documentId alone, with the API key', async () => {
    const gateway = scripted([json(200, HOLDER)]);
    expect(await ask(gateway.client())).toEqual(HOLDER.data);
    expect(gateway.sent).toEqual([byId]);
    expect(HOLDER_ID).toMatch(/^sha256:[0-9a-f]{64}$/);
  });

  it('sends the text to a gateway that does not hold the id, from then on; to one that takes no ids at all too', async () => {
    const notFound = scripted([json(404, refused('PERSISTED_QUERY_NOT_FOUND')), json(200, HOLDER), json(200, HOLDER)]);
    const client = notFound.client();
    expect(await ask(client)).toEqual(HOLDER.data);
    expect(await ask(client)).toEqual(HOLDER.data);
    expect(notFound.sent).toEqual([byId, byText, byText]);
    // A gateway started without TRUSTED_DOCUMENTS: `Unexpected parameter "documentId"`.
    const noManifest = scripted([json(400, refused('BAD_REQUEST', 'Unexpected parameter "documentId" in the request body.')), json(200, HOLDER)]);
    expect(await ask(noManifest.client())).toEqual(HOLDER.data);
    expect(noManifest.sent).toEqual([byId, byText]);
  });

  it('names the manifest to add when the gateway holds neither the id nor takes the text', async () => {
    const gateway = scripted([json(404, refused('PERSISTED_QUERY_NOT_FOUND')), json(400, refused('PERSISTED_QUERY_ONLY'))]);
    const failure = await ask(gateway.client()).catch((error: unknown) => error);
    expect(failure).toBeInstanceOf(GatewayRefusal);
    expect(failure).toMatchObject({ exitCode: EXIT.failed, message: `who holds ada.l: the gateway runs trusted documents only and does not hold the command-line tools': start it with TRUSTED_DOCUMENTS=${CLI_MANIFEST} (beside any other manifest, comma-separated)` });
    expect(gateway.sent).toEqual([byId, byText]);
  });

  it('waits as long as Retry-After says (seconds or a date), a second when it says nothing, then sends again', async () => {
    // Read against the client's clock, which the first wait moved on by 42 s.
    const fiveSecondsAfterThat = new Date(START + 47_000).toUTCString();
    const gateway = scripted([
      json(429, refused('RATE_LIMITED'), { 'retry-after': '42' }),
      json(503, refused('OVERLOADED'), { 'retry-after': fiveSecondsAfterThat }),
      json(429, refused('TOO_MANY_REQUESTS_IN_FLIGHT')),
      json(200, HOLDER),
    ]);
    expect(await ask(gateway.client())).toEqual(HOLDER.data);
    expect(gateway.slept).toEqual([42_000, 5_000, 1_000]);
    expect(gateway.waits.map(({ status, code, waitMs }) => [status, code, waitMs])).toEqual([
      [429, 'RATE_LIMITED', 42_000],
      [503, 'OVERLOADED', 5_000],
      [429, 'TOO_MANY_REQUESTS_IN_FLIGHT', 1_000],
    ]);
    expect(gateway.sent).toHaveLength(4);
  });

  it('holds every request back while the gateway asked for a pause, not only the one refused', async () => {
    const gateway = scripted([json(429, refused('RATE_LIMITED'), { 'retry-after': '3' }), json(200, HOLDER), json(200, HOLDER)]);
    const client = gateway.client({ held: true });
    const first = ask(client);
    await vi.waitFor(() => expect(gateway.sleepers).toHaveLength(1));
    const second = ask(client);
    await vi.waitFor(() => expect(gateway.sleepers).toHaveLength(2));
    // Neither went out again while paused: only the refused request was sent.
    expect(gateway.sent).toHaveLength(1);
    expect(gateway.sleepers.map(({ ms }) => ms)).toEqual([3_000, 3_000]);
    gateway.advance(3_000);
    for (const sleeper of gateway.sleepers) sleeper.wake();
    await Promise.all([first, second]);
    expect(gateway.sent).toHaveLength(3);
  });

  it('stops waiting when told to stop, without sending again', async () => {
    const gateway = scripted([json(429, refused('RATE_LIMITED'), { 'retry-after': '30' })]);
    const stop = new AbortController();
    const asked = ask(gateway.client({ held: true }), stop.signal);
    await vi.waitFor(() => expect(gateway.sleepers).toHaveLength(1));
    stop.abort();
    await expect(asked).rejects.toBeInstanceOf(Stopped);
    await expect(asked).rejects.toMatchObject({ exitCode: EXIT.interrupted });
    expect(gateway.sent).toHaveLength(1);
  });

  it('gives up after maxAttempts refusals, and takes any other refusal as final', async () => {
    const limited = scripted([json(429, refused('RATE_LIMITED')), json(429, refused('RATE_LIMITED'))]);
    await expect(ask(limited.client({ maxAttempts: 2 }))).rejects.toThrow(new GatewayRefusal('who holds ada.l', 429, refused('RATE_LIMITED').errors));
    const invalid = scripted([json(200, refused('GRAPHQL_VALIDATION_FAILED', 'Cannot query field'))]);
    await expect(ask(invalid.client())).rejects.toMatchObject({ status: 200, code: 'GRAPHQL_VALIDATION_FAILED', exitCode: EXIT.failed });
    expect(invalid.sent).toHaveLength(1);
  });

  it('fails a refused credential with its own exit code, by HTTP status or by code', async () => {
    const unauthenticated = scripted([json(401, refused('UNAUTHENTICATED', 'Invalid API key.'))]);
    await expect(ask(unauthenticated.client())).rejects.toMatchObject({
      exitCode: EXIT.auth,
      message: 'who holds ada.l: the gateway refused the credential (401 UNAUTHENTICATED: Invalid API key.): check GATEWAY_API_KEY',
    });
    const forbidden = scripted([json(200, { data: { user: null }, errors: [{ message: 'needs users:read', extensions: { code: 'FORBIDDEN' } }] })]);
    await expect(ask(forbidden.client())).rejects.toMatchObject({ exitCode: EXIT.auth });
  });

  it('answers a write`s data with the errors beside it; a read that is whole or nothing fails on them', async () => {
    const partly = { data: { user: { username: 'ada.l', organization: null } }, errors: [{ message: 'gate is slow', path: ['user', 'organization'], extensions: { code: 'UPSTREAM_TIMEOUT' } }] };
    const gateway = scripted([json(200, partly), json(200, partly)]);
    const client = gateway.client();
    expect(await client.run(OnboardHolderDocument, { username: 'ada.l' }, { label: 'a write', repeatable: false })).toEqual(partly);
    await expect(ask(client)).rejects.toMatchObject({ message: 'who holds ada.l: the gateway answered 200 UPSTREAM_TIMEOUT: gate is slow', exitCode: EXIT.failed });
  });

  it('sends a request that got no answer again only when repeating it is harmless', async () => {
    const lost = () => {
      throw new TypeError('fetch failed', { cause: Object.assign(new Error('connect ECONNREFUSED'), { code: 'ECONNREFUSED' }) });
    };
    const repeatable = scripted([lost, json(200, HOLDER)]);
    expect(await ask(repeatable.client())).toEqual(HOLDER.data);
    expect(repeatable.slept).toEqual([1_000]);
    const once = scripted([lost]);
    const failure = await once
      .client()
      .run(OnboardHolderDocument, { username: 'ada.l' }, { label: 'a create', repeatable: false })
      .catch((error: unknown) => error);
    expect(failure).toBeInstanceOf(NoAnswer);
    expect(failure).toMatchObject({ exitCode: EXIT.unreachable, message: 'a create: no answer from the gateway at http://gateway.test/graphql (GATEWAY_URL): ECONNREFUSED' });
    expect(once.sent).toHaveLength(1);
  });
});

describe('the tools` settings', () => {
  it('read GATEWAY_URL, the local gateway by default, and GATEWAY_API_KEY', () => {
    expect(gatewayClientOptions({})).toEqual({ url: DEFAULT_GATEWAY_URL, apiKey: undefined });
    expect(gatewayClientOptions({ GATEWAY_URL: 'https://gateway.example/graphql', GATEWAY_API_KEY: 'k' })).toEqual({ url: 'https://gateway.example/graphql', apiKey: 'k' });
  });

  it('refuse a GATEWAY_URL that is no http(s) URL, as a usage failure', () => {
    for (const url of ['localhost:4000/graphql', 'gateway', 'ftp://gateway.example/graphql']) {
      const failure = (() => {
        try {
          return gatewayClientOptions({ GATEWAY_URL: url });
        } catch (error) {
          return error;
        }
      })();
      expect(failure).toBeInstanceOf(CliFailure);
      expect(failure).toMatchObject({ exitCode: EXIT.usage, message: expect.stringContaining('GATEWAY_URL') });
    }
  });
});

describe('the tools` documents on a gateway', () => {
  const harnessWith = harnessPerTest();
  const reader = apiKey('reader', ['users:read', 'admin']);
  const API_KEYS = JSON.stringify([reader.entry]);

  /** The client on `target`, and the bodies it sent. */
  function clientOf(target: Harness) {
    const sent: Body[] = [];
    const client = new GatewayClient({
      url: 'http://gateway.test/graphql',
      apiKey: reader.key,
      fetch: (url, init) => {
        sent.push(JSON.parse(String(init.body)) as Body);
        return Promise.resolve(target.yoga.fetch(url, init));
      },
    });
    return { client, sent };
  }
  const organizations = (client: GatewayClient) => client.request(ReportOrganizationsDocument, {}, { label: 'the organizations', repeatable: true });
  const ORGANIZATIONS_ID = ReportOrganizationsDocument.__meta__?.['hash'];

  it('go by id to a gateway that holds the manifest and runs trusted documents only', async () => {
    const { client, sent } = clientOf(await harnessWith({ env: { API_KEYS, TRUSTED_DOCUMENTS: CLI_MANIFEST, TRUSTED_DOCUMENTS_ONLY: 'true' } }));
    expect((await organizations(client)).organizations?.map((organization) => organization.name)).toContain('acme');
    expect(sent).toEqual([{ documentId: ORGANIZATIONS_ID, variables: {} }]);
  });

  it('go as text to a gateway without any manifest (npm start as it comes), and to one without this one', async () => {
    for (const env of [{ API_KEYS }, { API_KEYS, TRUSTED_DOCUMENTS: 'examples/web/src/gql/persisted-documents.json' }]) {
      const { client, sent } = clientOf(await harnessWith({ env }));
      expect((await organizations(client)).organizations?.map((organization) => organization.name)).toContain('acme');
      expect((await organizations(client)).organizations?.map((organization) => organization.name)).toContain('acme');
      expect(sent.map((body) => (body.documentId ? 'id' : 'text'))).toEqual(['id', 'text', 'text']);
    }
  });

  it('are one manifest, current: what codegen writes from every .graphql file under src/cli/', async () => {
    const outputs: { filename: string; content: string }[] = await generate({ ...config, silent: true, generates: { [CLI_GENERATED]: config.generates[CLI_GENERATED]! } }, false);
    expect(outputs.map((output) => output.filename)).toContain(`${CLI_GENERATED}persisted-documents.json`);
    for (const { filename, content } of outputs) expect(readFileSync(filename, 'utf8'), `${filename} is stale: run npm run codegen`).toBe(content);
    const operations = Object.values(JSON.parse(readFileSync(CLI_MANIFEST, 'utf8')) as Record<string, string>).map((text) => /\b(?:query|mutation) (\w+)/.exec(text)?.[1]);
    // The report's four reads and the onboarding's two reads and ten writes.
    expect(operations.filter((name) => name?.startsWith('Report'))).toHaveLength(4);
    expect(operations.filter((name) => name?.startsWith('Onboard'))).toHaveLength(12);
  }, 60_000);
});
