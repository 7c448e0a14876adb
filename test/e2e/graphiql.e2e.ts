import { describe, expect, it } from 'vitest';
import { apiKey } from '../support/credentials.ts';
import { gatewayAndBrowser } from './support.ts';

const started = gatewayAndBrowser();

describe('GraphiQL in a browser', () => {
  it('opens on the example query and runs it against the embedded simulators', async () => {
    const page = await started.browser().newPage();
    await page.goto(started.gateway().url);
    // Monaco renders spaces as no-break spaces.
    const editorText = async () => (await page.locator('.graphiql-query-editor').innerText()).replaceAll('\u00a0', ' ');
    await expect.poll(editorText, { timeout: 20_000 }).toContain('query PeopleOverview');
    // GraphiQL introspects on load: wait for the answer to the example query itself.
    const answered = page.waitForResponse((response) => response.url() === started.gateway().url && (response.request().postData() ?? '').includes('PeopleOverview'));
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

  it('shows the parts of a deferred answer as they arrive: the person first, the login history once edge answers', async () => {
    const simulators = started.gateway().simulators;
    if (!simulators) throw new Error('the gateway runs without embedded simulators');
    const { gateUsers, edgeUsers } = simulators.dataset;
    const username = gateUsers.find((user) => (edgeUsers.find((account) => account.username === user.username)?.history.length ?? 0) >= 1)?.username;
    const query = `{ user(username: "${username}") { username ... @defer { loginHistory(first: 1) { edges { node { attemptedAt } } } } } }`;
    simulators.injectFault('edge', { path: '/users/:id/history/', action: 'hold' });
    const page = await started.browser().newPage();
    await page.goto(`${started.gateway().url}?query=${encodeURIComponent(query)}`);
    const editorText = async () => (await page.locator('.graphiql-query-editor').innerText()).replaceAll('\u00a0', ' ');
    await expect.poll(editorText, { timeout: 20_000 }).toContain('@defer');
    await page.locator('.graphiql-execute-button').click();
    await simulators.whenHeld('edge');
    const responseText = async () => (await page.locator('.graphiql-response').innerText()).replaceAll('\u00a0', ' ');
    await expect.poll(responseText, { timeout: 10_000 }).toContain(`"username": "${username}"`);
    expect(await responseText()).not.toContain('loginHistory');
    await simulators.releaseHeld('edge');
    await expect.poll(responseText, { timeout: 10_000 }).toContain('"attemptedAt"');
  });
});

describe('GraphiQL with client authentication on', () => {
  const reader = apiKey('graphiql', ['users:read'], 'acme');
  const authenticated = gatewayAndBrowser({ API_KEYS: JSON.stringify([reader.entry]) });

  it('loads compressed, says once what credential to send, loads the schema once an API key is entered, and keeps the key out of the browser', async () => {
    const page = await authenticated.browser().newPage();
    const url = authenticated.gateway().url;
    const answers: { status: number; apiKey: string | undefined; introspection: boolean }[] = [];
    page.on('response', (response) => {
      if (response.url() !== url || response.request().method() !== 'POST') return;
      answers.push({ status: response.status(), apiKey: response.request().headers()['x-api-key'], introspection: (response.request().postData() ?? '').includes('IntrospectionQuery') });
    });
    const loaded = await page.goto(url);
    expect((await loaded?.allHeaders())?.['content-encoding']).toMatch(/^(br|gzip)$/);

    // Without a credential the schema cannot load: the answer says what to send, once.
    const responseText = async () => (await page.locator('.graphiql-response').innerText()).replaceAll('\u00a0', ' ');
    await expect.poll(responseText, { timeout: 20_000 }).toContain('UNAUTHENTICATED');
    expect(answers.every((answer) => answer.introspection && answer.status === 401)).toBe(true);
    expect(answers.length).toBeLessThanOrEqual(2);

    await page.getByText('Headers', { exact: true }).click();
    await page.locator('.graphiql-editor-tool .graphiql-editor').last().click();
    // Monaco closes the brace itself.
    await page.keyboard.type(`{"x-api-key": "${reader.key}"`);
    await page.getByRole('button', { name: /Re-fetch GraphQL schema/ }).click();
    await expect.poll(() => answers.some((answer) => answer.introspection && answer.apiKey === reader.key && answer.status === 200), { timeout: 10_000 }).toBe(true);

    const answered = page.waitForResponse((response) => response.url() === url && (response.request().postData() ?? '').includes('PeopleOverview'));
    await page.locator('.graphiql-execute-button').click();
    expect((await answered).status()).toBe(200);

    const stored = await page.evaluate(() => JSON.stringify({ ...localStorage, ...sessionStorage }));
    expect(stored).toContain('PeopleOverview');
    expect(stored).not.toContain(reader.key);
    await page.reload();
    await page.getByText('Headers', { exact: true }).click();
    await expect.poll(() => page.locator('.graphiql-editor-tool .graphiql-editor').last().innerText(), { timeout: 20_000 }).toMatch(/^1/);
    expect(await page.locator('.graphiql-editor-tool .graphiql-editor').last().innerText()).not.toContain(reader.key);
    expect(await page.evaluate(() => JSON.stringify({ ...localStorage, ...sessionStorage }))).not.toContain(reader.key);
  });
});
