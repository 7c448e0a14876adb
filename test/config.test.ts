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
    const withToken = loadConfig({ EDGE_URL: 'http://edge.internal/api', EDGE_TOKEN: 'ops:t0k' });
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

  it('never shows a secret value in its complaint', () => {
    expect(() => loadConfig({ EDGE_URL: 'http://edge.internal/api', EDGE_TOKEN: 'supersecretvalue' })).toThrow(
      expect.objectContaining({ message: expect.not.stringContaining('supersecretvalue') }),
    );
  });
});
