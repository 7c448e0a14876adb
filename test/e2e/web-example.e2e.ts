// examples/web as a frontend team runs it: built by its own scripts, served from another origin,
// against the gateway process started with the example's manifest and trusted documents only.
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it, onTestFinished } from 'vitest';
import { startSimulators, type Simulators } from '../../src/simulators/index.ts';
import { apiKey } from '../support/credentials.ts';
import { launchChromium, serveDirectory, startGatewayProcess, type GatewayProcess } from './support.ts';

const EXAMPLE = fileURLToPath(new URL('../../examples/web/', import.meta.url));
const run = promisify(execFile);
const key = apiKey('web-example', ['users:read', 'users:write'], 'acme');
const readOnlyKey = apiKey('web-example-reader', ['users:read'], 'acme');

let simulators: Simulators;
let app: Awaited<ReturnType<typeof serveDirectory>>;
let gateway: GatewayProcess;
let browser: Browser;

beforeAll(async () => {
  if (!existsSync(`${EXAMPLE}node_modules`)) throw new Error('examples/web is not installed: run `npm ci` in examples/web (.ci/run does).');
  simulators = await startSimulators();
  app = await serveDirectory(`${EXAMPLE}dist`);
  // The manifest the build writes, written first: the gateway loads it at start.
  await run('npm', ['run', 'codegen', '--silent'], { cwd: EXAMPLE });
  gateway = await startGatewayProcess({
    GATE_URL: simulators.gate.url,
    GATE_TOKEN: simulators.gate.token,
    EDGE_URL: simulators.edge.url,
    EDGE_USERNAME: simulators.edge.username,
    EDGE_PASSWORD: simulators.edge.password,
    SWITCH_URL: simulators.switch.url,
    SWITCH_TOKEN: simulators.switch.token,
    API_KEYS: JSON.stringify([key.entry, readOnlyKey.entry]),
    TRUSTED_DOCUMENTS: 'examples/web/src/gql/persisted-documents.json',
    TRUSTED_DOCUMENTS_ONLY: 'true',
    CORS_ORIGINS: app.origin,
    LOG_LEVEL: 'warn',
  });
  await run('npm', ['run', 'build', '--silent'], { cwd: EXAMPLE, env: { ...process.env, VITE_GATEWAY_URL: gateway.url } });
  browser = await launchChromium();
}, 180_000);

afterAll(async () => {
  await browser?.close();
  await gateway?.stop();
  await app?.close();
  await simulators?.close();
});

/**
 * The example, opened on the first page of people with the API key typed in. When the test is
 * over, every request the page sent the gateway was a hash and variables, never a document.
 */
async function openExample(withKey = key.key): Promise<Page> {
  const page = await browser.newPage();
  const sent: string[] = [];
  page.on('request', (request) => {
    if (request.url() === gateway.url && request.method() === 'POST') sent.push(request.postData() ?? '');
  });
  onTestFinished(async () => {
    await page.close();
    expect(sent.length).toBeGreaterThan(0);
    for (const body of sent) expect(JSON.parse(body)).toEqual({ documentId: expect.stringMatching(/^sha256:[0-9a-f]{64}$/), variables: expect.any(Object) });
  });
  await page.goto(app.origin);
  await page.getByLabel('API key').fill(withKey);
  await page.getByRole('button', { name: 'Show people' }).click();
  await expect.poll(() => usernames(page), { timeout: 20_000 }).toHaveLength(10);
  return page;
}

/** The hash of the manifest's operation of this name. */
async function documentId(operationName: string): Promise<string> {
  const manifest = JSON.parse(await readFile(`${EXAMPLE}src/gql/persisted-documents.json`, 'utf8')) as Record<string, string>;
  const found = Object.entries(manifest).find(([, document]) => document.startsWith(`query ${operationName}(`));
  if (!found) throw new Error(`the manifest has no operation ${operationName}`);
  return found[0];
}

const usernames = (page: Page) => page.locator('#people-list li button').allInnerTexts();

/** The provisioning form filled in for a person of acme. */
async function fillProvisioning(page: Page, { username, password }: { username: string; password: string }) {
  const form = page.locator('#provision');
  await form.getByLabel('Username').fill(username);
  await form.getByLabel('Email').fill(`${username}@acme.com`);
  await form.getByLabel('Password').fill(password);
  await form.getByLabel('Organization').fill('acme');
  await form.getByLabel('First name').fill('Web');
  await form.getByLabel('Last name').fill('Example');
  return form;
}

/** acme's people in gate's order: the key is bound to acme. */
const acme = () => simulators.dataset.gateUsers.filter((user) => user.organization === 'acme').map((user) => user.username);

