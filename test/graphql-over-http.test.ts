import { auditServer, type AuditResult } from 'graphql-http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../src/server/config.ts';
import { startGateway, type RunningGateway } from '../src/server/gateway.ts';
import { CSRF_HEADER } from '../src/server/plugins/use-csrf-prevention.ts';
import { apiKey } from './support/credentials.ts';

const reader = apiKey('audit', ['users:read', 'users:write'], 'acme');

/** The audits' requests, as a real client sends them: with the CSRF header GET requests need, and its credential. */
const fetchAs =
  (credential: Record<string, string>): typeof fetch =>
  (input, init) => {
    const headers = new Headers(init?.headers);
    headers.set(CSRF_HEADER, '1');
    for (const [name, value] of Object.entries(credential)) headers.set(name, value);
    return fetch(input, { ...init, headers });
  };

const level = (result: AuditResult) => result.name.split(' ')[0] as 'MUST' | 'SHOULD' | 'MAY';

const setups: { setup: string; env: NodeJS.ProcessEnv; credential: Record<string, string> }[] = [
  { setup: 'the demo, without client authentication', env: {}, credential: {} },
  { setup: 'client authentication on, with an API key', env: { API_KEYS: JSON.stringify([reader.entry]) }, credential: { 'x-api-key': reader.key } },
];

describe.each(setups)('GraphQL over HTTP (graphql-http server audits, over real HTTP): $setup', ({ env, credential }) => {
  let gateway: RunningGateway;
  let results: AuditResult[];

  beforeAll(async () => {
    gateway = await startGateway(loadConfig({ HOST: '127.0.0.1', PORT: '0', LOG_LEVEL: 'silent', ...env }));
    results = await auditServer({ url: gateway.url, fetchFn: fetchAs(credential) });
  });
  afterAll(() => gateway?.close());

  it('passes every audit, MUST, SHOULD and MAY', () => {
    const tally = (name: 'MUST' | 'SHOULD' | 'MAY') => {
      const audits = results.filter((result) => level(result) === name);
      return `${audits.filter((result) => result.status === 'ok').length}/${audits.length}`;
    };
    console.info(`graphql-http audits passed: MUST ${tally('MUST')}, SHOULD ${tally('SHOULD')}, MAY ${tally('MAY')}`);
    expect(results.filter((result) => level(result) === 'MUST').length).toBeGreaterThan(10);
    const failed = results.filter((result) => result.status !== 'ok');
    expect(failed.map((result) => `${result.status}: ${result.name}: ${'reason' in result ? result.reason : ''}`)).toEqual([]);
  });
});
