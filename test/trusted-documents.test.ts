// Trusted documents: manifests as graphql-codegen's client preset writes them, named by id.
import { generate } from '@graphql-codegen/cli';
import { createHash } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { printSchema } from 'graphql';
import { meros } from 'meros/browser';
import type { DestinationStream } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { schema } from '../src/schema/index.ts';
import { ConfigError, loadConfig } from '../src/server/config.ts';
import { startGateway, type RunningGateway } from '../src/server/gateway.ts';
import { CSRF_HEADER } from '../src/server/plugins/use-csrf-prevention.ts';
import { harnessPerTest, startHarness, type Harness } from './support/harness.ts';
import { person } from './support/people.ts';

const PERSON = 'query Person($username: String!) { user(username: $username) { username ...Names } }\nfragment Names on User { firstName lastName }';
const PEOPLE = 'query People { users(first: 2) { edges { node { username } } } }';
const PROVISION = 'mutation Provision($input: ProvisionUserInput!) { provisionUser(input: $input) { __typename ... on ProvisionUserPayload { user { username } } } }';

const directory = mkdtempSync(join(tmpdir(), 'trusted-documents-'));
afterAll(() => rmSync(directory, { recursive: true, force: true }));

type Manifest = Record<string, string>;
let manifestPath: string;
let manifest: Manifest;

/** The id codegen gave the document whose operation this is (`sha256:<hex>`). */
const idOf = (operation: string) => {
  const entry = Object.entries(manifest).find(([, text]) => text.includes(operation));
  if (!entry) throw new Error(`no document of ${operation}`);
  return entry[0];
};

/** A manifest of our own, as codegen would write it for these texts. */
function writeManifest(name: string, texts: string[]): string {
  const path = join(directory, name);
  writeFileSync(path, JSON.stringify(Object.fromEntries(texts.map((text) => [`sha256:${createHash('sha256').update(text).digest('hex')}`, text]))));
  return path;
}

beforeAll(async () => {
  // The manifest as graphql-codegen's client preset writes it, from these operations.
  writeFileSync(join(directory, 'operations.graphql'), [PERSON, PEOPLE, PROVISION].join('\n'));
  await generate(
    {
      schema: printSchema(schema),
      documents: join(directory, 'operations.graphql'),
      silent: true,
      generates: { [join(directory, 'generated/')]: { preset: 'client', presetConfig: { persistedDocuments: true, fragmentMasking: false } } },
    },
    true,
  );
  manifestPath = join(directory, 'generated/persisted-documents.json');
  manifest = JSON.parse(readFileSync(manifestPath, 'utf8')) as Manifest;
}, 60_000);

type Loose = { data?: Record<string, unknown> | null; errors?: { message: string; extensions?: Record<string, unknown> }[] };

const ACCEPT = { accept: 'application/graphql-response+json' };

async function post(harness: Harness, body: Record<string, unknown>, headers: Record<string, string> = ACCEPT) {
  const response = await harness.yoga.fetch('http://gateway.test/graphql', { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body: JSON.stringify(body) });
  return { status: response.status, body: (await response.json()) as Loose };
}

async function get(harness: Harness, params: Record<string, unknown>) {
  const search = new URLSearchParams(Object.entries(params).map(([key, value]) => [key, typeof value === 'string' ? value : JSON.stringify(value)]));
  const response = await harness.yoga.fetch(`http://gateway.test/graphql?${search}`, { headers: { ...ACCEPT, [CSRF_HEADER]: '1' } });
  return { status: response.status, body: (await response.json()) as Loose };
}

const hexOf = (id: string) => id.replace(/^sha256:/, '');

