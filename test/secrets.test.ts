import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isInputObjectType, isInterfaceType, isObjectType, type GraphQLInputObjectType, type GraphQLInterfaceType, type GraphQLObjectType } from 'graphql';
import { schema } from '../src/schema/index.ts';
import { startHarness, type Harness } from './support/harness.ts';
import { apiKey } from './support/credentials.ts';
import { selectEverything } from './support/select-everything.ts';

/** Sees every organization, but not gate's AAA token strings: what a client holds short of `tokens:secret`. */
const admin = apiKey('admin-without-secrets', ['users:read', 'admin']);

let harness: Harness;
beforeAll(async () => {
  // The whole-schema query costs far more than the default MAX_UPSTREAM_CALLS (1000) allows.
  harness = await startHarness({ env: { API_KEYS: JSON.stringify([admin.entry]), MAX_UPSTREAM_CALLS: '1000000' } });
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
  it('has no output field that could carry a password, a hash or an API token', () => {
    const fieldsOf = (types: (GraphQLObjectType | GraphQLInterfaceType | GraphQLInputObjectType)[]) =>
      types.flatMap((type) => Object.keys(type.getFields()).map((field) => `${type.name}.${field}`));
    const types = Object.values(schema.getTypeMap()).filter((type) => !type.name.startsWith('__'));
    const outputs = fieldsOf(types.filter((type) => isObjectType(type) || isInterfaceType(type)));
    expect(outputs.length).toBeGreaterThan(100);
    expect(outputs.filter((field) => /passw|passwd|hash|secret|cdrApi|apiToken/i.test(field))).toEqual([]);
    // Passwords go in, to be set upstream, and never come out.
    const inputs = fieldsOf(types.filter(isInputObjectType));
    expect(inputs.filter((field) => /passw/i.test(field)).sort()).toEqual([
      'CreateEdgeUserInput.password',
      'CreateUserInput.password',
      'ProvisionUserInput.password',
      'UserChangesInput.password',
      'UserReplacementInput.password',
    ]);
  });

  it('answers everything it can about every record without a single secret in it', async () => {
    const secrets = secretsHeld();
    expect(secrets.filter((secret) => secret.startsWith('$2')).length).toBeGreaterThan(200);
    const tokenStrings = harness.simulators.dataset.userTokens.map((token) => token.token);
    expect(tokenStrings.length).toBeGreaterThan(100);
    // Every organization's subtree would count once for every user there could be: one organization's stands for them.
    const everything = selectEverything(schema, 500, 6, { given: { organization: '(name: "acme")' }, without: ['organizations'] });
    const result = await harness.execute(everything, {}, { 'x-api-key': admin.key });
    // Every error is a token string held back: `Token.token` needs tokens:secret, and nothing else failed.
    expect(result.errors?.length).toBeGreaterThan(0);
    for (const error of result.errors ?? []) {
      expect(error).toMatchObject({ message: 'This client may not see Token.token.', extensions: { code: 'FORBIDDEN' } });
      expect(error.path?.at(-1)).toBe('token');
      const answered = (error.path ?? []).reduce<unknown>((value, segment) => (value as Record<string | number, unknown>)[segment], result.data);
      expect(answered).toBeNull();
    }
    const text = JSON.stringify(result);
    expect(text.length).toBeGreaterThan(1_000_000);
    const leaked = secrets.filter((secret) => text.includes(secret));
    expect(leaked).toEqual([]);
    expect(text).not.toMatch(/\$2[aby]\$\d\d\$/);
    expect(tokenStrings.filter((token) => text.includes(token))).toEqual([]);
  });
});
