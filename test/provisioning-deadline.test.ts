import { describe, expect, it } from 'vitest';
import { harnessPerTest, type GraphQLResult, type Harness } from './support/harness.ts';
import { present } from './support/expect.ts';
import { person } from './support/people.ts';

/**
 * Provisioning and the request's deadline (issue 20, item 2): a provisioning is not started when
 * what is left of the deadline is shorter than it is expected to take, and the undo steps of one
 * that ran into the deadline get a budget of their own (`WRITE_RECOVERY_MS`), so that they are sent.
 */

type Json = Record<string, any>;

const RESULT = `
  __typename
  ... on Error { message }
  ... on DeadlineTooShort { neededMs remainingMs }
  ... on ProvisioningFailed { failedStep leftovers }
  ... on ProvisionUserPayload { user { username } }
`;

const data = (harness: Harness) => harness.simulators.dataset;

/** How many of the person's records each upstream holds, from the simulators' data. */
function recordsOf(harness: Harness, username: string): number {
  const users = data(harness).gateUsers.filter((user) => user.username === username);
  const accounts = data(harness).edgeUsers.filter((account) => account.username === username);
  return (
    users.length +
    data(harness).userTokens.filter((token) => token.username === username).length +
    data(harness).userExtras.filter((extra) => users.some((user) => String(extra.parent) === user.id)).length +
    accounts.length +
    accounts.reduce((count, account) => count + account.tokens.length, 0)
  );
}

describe('provisioning within the request deadline', () => {
  const harnessWith = harnessPerTest();

  it('sixteen provisionUser in one document against slow upstreams: each whole or not started, never half a person', async () => {
    const harness = await harnessWith({ latencyMs: 150, env: { REQUEST_DEADLINE_MS: '6000' } });
    const usernames = Array.from({ length: 16 }, (_, index) => `deadline.${index}`);
    const fields = usernames.map((username, index) => `p${index}: provisionUser(input: $p${index}) { ${RESULT} }`).join('\n');
    const variables = Object.fromEntries(usernames.map((username, index) => [`p${index}`, person(username)]));
    const declared = usernames.map((_, index) => `$p${index}: ProvisionUserInput!`).join(', ');
    const response = (await harness.execute(`mutation Onboard(${declared}) { ${fields} }`, variables)) as GraphQLResult<Json>;
    expect(response.errors).toBeUndefined();
    const answers = usernames.map((_, index) => present(response.data?.[`p${index}`]) as Json);

    const done = answers.filter((answer) => answer['__typename'] === 'ProvisionUserPayload').length;
    expect(done).toBeGreaterThan(0);
    expect(answers.at(-1)?.['__typename']).not.toBe('ProvisionUserPayload');
    for (const [index, answer] of answers.entries()) {
      const username = present(usernames[index]);
      if (answer['__typename'] === 'ProvisionUserPayload') {
        expect(recordsOf(harness, username)).toBe(5);
      } else {
        // Refused before any write (the deadline, or no time left for the name checks): nothing there.
        expect(['DeadlineTooShort', 'UpstreamFailure']).toContain(answer['__typename']);
        expect(recordsOf(harness, username)).toBe(0);
      }
    }
    expect(answers.some((answer) => answer['__typename'] === 'DeadlineTooShort')).toBe(true);
    expect(harness.audit.flatMap((entry) => entry.leftovers)).toEqual([]);
  });

  it('a step that runs into the deadline is undone all the same: the DELETEs are sent under their own budget', async () => {
    let now = Date.UTC(2026, 11, 7);
    const harness = await harnessWith({ env: { REQUEST_DEADLINE_MS: '1500', WRITE_SETTLE_MS: '60000' }, clock: { now: () => now } });
    // The user extra's POST reaches gate and stays there past the request's deadline.
    harness.simulators.injectFault('gate', { method: 'POST', path: '/user_extra/', action: 'hold' });
    const answer = harness.execute(`mutation($input: ProvisionUserInput!) { provisionUser(input: $input) { ${RESULT} } }`, { input: person('deadline.undo') });
    await harness.simulators.whenHeld('gate');
    const result = (await answer) as GraphQLResult<Json>;
    // The extra may still land: its outcome is unknown, and what was made before it is gone.
    expect(result.data?.['provisionUser']).toMatchObject({ __typename: 'OutcomeUnknown' });
    const deletes = harness.requests().filter((request) => request.method === 'DELETE').map((request) => request.path.replace(/\/\d+\//g, '/:id/'));
    expect(deletes).toEqual(['/api/v1/user_token/:id/', '/api/v1/user/:id/']);
    expect(recordsOf(harness, 'deadline.undo')).toBe(0);
    expect(harness.audit.at(-1)).toMatchObject({ mutation: 'provisionUser', leftovers: [] });

    // The key stays bound to that attempt: retried while the extra may still land, nothing is written.
    const retry = () =>
      harness.execute(`mutation($input: ProvisionUserInput!) { provisionUser(input: $input) { ${RESULT} } }`, { input: person('deadline.undo') }) as Promise<GraphQLResult<Json>>;
    const writes = () => harness.requests().filter((request) => request.method !== 'GET').length;
    const sent = writes();
    expect((await retry()).data?.['provisionUser']).toMatchObject({ __typename: 'OutcomeUnknown' });
    expect(writes()).toBe(sent);
    // The held POST lands late, for a user that is gone; once WRITE_SETTLE_MS has passed the retry
    // removes whatever of it is there and provisions the person, once.
    await harness.simulators.releaseHeld('gate');
    now += 60_000;
    expect((await retry()).data?.['provisionUser']).toMatchObject({ __typename: 'ProvisionUserPayload', user: { username: 'deadline.undo' } });
    expect(recordsOf(harness, 'deadline.undo')).toBe(5);
    expect((await retry()).data?.['provisionUser']).toMatchObject({ __typename: 'ProvisionUserPayload', user: { username: 'deadline.undo' } });
    expect(recordsOf(harness, 'deadline.undo')).toBe(5);
  });
});