describe('trusted documents named by id', () => {
  const harnessWith = harnessPerTest();
  const trusted = (env: NodeJS.ProcessEnv = {}) => harnessWith({ env: { TRUSTED_DOCUMENTS: manifestPath, ...env } });

  it('reads the manifest graphql-codegen`s client preset writes: sha256-named documents', () => {
    expect(Object.keys(manifest)).toHaveLength(3);
    for (const [id, text] of Object.entries(manifest)) expect(id).toBe(`sha256:${createHash('sha256').update(text).digest('hex')}`);
  });

  it('runs a document named by documentId, by POST and GET, with and without the sha256: prefix', async () => {
    const harness = await trusted();
    const expected = { user: { username: 'bob', firstName: expect.any(String), lastName: expect.any(String) } };
    for (const documentId of [idOf('query Person'), hexOf(idOf('query Person'))]) {
      const viaPost = await post(harness, { documentId, variables: { username: 'bob' } });
      expect(viaPost).toEqual({ status: 200, body: { data: expected } });
      const viaGet = await get(harness, { documentId, variables: { username: 'bob' } });
      expect(viaGet).toEqual({ status: 200, body: { data: expected } });
    }
  });

  it('runs a document named by Apollo`s persisted query extension, by POST and GET', async () => {
    const harness = await trusted();
    const extensions = { persistedQuery: { version: 1, sha256Hash: hexOf(idOf('query People')) } };
    for (const answer of [await post(harness, { extensions }), await get(harness, { extensions })]) {
      expect(answer.status).toBe(200);
      expect(answer.body.data?.['users']).toEqual({ edges: [{ node: { username: expect.any(String) } }, { node: { username: expect.any(String) } }] });
    }
  });

  it('answers an unknown id PERSISTED_QUERY_NOT_FOUND: 404 for graphql-response+json, 200 for application/json', async () => {
    const harness = await trusted();
    const unknown = `sha256:${'0'.repeat(64)}`;
    const strict = await post(harness, { documentId: unknown });
    expect(strict.status).toBe(404);
    expect(strict.body.data).toBeUndefined();
    expect(strict.body.errors?.map((error) => error.extensions?.['code'])).toEqual(['PERSISTED_QUERY_NOT_FOUND']);
    const legacy = await post(harness, { extensions: { persistedQuery: { version: 1, sha256Hash: 'not-a-hash' } } }, { accept: 'application/json' });
    expect(legacy.status).toBe(200);
    expect(legacy.body.errors?.map((error) => error.extensions?.['code'])).toEqual(['PERSISTED_QUERY_NOT_FOUND']);
  });

  it('runs a trusted mutation by POST, and refuses it by GET', async () => {
    const harness = await trusted({ TRUSTED_DOCUMENTS_ONLY: 'true' });
    const provisioned = await post(harness, { documentId: idOf('mutation Provision'), variables: { input: person('trusted.writer') } });
    expect(provisioned).toEqual({ status: 200, body: { data: { provisionUser: { __typename: 'ProvisionUserPayload', user: { username: 'trusted.writer' } } } } });
    expect(harness.simulators.dataset.gateUsers.some((user) => user.username === 'trusted.writer')).toBe(true);
    const viaGet = await get(harness, { documentId: idOf('mutation Provision'), variables: { input: person('trusted.get') } });
    expect(viaGet.status).toBe(405);
    expect(harness.simulators.dataset.gateUsers.some((user) => user.username === 'trusted.get')).toBe(false);
  });

  it('runs the operation operationName names, of a document with several', async () => {
    const text = 'query First { user(username: "bob") { username } } query Second { second: user(username: "bob") { username } }';
    const harness = await harnessWith({ env: { TRUSTED_DOCUMENTS: writeManifest('two-operations.json', [text]) } });
    const documentId = createHash('sha256').update(text).digest('hex');
    expect((await post(harness, { documentId, operationName: 'Second' })).body).toEqual({ data: { second: { username: 'bob' } } });
    expect((await post(harness, { documentId, operationName: 'First' })).body).toEqual({ data: { user: { username: 'bob' } } });
    const unnamed = await post(harness, { documentId });
    expect(unnamed.body.errors?.map((error) => error.extensions?.['code'])).toEqual(['OPERATION_RESOLUTION_FAILURE']);
  });

  it('answers a trusted document that defers a fragment in parts, as it answers the same text', async () => {
    const text = 'query Deferred { user(username: "bob") { username ... @defer { firstName } } }';
    const harness = await harnessWith({ env: { TRUSTED_DOCUMENTS: writeManifest('deferred.json', [text]), TRUSTED_DOCUMENTS_ONLY: 'true' } });
    const response = await harness.yoga.fetch('http://gateway.test/graphql', {
      method: 'POST',
      headers: { 'content-type': 'application/json', accept: 'multipart/mixed' },
      body: JSON.stringify({ documentId: createHash('sha256').update(text).digest('hex') }),
    });
    const parts = await meros<Record<string, unknown>>(response);
    if (parts instanceof Response) throw new Error(`not multipart: ${response.headers.get('content-type')}`);
    const bodies: unknown[] = [];
    for await (const part of parts) bodies.push(part.body);
    expect(bodies).toEqual([
      { data: { user: { username: 'bob' } }, hasNext: true },
      { incremental: [{ data: { firstName: 'Bob' }, path: ['user'] }], hasNext: false },
    ]);
  });

  it('refuses a request that sends both a query and a documentId, or neither', async () => {
    const harness = await trusted();
    for (const body of [{ query: PEOPLE, documentId: idOf('query People') }, { variables: {} }]) {
      const refused = await post(harness, body);
      expect(refused.status).toBe(400);
      expect(refused.body.errors?.map((error) => error.extensions?.['code'])).toEqual(['BAD_REQUEST']);
    }
  });
});

