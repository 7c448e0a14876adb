import { existsSync } from 'node:fs';
import { chromium, type Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/server/config.ts';
import { startGateway, type RunningGateway } from '../../src/server/gateway.ts';

const CHROMIUM = process.env['CHROMIUM_PATH'] ?? '/usr/bin/chromium';

let gateway: RunningGateway;
let browser: Browser;
beforeAll(async () => {
  if (!existsSync(CHROMIUM)) {
    throw new Error(`No Chromium at ${CHROMIUM}: install Debian's (apt-get install -y chromium) or set CHROMIUM_PATH.`);
  }
  gateway = await startGateway(loadConfig({ HOST: '127.0.0.1', PORT: '0' }));
  browser = await chromium.launch({
    executablePath: CHROMIUM,
    args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
});
afterAll(async () => {
  await browser?.close();
  await gateway?.close();
});

describe('GraphiQL in a browser', () => {
  it('opens on the example query and runs it against the embedded simulators', async () => {
    const page = await browser.newPage();
    await page.goto(gateway.url);
    // Monaco renders spaces as no-break spaces.
    const editorText = async () => (await page.locator('.graphiql-query-editor').innerText()).replaceAll('\u00a0', ' ');
    await expect.poll(editorText, { timeout: 20_000 }).toContain('query PeopleOverview');
    // GraphiQL introspects on load: wait for the answer to the example query itself.
    const answered = page.waitForResponse((response) => response.url() === gateway.url && (response.request().postData() ?? '').includes('PeopleOverview'));
    await page.locator('.graphiql-execute-button').click();
    const response = await answered;
    const body = (await response.json()) as { data?: { users?: { edges: unknown[] } }; errors?: unknown };
    expect(body.errors).toBeUndefined();
    expect(body.data?.users?.edges).toHaveLength(5);
    // Monaco renders only the lines in view: the top of the answer is what a person sees.
    const responseText = async () => (await page.locator('.graphiql-response').innerText()).replaceAll('\u00a0', ' ');
    await expect.poll(responseText, { timeout: 10_000 }).toContain('"totalCount"');
    await page.screenshot({ path: 'test/e2e/graphiql.png' });
  });
});
