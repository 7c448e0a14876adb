import { readFileSync } from 'node:fs';
import { parse, print, type OperationDefinitionNode } from 'graphql';
import type { Page } from 'playwright-core';
import { describe, expect, it } from 'vitest';
import { gatewayAndBrowser } from './support.ts';

const started = gatewayAndBrowser();

/** The walk-through of docs/mutations.md, operation by operation, as a person would paste them into GraphiQL. */
function walkThrough(): Map<string, string> {
  const doc = readFileSync(new URL('../../docs/mutations.md', import.meta.url), 'utf8');
  const section = doc.slice(doc.indexOf('## Provisioning a person in GraphiQL'));
  const block = /```graphql\n([\s\S]*?)```/.exec(section)?.[1];
  if (!block) throw new Error('docs/mutations.md has no GraphiQL walk-through');
  const operations = parse(block).definitions.filter((definition): definition is OperationDefinitionNode => definition.kind === 'OperationDefinition');
  return new Map(operations.map((operation) => [operation.name?.value ?? '', print(operation)]));
}

/** Opens GraphiQL on one operation, runs it with its button, and answers what the gateway answered. */
async function runInGraphiQL(page: Page, operation: string): Promise<Record<string, any>> {
  await page.goto(`${started.gateway().url}?query=${encodeURIComponent(operation)}`);
  const editorText = async () => (await page.locator('.graphiql-query-editor').innerText()).replaceAll('\u00a0', ' ');
  await expect.poll(editorText, { timeout: 20_000 }).toContain(operation.split('\n')[0] ?? '');
  const answered = page.waitForResponse((response) => response.url() === started.gateway().url && (response.request().postData() ?? '').includes('mutation'));
  await page.locator('.graphiql-execute-button').click();
  const body = (await (await answered).json()) as { data?: Record<string, any>; errors?: unknown };
  expect(body.errors).toBeUndefined();
  return body.data ?? {};
}

describe('provisioning a person in GraphiQL, as docs/mutations.md shows it', () => {
  it('provisions, tops up, edits, gives and revokes a token, and deprovisions: each upstream holds exactly that after each step', { timeout: 120_000 }, async () => {
    const page = await started.browser().newPage();
    const operations = walkThrough();
    const data = started.gateway().simulators!.dataset;
    const gateUser = () => data.gateUsers.find((user) => user.username === 'ada.l');
    const token = () => data.userTokens.find((candidate) => candidate.username === 'ada.l');
    const account = () => data.edgeUsers.find((user) => user.username === 'ada.l');

    const provisioned = await runInGraphiQL(page, operations.get('Provision') ?? '');
    expect(provisioned['provisionUser'].__typename).toBe('ProvisionUserPayload');
    expect(provisioned['provisionUser'].accessToken.plaintext).toMatch(/^\w{20,}$/);
    expect(gateUser()?.profile).toMatchObject({ first_name: 'Ada', last_name: 'Lovelace', role: 'engineer' });
    expect(token()?.balance_seconds).toBe(3600);
    expect(data.userExtras.find((extra) => String(extra.parent) === gateUser()?.id)?.preferences).toEqual({ theme: 'dark' });
    expect(account()?.memberships).toEqual(['WHITE', 'GREEN']);
    expect(account()?.tokens.map((accessToken) => accessToken.title)).toEqual(['Dashboard']);

    const toppedUp = await runInGraphiQL(page, operations.get('TopUp') ?? '');
    expect(toppedUp['addBalance'].balance.seconds).toBe(5400);
    expect(token()?.balance_seconds).toBe(5400);

    await runInGraphiQL(page, operations.get('Edit') ?? '');
    expect(gateUser()?.profile).toMatchObject({ first_name: 'Ada', last_name: 'King', role: 'lead' });

    const created = await runInGraphiQL(page, operations.get('NewToken') ?? '');
    expect(created['createAccessToken'].plaintext).toMatch(/^\w{20,}$/);
    expect(account()?.tokens.map((accessToken) => [accessToken.title, accessToken.active])).toEqual([
      ['Dashboard', true],
      ['CLI', true],
    ]);

    const revoke = (operations.get('Revoke') ?? '').replace('<AccessToken id>', created['createAccessToken'].accessToken.id);
    const revoked = await runInGraphiQL(page, revoke);
    expect(revoked['revokeAccessToken'].accessToken).toEqual({ title: 'CLI', active: false });
    expect(account()?.tokens.find((accessToken) => accessToken.title === 'CLI')?.active).toBe(false);

    const removed = await runInGraphiQL(page, operations.get('Remove') ?? '');
    expect(removed['deprovisionUser'].removed).toEqual(['gate.userToken', 'edge.accessToken', 'edge.accessToken', 'edge.user', 'gate.userExtra', 'gate.user']);
    expect([gateUser(), token(), account()]).toEqual([undefined, undefined, undefined]);
    await page.screenshot({ path: 'test/e2e/provisioning.png' });
  });
});
