import { describe, expect, it } from 'vitest';
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