describe('documents sent as text', () => {
  const harnessWith = harnessPerTest();
  const raw = { query: '{ user(username: "bob") { username } }' };

  it('run beside the trusted ones unless TRUSTED_DOCUMENTS_ONLY=true', async () => {
    const harness = await harnessWith({ env: { TRUSTED_DOCUMENTS: manifestPath } });
    expect(await post(harness, raw)).toEqual({ status: 200, body: { data: { user: { username: 'bob' } } } });
  });

  it('are refused with TRUSTED_DOCUMENTS_ONLY=true: PERSISTED_QUERY_ONLY, 400, nothing run', async () => {
    const harness = await harnessWith({ env: { TRUSTED_DOCUMENTS: manifestPath, TRUSTED_DOCUMENTS_ONLY: 'true' } });
    const before = harness.requests().length;
    const refused = await post(harness, raw);
    expect(refused.status).toBe(400);
    expect(refused.body.data).toBeUndefined();
    expect(refused.body.errors?.map((error) => error.extensions?.['code'])).toEqual(['PERSISTED_QUERY_ONLY']);
    expect(harness.requests().length).toBe(before);
    // Even a text that is a trusted document's, and even with Apollo's hash beside it.
    const text = manifest[idOf('query People')] as string;
    const withHash = await post(harness, { query: text, extensions: { persistedQuery: { version: 1, sha256Hash: hexOf(idOf('query People')) } } });
    expect(withHash.body.errors?.map((error) => error.extensions?.['code'])).toEqual(['PERSISTED_QUERY_ONLY']);
  });

  it('are refused in production once a manifest is configured, unless TRUSTED_DOCUMENTS_ONLY=false', async () => {
    const production = await harnessWith({ env: { NODE_ENV: 'production', TRUSTED_DOCUMENTS: manifestPath } });
    expect((await post(production, raw)).body.errors?.map((error) => error.extensions?.['code'])).toEqual(['PERSISTED_QUERY_ONLY']);
    expect((await post(production, { documentId: idOf('query People') })).status).toBe(200);
    const open = await harnessWith({ env: { NODE_ENV: 'production', TRUSTED_DOCUMENTS: manifestPath, TRUSTED_DOCUMENTS_ONLY: 'false' } });
    expect(await post(open, raw)).toEqual({ status: 200, body: { data: { user: { username: 'bob' } } } });
    // Without a manifest, production runs what it is sent, as before.
    const none = await harnessWith({ env: { NODE_ENV: 'production' } });
    expect((await post(none, raw)).status).toBe(200);
  });
});

