// The onboarding CLI's parts on their own: how its client honours Retry-After (by an injected
// clock), how a people file is read, and that its trusted-documents manifest is current.
import { generate } from '@graphql-codegen/cli';
import { readFileSync } from 'node:fs';
import { describe, expect, it, vi } from 'vitest';
import config from '../codegen.ts';
import { columnsOf, provisionUserInputType } from '../src/cli/onboard/columns.ts';
import { GatewayClient, GatewayRefusal, NoAnswer, Stopped, type Wait } from '../src/cli/onboard/gateway-client.ts';
import { OnboardHolderDocument } from '../src/cli/onboard/generated/graphql.ts';
import { PeopleFileError, readPeopleFile } from '../src/cli/onboard/people-file.ts';
import { checkRows } from '../src/cli/onboard/rows.ts';
import { ONBOARD_MANIFEST } from './support/onboard-cli.ts';

/** A gateway that answers from a script, one answer a request, and the clock the client waits by. */
const START = Date.parse('2026-12-01T12:00:00Z');

function scripted(answers: (() => Response)[]) {
  const sent: { documentId: string; variables: unknown }[] = [];
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
        sent.push(JSON.parse(String(init?.body)) as { documentId: string; variables: unknown });
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
        return new Promise((wake, fail) => {
          sleepers.push({ ms, wake, fail });
          signal?.addEventListener('abort', () => fail(signal.reason), { once: true });
        });
      },
    });
  return { client, sent, slept, sleepers, waits, advance: (ms: number) => (now += ms) };
}

const json = (status: number, body: unknown, headers: Record<string, string> = {}) => () =>
  new Response(JSON.stringify(body), { status, headers: { 'content-type': 'application/json', ...headers } });
const HOLDER = { data: { user: { username: 'ada.l', organization: 'acme' } } };
const refused = (code: string) => ({ errors: [{ message: 'not now', extensions: { code } }] });
const ask = (client: GatewayClient, signal?: AbortSignal) =>
  client.run(OnboardHolderDocument, { username: 'ada.l' }, { label: 'who holds ada.l', repeatable: true, signal });

describe('the onboarding client', () => {
  it('sends each operation by its documentId alone, with the API key', async () => {
    const gateway = scripted([json(200, HOLDER)]);
    expect(await ask(gateway.client())).toEqual({ data: HOLDER.data, errors: [] });
    expect(gateway.sent).toEqual([{ documentId: OnboardHolderDocument.__meta__?.['hash'], variables: { username: 'ada.l' } }]);
    expect(gateway.sent[0]?.documentId).toMatch(/^sha256:[0-9a-f]{64}$/);
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
    expect((await ask(gateway.client())).data).toEqual(HOLDER.data);
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
    expect(gateway.sent).toHaveLength(1);
  });

  it('gives up after maxAttempts refusals, and takes any other refusal as final', async () => {
    const limited = scripted([json(429, refused('RATE_LIMITED')), json(429, refused('RATE_LIMITED'))]);
    await expect(ask(limited.client({ maxAttempts: 2 }))).rejects.toThrow(new GatewayRefusal(429, refused('RATE_LIMITED').errors));
    const unknown = scripted([json(404, { errors: [{ message: 'PersistedQueryNotFound', extensions: { code: 'PERSISTED_QUERY_NOT_FOUND' } }] })]);
    await expect(ask(unknown.client())).rejects.toMatchObject({ status: 404, code: 'PERSISTED_QUERY_NOT_FOUND' });
    expect(unknown.sent).toHaveLength(1);
  });

  it('sends a request that got no answer again only when repeating it is harmless', async () => {
    const lost = () => {
      throw new TypeError('fetch failed');
    };
    const repeatable = scripted([lost, json(200, HOLDER)]);
    expect((await ask(repeatable.client())).data).toEqual(HOLDER.data);
    const once = scripted([lost]);
    const client = once.client();
    await expect(client.run(OnboardHolderDocument, { username: 'ada.l' }, { label: 'a create', repeatable: false })).rejects.toBeInstanceOf(NoAnswer);
    expect(once.sent).toHaveLength(1);
  });
});