describe('examples/web in Chromium, from another origin, with trusted documents only', () => {
  it('pages through the people with Relay cursors: next, and back to the same page', async () => {
    const page = await openExample();
    expect(await usernames(page)).toEqual(acme().slice(0, 10));
    expect(await page.locator('#people-status').innerText()).toBe(`${acme().length} people`);
    expect(await page.getByRole('button', { name: 'Previous' }).isDisabled()).toBe(true);

    await page.getByRole('button', { name: 'Next' }).click();
    await expect.poll(() => usernames(page)).toEqual(acme().slice(10, 20));
    await page.getByRole('button', { name: 'Next' }).click();
    await expect.poll(() => usernames(page)).toEqual(acme().slice(20, 30));
    await page.getByRole('button', { name: 'Previous' }).click();
    await expect.poll(() => usernames(page)).toEqual(acme().slice(10, 20));
    await page.getByRole('button', { name: 'Previous' }).click();
    await expect.poll(() => usernames(page)).toEqual(acme().slice(0, 10));
    expect(await page.getByRole('button', { name: 'Previous' }).isDisabled()).toBe(true);
  });

  it('shows a person at once, and the deferred login history when edge answers it', async () => {
    const page = await openExample();
    // edge holds the history until released: the rest of the person must show without it.
    simulators.injectFault('edge', { method: 'GET', path: '/users/:id/history/', action: 'hold' });
    const person = await documentId('Person');
    const answered = page.waitForResponse((response) => response.url() === gateway.url && (response.request().postData() ?? '').includes(person));
    await page.getByRole('button', { name: 'bob', exact: true }).click();
    expect((await answered).headers()['content-type']).toMatch(/^multipart\/mixed/);
    await simulators.whenHeld('edge', 1);

    const details = page.locator('#person-details');
    await expect.poll(() => details.innerText()).toContain('Bob Builder');
    const bob = simulators.dataset.edgeUsers.find((user) => user.username === 'bob');
    const shown = await details.innerText();
    expect(shown).toContain(`Edge account\n#${bob?.id}, active, ${bob?.memberships.join(' ')}`);
    expect(shown).toMatch(/Token\n\w+, active, at most \d+ sessions/);
    expect(shown).toMatch(/Balance\n(\d+[dhms] ?)+\n/);
    expect(shown).toContain('Loading the login history…');
    expect(await page.locator('#login-history').count()).toBe(0);

    expect(await simulators.releaseHeld('edge')).toBe(1);
    const history = page.locator('#login-history li');
    await expect.poll(() => history.count()).toBe(5);
    const addresses = (await history.allInnerTexts()).map((attempt) => attempt.replace(/^.* from /, ''));
    expect(addresses).toEqual(bob?.history.slice(0, 5).map((attempt) => attempt.remote_address ?? 'an unknown address'));
    expect(await details.innerText()).not.toContain('Loading the login history…');
    await page.screenshot({ path: 'test/e2e/web-example.png', fullPage: true });
  });

  it('provisions a person, after a ValidationError that marks its field; the same username again is the ConflictError member', async () => {
    const page = await openExample();
    const form = await fillProvisioning(page, { username: 'web.example', password: 'short' });
    const outcome = page.locator('#provision-result p');

    await form.getByRole('button', { name: 'Provision' }).click();
    await expect.poll(() => outcome.getAttribute('data-outcome')).toBe('ValidationError');
    expect(await outcome.innerText()).toMatch(/^Not provisioned: password /);
    expect(await form.getByLabel('Password').getAttribute('aria-invalid')).toBe('true');
    expect(simulators.dataset.gateUsers.filter((user) => user.username === 'web.example')).toHaveLength(0);

    await form.getByLabel('Password').fill('correct horse battery');
    await form.getByRole('button', { name: 'Provision' }).click();
    await expect.poll(() => outcome.getAttribute('data-outcome')).toBe('ProvisionUserPayload');
    expect(await outcome.innerText()).toBe('Provisioned web.example.');
    expect(simulators.dataset.gateUsers.filter((user) => user.username === 'web.example')).toHaveLength(1);
    expect(simulators.dataset.edgeUsers.filter((user) => user.username === 'web.example')).toHaveLength(1);
    // The page shows whom it made.
    await expect.poll(() => page.locator('#person-details').innerText()).toContain('Web Example');

    await form.getByRole('button', { name: 'Provision' }).click();
    await expect.poll(() => outcome.getAttribute('data-outcome')).toBe('ConflictError');
    expect(await outcome.innerText()).toMatch(/^Not provisioned: /);
    expect(simulators.dataset.gateUsers.filter((user) => user.username === 'web.example')).toHaveLength(1);
  });

  it('answers a key that may not write with the ForbiddenError member, naming the scope it lacks', async () => {
    const page = await openExample(readOnlyKey.key);
    const form = await fillProvisioning(page, { username: 'web.reader', password: 'correct horse battery' });
    await form.getByRole('button', { name: 'Provision' }).click();
    const outcome = page.locator('#provision-result p');
    await expect.poll(() => outcome.getAttribute('data-outcome')).toBe('ForbiddenError');
    expect(await outcome.innerText()).toMatch(/\(it needs the users:write scope\)$/);
    expect(simulators.dataset.gateUsers.filter((user) => user.username === 'web.reader')).toHaveLength(0);
  });

  it('refuses, from the page’s origin, a query that is not in the manifest, and an id that is not', async () => {
    const page = await browser.newPage();
    onTestFinished(() => page.close());
    await page.goto(app.origin);
    const ask = (body: object) =>
      page.evaluate(
        async ({ url, apiKey, payload }) => {
          const response = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json', 'x-api-key': apiKey }, body: JSON.stringify(payload) });
          return (await response.json()) as { data?: unknown; errors?: { extensions?: { code?: string } }[] };
        },
        { url: gateway.url, apiKey: key.key, payload: body },
      );
    const raw = await ask({ query: '{ users(first: 1) { totalCount } }' });
    expect(raw.data).toBeUndefined();
    expect(raw.errors?.map((error) => error.extensions?.code)).toEqual(['PERSISTED_QUERY_ONLY']);
    const unknown = await ask({ documentId: `sha256:${'0'.repeat(64)}` });
    expect(unknown.errors?.map((error) => error.extensions?.code)).toEqual(['PERSISTED_QUERY_NOT_FOUND']);
  });

});