describe('TRUSTED_DOCUMENTS and TRUSTED_DOCUMENTS_ONLY', () => {
  it('load every manifest listed, comma-separated; only trusted documents run in production unless TRUSTED_DOCUMENTS_ONLY=false', () => {
    const other = writeManifest('other.json', ['{ __typename }']);
    const config = loadConfig({ TRUSTED_DOCUMENTS: `${manifestPath}, ${other}` });
    expect(config.trustedDocuments?.manifest.size).toBe(4);
    expect(config.trustedDocuments?.only).toBe(false);
    expect(loadConfig({ TRUSTED_DOCUMENTS: manifestPath, TRUSTED_DOCUMENTS_ONLY: 'true' }).trustedDocuments?.only).toBe(true);
    expect(loadConfig({ TRUSTED_DOCUMENTS: manifestPath, NODE_ENV: 'production' }).trustedDocuments?.only).toBe(true);
    expect(loadConfig({ TRUSTED_DOCUMENTS: manifestPath, NODE_ENV: 'production', TRUSTED_DOCUMENTS_ONLY: 'false' }).trustedDocuments?.only).toBe(false);
    expect(loadConfig({}).trustedDocuments).toBeUndefined();
  });

  it('name a manifest that cannot be read, is not JSON, or is not a sha256-named object of documents', () => {
    const missing = join(directory, 'missing.json');
    const notJson = join(directory, 'not-json.json');
    writeFileSync(notJson, '{"sha256:');
    const list = join(directory, 'list.json');
    writeFileSync(list, '["{ __typename }"]');
    const sha1 = join(directory, 'sha1.json');
    writeFileSync(sha1, JSON.stringify({ [createHash('sha1').update('{ __typename }').digest('hex')]: '{ __typename }' }));
    const edited = join(directory, 'edited.json');
    writeFileSync(edited, JSON.stringify({ [`sha256:${createHash('sha256').update('{ __typename }').digest('hex')}`]: '{ __typename __typename }' }));
    const problem = (path: string) => {
      try {
        loadConfig({ TRUSTED_DOCUMENTS: path });
        return 'loaded';
      } catch (error) {
        return (error as ConfigError).message;
      }
    };
    expect(problem(missing)).toBe(`Invalid configuration:\n  TRUSTED_DOCUMENTS ${missing} cannot be read`);
    expect(problem(notJson)).toBe(`Invalid configuration:\n  TRUSTED_DOCUMENTS ${notJson} is not JSON`);
    expect(problem(list)).toMatch(/TRUSTED_DOCUMENTS \S+list\.json must be a JSON object of \{"sha256:<hash>": "<document>"\}/);
    expect(problem(sha1)).toMatch(/TRUSTED_DOCUMENTS \S+sha1\.json entry "[0-9a-f]{40}" is not named by a sha256 hash/);
    expect(problem(edited)).toMatch(/TRUSTED_DOCUMENTS \S+edited\.json entry sha256:[0-9a-f]{64} is not the sha256 of its document/);
    expect(problem(`${manifestPath},`)).toMatch(/TRUSTED_DOCUMENTS\.1 must list paths, comma-separated, none empty/);
  });

  it('TRUSTED_DOCUMENTS_ONLY needs a manifest: it would refuse every document', () => {
    expect(() => loadConfig({ TRUSTED_DOCUMENTS_ONLY: 'true' })).toThrow(/TRUSTED_DOCUMENTS_ONLY needs TRUSTED_DOCUMENTS/);
    expect(() => loadConfig({ TRUSTED_DOCUMENTS_ONLY: 'yes', TRUSTED_DOCUMENTS: manifestPath })).toThrow(/TRUSTED_DOCUMENTS_ONLY must be "true" or "false"/);
  });
});