describe('a people file', () => {
  const type = provisionUserInputType();
  const columns = columnsOf(type);

  it('has the fields of ProvisionUserInput as columns, nested ones by their path, without those the CLI sets', () => {
    expect(columns.map((column) => column.name)).toEqual(expect.arrayContaining(['username', 'email', 'password', 'edge', 'edge.memberships', 'edge.accessTokenTitle', 'initialBalanceSeconds']));
    expect(columns.map((column) => column.name)).not.toContain('idempotencyKey');
    expect(columns.map((column) => column.name)).not.toContain('newOrganization');
  });

  it('names rows by the line they start on, CRLF and cells over several lines alike', () => {
    const text = 'username,email,organization,lastName\r\n\r\nada.l,ada@acme.test,acme,"Love\r\nlace"\r\nbob.x,bob@acme.test,acme,X\r\nshort,row\r\n';
    const file = readPeopleFile(text, columns);
    expect(file.rows.map((row) => [row.line, row.cells.get('username')])).toEqual([
      [3, 'ada.l'],
      [5, 'bob.x'],
    ]);
    expect(file.problems).toEqual([{ line: 6, message: 'has 2 cells where the header has 4' }]);
  });

  it('refuses a header with an unknown or repeated column, or without a column every row needs', () => {
    const misspelt = () => readPeopleFile('username,emial,organization\nada,a@b.c,acme\n', columns);
    expect(misspelt).toThrow(PeopleFileError);
    expect(misspelt).toThrow(/^line 1: unknown column "emial"; no column "email", which every row needs\. The columns are the fields of ProvisionUserInput: /);
    expect(() => readPeopleFile('username,email,email,organization\n', columns)).toThrow(/column "email" is given twice/);
  });

  it('checks rows by the gateway`s rules, GraphQL`s Int among them, and decodes lists and JSON', () => {
    const text = [
      'username,email,organization,initialBalanceSeconds,isActive,preferences,edge.memberships,firstName,lastName',
      'ada.l,ada@acme.test,acme,3600,true,"{""theme"":""dark""}",WHITE | GREEN,Ada,Lovelace',
      'big.one,big@acme.test,acme,3000000000,maybe,[1],,,',
    ].join('\n');
    const checked = checkRows(readPeopleFile(text, columns).rows, columns, type, false);
    expect(checked.valid.map((row) => row.input)).toEqual([
      expect.objectContaining({
        username: 'ada.l',
        initialBalanceSeconds: 3600,
        isActive: true,
        preferences: { theme: 'dark' },
        edge: { memberships: ['WHITE', 'GREEN'] },
        idempotencyKey: expect.stringMatching(/^onboard-[0-9a-f]{64}$/),
      }),
    ]);
    expect(checked.invalid).toEqual([
      {
        line: 3,
        username: 'big.one',
        problems: [
          { line: 3, column: 'isActive', message: 'must be true or false' },
          { line: 3, column: 'initialBalanceSeconds', message: 'Int cannot represent non 32-bit signed integer value: 3000000000' },
        ],
      },
    ]);
  });

  it('derives the idempotency key from what the row asks for, never from its password', () => {
    const header = 'username,email,organization,password';
    const keyOf = (row: string) => checkRows(readPeopleFile(`${header}\n${row}\n`, columns).rows, columns, type, false).valid[0]?.input.idempotencyKey;
    expect(keyOf('ada.l,ada@acme.test,acme,first-password')).toBe(keyOf('ada.l,ada@acme.test,acme,other-password'));
    expect(keyOf('ada.l,ada@acme.test,acme,first-password')).not.toBe(keyOf('ada.l,ada.l@acme.test,acme,first-password'));
  });
});

describe('the onboarding CLI`s trusted documents', () => {
  it('are current: codegen writes the committed manifest and types from src/cli/onboard/operations.graphql', async () => {
    const output = 'src/cli/onboard/generated/';
    const generated = await generate({ ...config, silent: true, generates: { [output]: config.generates[output]! } }, false);
    const files = generated as { filename: string; content: string }[];
    expect(files.length).toBeGreaterThan(0);
    for (const { filename, content } of files) expect(readFileSync(filename, 'utf8'), `${filename} is stale: run npm run codegen`).toBe(content);
    expect(files.map((file) => file.filename)).toContain(`${output}persisted-documents.json`);
    expect(Object.keys(JSON.parse(readFileSync(ONBOARD_MANIFEST, 'utf8')) as object)).toHaveLength(12);
  }, 60_000);
});
