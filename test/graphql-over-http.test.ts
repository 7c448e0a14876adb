import { auditServer, type AuditResult } from 'graphql-http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../src/server/config.ts';
import { startGateway, type RunningGateway } from '../src/server/gateway.ts';
import { CSRF_HEADER } from '../src/server/plugins/use-csrf-prevention.ts';

/** The audits' requests, as a real client sends them: with the CSRF header GET requests need. */
const fetchWithCsrfHeader: typeof fetch = (input, init) => {
  const headers = new Headers(init?.headers);
  headers.set(CSRF_HEADER, '1');
  return fetch(input, { ...init, headers });
};

const level = (result: AuditResult) => result.name.split(' ')[0] as 'MUST' | 'SHOULD' | 'MAY';

describe('GraphQL over HTTP (graphql-http server audits, over real HTTP)', () => {
  let gateway: RunningGateway;
  let results: AuditResult[];

  beforeAll(async () => {
    gateway = await startGateway(loadConfig({ HOST: '127.0.0.1', PORT: '0', LOG_LEVEL: 'silent' }));
    results = await auditServer({ url: gateway.url, fetchFn: fetchWithCsrfHeader });
  });
  afterAll(() => gateway?.close());

  it('passes every MUST audit', () => {
    const failed = results.filter((result) => level(result) === 'MUST' && result.status !== 'ok');
    expect(failed.map((result) => `${result.name}: ${'reason' in result ? result.reason : ''}`)).toEqual([]);
    expect(results.filter((result) => level(result) === 'MUST').length).toBeGreaterThan(0);
  });

  it('reports how it fares on every level', () => {
    const tally = (name: 'MUST' | 'SHOULD' | 'MAY') => {
      const audits = results.filter((result) => level(result) === name);
      return `${audits.filter((result) => result.status === 'ok').length}/${audits.length}`;
    };
    const notPassed = results.filter((result) => result.status !== 'ok').map((result) => `${result.status}: ${result.name}: ${'reason' in result ? result.reason : ''}`);
    console.info(`graphql-http audits passed: MUST ${tally('MUST')}, SHOULD ${tally('SHOULD')}, MAY ${tally('MAY')}${notPassed.length ? `\n  ${notPassed.join('\n  ')}` : ''}`);
    expect(results.length).toBeGreaterThan(0);
  });
});