describe('a manifest the gateway cannot trust refuses the start', () => {
  /** The problem start-up names, from loading the settings and building the gateway. */
  async function refusal(env: NodeJS.ProcessEnv): Promise<string> {
    const started = startHarness({ env }).then(
      async (harness) => {
        await harness.close();
        return 'started';
      },
      (error: unknown) => (error instanceof ConfigError ? error.message : `not a ConfigError: ${String(error)}`),
    );
    return started;
  }

  it('names a document that does not validate against the schema by its hash, with its first error', async () => {
    const bad = '{ user(username: "bob") { nickname } }';
    const path = writeManifest('invalid.json', [PEOPLE, bad]);
    const hash = createHash('sha256').update(bad).digest('hex');
    expect(await refusal({ TRUSTED_DOCUMENTS: path })).toBe(
      `Invalid configuration:\n  TRUSTED_DOCUMENTS ${path}: document sha256:${hash} does not validate: Cannot query field "nickname" on type "User". Did you mean "firstName", "lastName", or "username"?`,
    );
  });

  it('names a document past the query limits or the cost a query may have', async () => {
    const deep = '{ users(first: 1) { edges { node { token { user { token { user { username } } } } } } } }';
    const aliased = '{ a: user(username: "a") { username } b: user(username: "b") { username } c: user(username: "c") { username } }';
    const costly = '{ users(first: 100) { edges { node { token { isActive } extra { id } } } } }';
    const cases: [string, NodeJS.ProcessEnv, RegExp][] = [
      [deep, { QUERY_MAX_DEPTH: '5' }, /does not validate: Query depth limit of 5 exceeded/],
      [aliased, { QUERY_MAX_ALIASES: '2' }, /does not validate: Aliases limit of 2 exceeded/],
      [aliased, { QUERY_MAX_TOKENS: '20' }, /does not parse: Token limit of 20 exceeded/],
      ['{ user(username: "a") @include(if: true) { username @skip(if: false) } }', { QUERY_MAX_DIRECTIVES: '1' }, /does not validate: Directives limit of 1 exceeded/],
      [costly, { MAX_UPSTREAM_CALLS: '50' }, /operation \(anonymous\) could make up to \d+ upstream calls with its variables left out, more than the 50/],
    ];
    for (const [text, env, problem] of cases) {
      const path = writeManifest('limits.json', [text]);
      const message = await refusal({ TRUSTED_DOCUMENTS: path, ...env });
      expect(message).toContain(`document sha256:${createHash('sha256').update(text).digest('hex')} `);
      expect(message).toMatch(problem);
    }
  });

  it('names a document that introspects where introspection is off', async () => {
    const path = writeManifest('introspection.json', ['{ __schema { queryType { name } } }']);
    expect(await refusal({ TRUSTED_DOCUMENTS: path, INTROSPECTION: 'false' })).toMatch(/does not validate: GraphQL introspection has been disabled/);
    expect(await refusal({ TRUSTED_DOCUMENTS: path })).toBe('started');
  });
});

/** Collects the JSON lines a gateway writes. */
function lineCollector() {
  const lines: Record<string, unknown>[] = [];
  const destination: DestinationStream = { write: (line: string) => void lines.push(JSON.parse(line) as Record<string, unknown>) };
  return { lines, destination };
}

describe('over HTTP: logs and metrics name the trusted document', () => {
  let gateway: RunningGateway;
  const log = lineCollector();
  beforeAll(async () => {
    gateway = await startGateway(loadConfig({ HOST: '127.0.0.1', PORT: '0', TRUSTED_DOCUMENTS: manifestPath }), { logDestination: log.destination });
  });
  afterAll(() => gateway.close());

  const send = (body: Record<string, unknown>, requestId: string) =>
    fetch(gateway.url, { method: 'POST', headers: { 'content-type': 'application/json', ...ACCEPT, 'x-request-id': requestId }, body: JSON.stringify(body) });
  const requestLine = (requestId: string) => log.lines.find((line) => line['logger'] === 'request' && line['requestId'] === requestId);

  it('the request log line carries documentId: the trusted one, an unknown one, none for a text', async () => {
    const people = idOf('query People');
    expect((await send({ documentId: hexOf(people) }, 'trusted-1')).status).toBe(200);
    const unknown = `sha256:${'a'.repeat(64)}`;
    expect((await send({ documentId: unknown }, 'unknown-1')).status).toBe(404);
    expect((await send({ query: PEOPLE }, 'raw-1')).status).toBe(200);
    expect(requestLine('trusted-1')).toMatchObject({ documentId: people, operation: 'People', outcome: 'ok', status: 200 });
    expect(requestLine('unknown-1')).toMatchObject({ documentId: unknown, outcome: 'refused', status: 404, errorCodes: ['PERSISTED_QUERY_NOT_FOUND'] });
    expect(requestLine('raw-1')).toMatchObject({ operation: 'People', outcome: 'ok' });
    expect(requestLine('raw-1')).not.toHaveProperty('documentId');
  });

  it('graphql_trusted_document_requests_total counts trusted documents by id, and nothing else', async () => {
    const people = idOf('query People');
    await send({ documentId: people }, 'trusted-2');
    await send({ documentId: `sha256:${'b'.repeat(64)}` }, 'unknown-2');
    await send({ query: PEOPLE }, 'raw-2');
    const metrics = await (await fetch(gateway.url.replace('/graphql', '/metrics'))).text();
    const series = metrics.split('\n').filter((line) => line.startsWith('graphql_trusted_document_requests_total{'));
    expect(series).toEqual([`graphql_trusted_document_requests_total{document="${people}",outcome="ok"} 2`]);
  });
});
