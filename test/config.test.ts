import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from '../src/server/config.ts';

describe('configuration from the environment', () => {
  it('defaults to port 4000 and simulators for every upstream', () => {
    const config = loadConfig({});
    expect(config).toMatchObject({ host: '0.0.0.0', port: 4000, upstreams: {} });
    expect(config.upstreams.gate).toBeUndefined();
  });

  it('builds each upstream`s credentials in its own scheme', () => {
    const config = loadConfig({
      AUTH_MODE: 'none',
      GATE_URL: 'http://gate.internal/api/v1',
      GATE_TOKEN: 'g',
      EDGE_URL: 'https://edge.internal/api',
      EDGE_USERNAME: 'ops',
      EDGE_PASSWORD: 'pw',
      SWITCH_URL: 'http://switch.internal/v1',
      SWITCH_TOKEN: 's',
    });
    expect(config.upstreams).toEqual({
      gate: { url: 'http://gate.internal/api/v1', headers: { authorization: 'Bearer g' } },
      edge: { url: 'https://edge.internal/api', headers: { authorization: `Basic ${Buffer.from('ops:pw').toString('base64')}` } },
      switch: { url: 'http://switch.internal/v1', headers: { 'x-auth-token': 's' } },
    });
    const withToken = loadConfig({ AUTH_MODE: 'none', EDGE_URL: 'http://edge.internal/api', EDGE_TOKEN: 'ops:t0k' });
    expect(withToken.upstreams.edge?.headers).toEqual({ authorization: 'Token ops:t0k' });
  });

  it.each([
    [{ PORT: 'eighty' }, /PORT/],
    [{ PORT: '70000' }, /PORT/],
    [{ GATE_URL: 'http://gate.internal/api/v1' }, /GATE_TOKEN is required when GATE_URL is set/],
    [{ GATE_URL: 'gate.internal', GATE_TOKEN: 'x' }, /GATE_URL must be an http\(s\) URL/],
    [{ EDGE_URL: 'http://edge.internal/api', EDGE_USERNAME: 'ops' }, /EDGE_PASSWORD is required when EDGE_URL is set/],
    [{ EDGE_URL: 'http://edge.internal/api', EDGE_TOKEN: 'no-colon' }, /EDGE_TOKEN must be "user:token"/],
    [{ SWITCH_URL: 'http://switch.internal/v1' }, /SWITCH_TOKEN is required/],
  ])('names the bad variable in %o', (env, message) => {
    expect(() => loadConfig(env)).toThrow(ConfigError);
    expect(() => loadConfig(env)).toThrow(message);
  });

  it.each([
    [{ PORT: '' }, /PORT must be a whole number/],
    [{ PORT: ' 80' }, /PORT must be a whole number/],
    [{ PORT: '8e1' }, /PORT must be a whole number/],
    [{ PORT: '0x50' }, /PORT must be a whole number/],
    [{ UPSTREAM_TIMEOUT_MS: '' }, /UPSTREAM_TIMEOUT_MS must be a whole number/],
    [{ UPSTREAM_TIMEOUT_MS: '1.5' }, /UPSTREAM_TIMEOUT_MS must be a whole number/],
    [{ EDGE_MAX_PAGES: '0' }, /EDGE_MAX_PAGES must be at least 1/],
    [{ HOST: '' }, /HOST must not be empty/],
    [{ GATE_URL: 'http://gate.internal', GATE_TOKEN: 'x' }, /GATE_URL must include the API prefix \(gate's docs give \/api\/v1\)/],
    [{ EDGE_URL: 'https://edge.internal/', EDGE_TOKEN: 'a:b' }, /EDGE_URL must include the API prefix \(edge's docs give \/api\)/],
    [{ GATE_URL: 'http://ops:hunter2@gate.internal/api/v1', GATE_TOKEN: 'x' }, /GATE_URL must not carry credentials/],
    [{ SWITCH_URL: 'http://switch.internal/v1?tenant=7', SWITCH_TOKEN: 'x' }, /SWITCH_URL must not have a query or a fragment/],
    [{ SWITCH_URL: 'http://switch.internal/v1#top', SWITCH_TOKEN: 'x' }, /SWITCH_URL must not have a query or a fragment/],
    [{ GATE_URL: 'http://gate.internal/api/v1?', GATE_TOKEN: 'x' }, /GATE_URL must not have a query or a fragment/],
    [{ GATE_TOKEN: 'x' }, /GATE_TOKEN is set but GATE_URL is not/],
    [{ EDGE_USERNAME: 'ops', EDGE_PASSWORD: 'pw' }, /EDGE_USERNAME is set but EDGE_URL is not/],
    [{ SWITCH_TOKEN: 'x' }, /SWITCH_TOKEN is set but SWITCH_URL is not/],
    [{ EDGE_URL: 'http://edge.internal/api', EDGE_TOKEN: 'a:b', EDGE_USERNAME: 'ops', EDGE_PASSWORD: 'pw' }, /EDGE_TOKEN and EDGE_USERNAME\/EDGE_PASSWORD are two ways/],
    [{ EDGE_URL: 'http://edge.internal/api', EDGE_USERNAME: 'ops:x', EDGE_PASSWORD: 'pw' }, /EDGE_USERNAME must not contain ":"/],
  ])('refuses what could only go wrong later: %o', (env, message) => {
    expect(() => loadConfig(env)).toThrow(ConfigError);
    expect(() => loadConfig(env)).toThrow(message);
  });

  it('takes PORT=0 (any free port) and the limits as plain whole numbers', () => {
    expect(loadConfig({ PORT: '0', EDGE_MAX_PAGES: '5000', UPSTREAM_MAX_RESPONSE_BYTES: '2048' })).toMatchObject({
      port: 0,
      edgeMaxPages: 5000,
      upstreamMaxResponseBytes: 2048,
    });
  });

  it('warns of variables named like settings that are none, naming the settings of their kind', () => {
    const { warnings } = loadConfig({ AUTH_MODE: 'none', GATE_URL: 'http://gate.internal/api/v1', GATE_TOKEN: 'x', GATE_TOKN: 'typo', UPSTREAM_TIMEOUT: '5', PATH: '/usr/bin' });
    expect(warnings).toEqual([
      'GATE_TOKN is not a setting of this gateway and is ignored; the GATE_… settings are GATE_URL, GATE_TOKEN',
      expect.stringMatching(/^UPSTREAM_TIMEOUT is not a setting .* UPSTREAM_TIMEOUT_MS, UPSTREAM_CONNECTIONS, UPSTREAM_MAX_RESPONSE_BYTES$/),
    ]);
  });

  it('never shows a secret value in its complaint', () => {
    expect(() => loadConfig({ GATE_URL: 'http://ops:hunter2@gate.internal/api/v1', GATE_TOKEN: 'x' })).toThrow(
      expect.objectContaining({ message: expect.not.stringContaining('hunter2') }),
    );
    expect(() => loadConfig({ EDGE_URL: 'http://edge.internal/api', EDGE_TOKEN: 'supersecretvalue' })).toThrow(
      expect.objectContaining({ message: expect.not.stringContaining('supersecretvalue') }),
    );
  });
});
