import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { schema } from '../src/schema/index.ts';
import { startHarness, type Harness } from './support/harness.ts';
import { selectEverything } from './support/select-everything.ts';

let harness: Harness;
beforeAll(async () => {
  harness = await startHarness();
});
afterAll(() => harness.close());

/** What the upstreams hold that must never leave the gateway. */
function secretsHeld(): string[] {
  const data = harness.simulators.dataset;
  return [
    ...data.switchUsers.flatMap((user) => [user.passwd, user.cdr_api_token]),
    ...data.edgeUsers.flatMap((user) => [user.password, ...user.tokens.map((token) => token.hashed_token)]),
    ...data.gateUsers.map((user) => user.password),
  ].filter((secret): secret is string => typeof secret === 'string' && secret.length > 0);
}

describe('secrets never leave the gateway', () => {
  it('has no field that could carry a password, a hash or an API token', () => {
    const fields = Object.values(schema.getTypeMap()).flatMap((type) =>
      'getFields' in type ? Object.keys(type.getFields()).map((field) => `${type.name}.${field}`) : [],
    );
    expect(fields.length).toBeGreaterThan(100);
    expect(fields.filter((field) => /passw|passwd|hash|secret|cdrApi|apiToken/i.test(field))).toEqual([]);
  });

  it('answers everything it can about every record without a single secret in it', async () => {
    const secrets = secretsHeld();
    expect(secrets.filter((secret) => secret.startsWith('$2')).length).toBeGreaterThan(200);
    const result = await harness.execute(selectEverything(schema, 500, 6));
    expect(result.errors).toBeUndefined();
    const text = JSON.stringify(result);
    expect(text.length).toBeGreaterThan(1_000_000);
    const leaked = secrets.filter((secret) => text.includes(secret));
    expect(leaked).toEqual([]);
    expect(text).not.toMatch(/\$2[aby]\$\d\d\$/);
  });
});
