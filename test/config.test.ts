import { generateKeyPairSync } from 'node:crypto';
import { availableParallelism } from 'node:os';
import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from '../src/server/config.ts';

describe('configuration from the environment', () => {
  it('defaults to port 4000 and simulators for every upstream', () => {
    const config = loadConfig({});
    expect(config).toMatchObject({ port: 4000, upstreams: {} });
    expect(config.upstreams.gate).toBeUndefined();
  });

  it('listens on loopback for the demo (every upstream simulated), on every interface once an upstream is configured, where HOST says when set', () => {
    expect(loadConfig({}).host).toBe('127.0.0.1');
    expect(loadConfig({ AUTH_MODE: 'none', SWITCH_URL: 'http://switch.internal/v1', SWITCH_TOKEN: 's' }).host).toBe('0.0.0.0');
    expect(loadConfig({ HOST: '0.0.0.0' }).host).toBe('0.0.0.0');
    expect(loadConfig({ HOST: '10.0.0.5', AUTH_MODE: 'none', GATE_URL: 'http://gate.internal/api/v1', GATE_TOKEN: 'g' }).host).toBe('10.0.0.5');
  });

  it('grants CORS to no origin unless CORS_ORIGINS lists it; `*` alone is any origin', () => {
    expect(loadConfig({}).corsOrigins).toEqual([]);
    expect(loadConfig({ CORS_ORIGINS: 'https://console.example.com, http://localhost:3000' }).corsOrigins).toEqual([
      'https://console.example.com',
      'http://localhost:3000',
    ]);
    expect(loadConfig({ CORS_ORIGINS: '*' }).corsOrigins).toBe('*');
  });

  it('caches no upstream read unless UPSTREAM_CACHE_TTL_MS, or an upstream’s own …_CACHE_TTL_MS, says for how long (0: never)', () => {
    expect(loadConfig({}).upstreamCache).toEqual({ ttlMs: { gate: 0, edge: 0, switch: 0 }, timeoutMs: 500 });
    expect(loadConfig({ UPSTREAM_CACHE_TTL_MS: '30000', EDGE_CACHE_TTL_MS: '0', SWITCH_CACHE_TTL_MS: '600000', UPSTREAM_CACHE_TIMEOUT_MS: '50' }).upstreamCache).toEqual({
      ttlMs: { gate: 30_000, edge: 0, switch: 600_000 },
      timeoutMs: 50,
    });
    expect(loadConfig({ GATE_CACHE_TTL_MS: '5000' }).upstreamCache.ttlMs).toEqual({ gate: 5000, edge: 0, switch: 0 });
    expect(() => loadConfig({ UPSTREAM_CACHE_TTL_MS: '-1' })).toThrow(/UPSTREAM_CACHE_TTL_MS/);
  });

  it('waits 100 ms for Redis to count a request against the rate limit unless RATE_LIMIT_REDIS_WAIT_MS says otherwise', () => {
    expect(loadConfig({}).rateLimitRedisWaitMs).toBe(100);
    expect(loadConfig({ RATE_LIMIT_REDIS_WAIT_MS: '20' }).rateLimitRedisWaitMs).toBe(20);
  });

  it('lets one client have 100 GraphQL requests in flight unless CLIENT_MAX_IN_FLIGHT says otherwise, and warns of a misspelt one', () => {
    expect(loadConfig({}).clientMaxInFlight).toBe(100);
    expect(loadConfig({ CLIENT_MAX_IN_FLIGHT: '8' }).clientMaxInFlight).toBe(8);
    expect(() => loadConfig({ CLIENT_MAX_IN_FLIGHT: '0' })).toThrow(/CLIENT_MAX_IN_FLIGHT/);
    expect(loadConfig({ CLIENT_MAX_INFLIGHT: '8' }).warnings).toEqual([expect.stringMatching(/^CLIENT_MAX_INFLIGHT is not a setting .* CLIENT_MAX_IN_FLIGHT$/)]);
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
    // The breaker samples a share of the calls below all of them: 1 would fail at start.
    [{ UPSTREAM_BREAKER_FAILURE_RATIO: '1' }, /UPSTREAM_BREAKER_FAILURE_RATIO must be a decimal above 0 and below 1/],
    [{ UPSTREAM_BREAKER_FAILURE_RATIO: '0' }, /UPSTREAM_BREAKER_FAILURE_RATIO must be more than 0/],
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
    [{ RATE_LIMIT_REDIS_WAIT_MS: '0' }, /RATE_LIMIT_REDIS_WAIT_MS must be at least 1/],
    [{ RATE_LIMIT_REDIS_WAIT_MS: '5000' }, /RATE_LIMIT_REDIS_WAIT_MS must be at most 2000/],
    [{ CORS_ORIGINS: '' }, /CORS_ORIGINS entry 1 must be an origin/],
    [{ CORS_ORIGINS: 'https://a.example.com,https://b.example.com/' }, /CORS_ORIGINS entry 2 must be an origin: http\(s\):\/\/host\[:port\] in lower case, with nothing after it/],
    [{ CORS_ORIGINS: 'https://a.example.com/app' }, /CORS_ORIGINS entry 1 must be an origin/],
    [{ CORS_ORIGINS: 'https://A.example.com' }, /CORS_ORIGINS entry 1 must be an origin/],
    [{ CORS_ORIGINS: 'https://a.example.com:443' }, /CORS_ORIGINS entry 1 must be an origin/],
    [{ CORS_ORIGINS: 'a.example.com' }, /CORS_ORIGINS entry 1 must be an origin/],
    [{ CORS_ORIGINS: 'null' }, /CORS_ORIGINS entry 1 must be an origin/],
    [{ CORS_ORIGINS: 'file:///tmp' }, /CORS_ORIGINS entry 1 must be an origin/],
    [{ CORS_ORIGINS: 'https://a.example.com,*' }, /CORS_ORIGINS entry 2 "\*" stands alone/],
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

  it('runs one process unless WORKERS says how many, or `auto`: one per core available', () => {
    expect(loadConfig({}).workers).toBe(1);
    expect(loadConfig({ WORKERS: '3', REDIS_URL: 'redis://127.0.0.1:6379' }).workers).toBe(3);
    expect(loadConfig({ WORKERS: 'auto', REDIS_URL: 'redis://127.0.0.1:6379' }).workers).toBe(availableParallelism());
  });

  it('gives each of WORKERS processes an equal share of the upstream connections, bulkheads and admission, so that together they keep them', () => {
    const alone = loadConfig({ UPSTREAM_CONNECTIONS: '100', UPSTREAM_MAX_QUEUED: '1000', ADMISSION_MAX_QUEUED: '500', ADMISSION_MAX_QUEUED_PER_CLIENT: '50' });
    expect(alone).toMatchObject({
      upstreamConnections: 100,
      callPolicy: { bulkhead: { maxInFlight: 100, maxQueued: 1000 } },
      admission: { budget: 900, maxQueued: 500, maxQueuedPerClient: 50 },
    });
    const three = loadConfig({ WORKERS: '3', REDIS_URL: 'redis://127.0.0.1:6379', UPSTREAM_CONNECTIONS: '100', UPSTREAM_MAX_QUEUED: '1000', ADMISSION_MAX_QUEUED: '500', ADMISSION_MAX_QUEUED_PER_CLIENT: '50' });
    // Rounded down: three shares never add up to more than the whole.
    expect(three).toMatchObject({
      upstreamConnections: 33,
      callPolicy: { bulkhead: { maxInFlight: 33, maxQueued: 333 } },
      admission: { budget: 300, maxQueued: 166, maxQueuedPerClient: 16 },
    });
    expect(loadConfig({ WORKERS: '2', REDIS_URL: 'redis://127.0.0.1:6379', ADMISSION_BUDGET: '1001' }).admission.budget).toBe(500);
  });

  it.each([
    [{ WORKERS: '0' }, /WORKERS must be at least 1/],
    [{ WORKERS: 'all' }, /WORKERS must be a whole number from 1 to 1024, or "auto"/],
    [{ WORKERS: '2' }, /REDIS_URL is required when WORKERS is more than 1 \(it is 2\): the workers share locks, idempotency keys and rate limits through it/],
    [{ WORKERS: '4', REDIS_URL: 'redis://127.0.0.1:6379', UPSTREAM_CONNECTIONS: '3' }, /UPSTREAM_CONNECTIONS must be at least WORKERS \(4\)/],
    [{ WORKERS: '4', REDIS_URL: 'redis://127.0.0.1:6379', ADMISSION_BUDGET: '2' }, /ADMISSION_BUDGET must be at least WORKERS \(4\)/],
  ])('refuses workers that could not keep their promises: %o', (env, message) => {
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
      'GATE_TOKN is not a setting of this gateway and is ignored; the GATE_… settings are GATE_URL, GATE_TOKEN, GATE_TIMEOUT_MS, GATE_CONNECT_TIMEOUT_MS, GATE_HEADERS_TIMEOUT_MS, GATE_BODY_TIMEOUT_MS, GATE_CACHE_TTL_MS',
      expect.stringMatching(/^UPSTREAM_TIMEOUT is not a setting .* UPSTREAM_TIMEOUT_MS, .*UPSTREAM_MAX_RESPONSE_BYTES$/),
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

describe('client authentication settings', () => {
  /** Every upstream real: the gateway would serve real people's records. */
  const realUpstreams = {
    GATE_URL: 'http://gate.internal/api/v1',
    GATE_TOKEN: 'g',
    EDGE_URL: 'http://edge.internal/api',
    EDGE_TOKEN: 'ops:t0k',
    SWITCH_URL: 'http://switch.internal/v1',
    SWITCH_TOKEN: 's',
  };
  const key = (entry: Record<string, unknown>) => ({ id: 'ops', sha256: 'a'.repeat(64), scopes: ['users:read'], organization: 'acme', ...entry });
  const PUBLIC_KEY = generateKeyPairSync('rsa', { modulusLength: 2048 }).publicKey.export({ type: 'spki', format: 'pem' }).toString();
  const jwt = { JWT_PUBLIC_KEY: PUBLIC_KEY, JWT_ISSUER: 'https://issuer.test/', JWT_AUDIENCE: 'user-gateway' };

  it('refuses real upstreams without API keys or JWT, naming API_KEYS, unless AUTH_MODE=none says so', () => {
    expect(() => loadConfig(realUpstreams)).toThrow(ConfigError);
    expect(() => loadConfig(realUpstreams)).toThrow(/API_KEYS \(or API_KEYS_FILE, JWT_PUBLIC_KEY, JWT_JWKS_URL\) is required when real upstreams are configured/);
    // One real upstream is enough to need it.
    expect(() => loadConfig({ GATE_URL: realUpstreams.GATE_URL, GATE_TOKEN: 'g' })).toThrow(/API_KEYS .* is required when real upstreams are configured \(GATE_URL\)/);
    expect(loadConfig({ ...realUpstreams, AUTH_MODE: 'none' }).auth).toEqual({ mode: 'none' });
    expect(loadConfig({ ...realUpstreams, API_KEYS: JSON.stringify([key({})]) }).auth).toMatchObject({ mode: 'required', jwt: undefined });
    expect(loadConfig({ ...realUpstreams, ...jwt }).auth).toMatchObject({ mode: 'required', apiKeys: [], jwt: { issuer: jwt.JWT_ISSUER, algorithms: ['RS256', 'ES256'] } });
  });

  it('says at start-up that credentials configured with AUTH_MODE=none protect nothing', () => {
    const { warnings } = loadConfig({ ...realUpstreams, AUTH_MODE: 'none', API_KEYS: JSON.stringify([key({})]), ...jwt });
    expect(warnings).toEqual(['API_KEYS, JWT_PUBLIC_KEY ignored: AUTH_MODE=none turns client authentication off']);
    expect(loadConfig({ ...realUpstreams, API_KEYS: JSON.stringify([key({})]) }).warnings).toEqual([]);
  });

  it('refuses an API key with neither an organization nor the admin scope, naming the entry', () => {
    const keys = [key({}), key({ id: 'orphan', organization: undefined })];
    expect(() => loadConfig({ API_KEYS: JSON.stringify(keys) })).toThrow(/API_KEYS\[1\.organization\] must have an organization, or the admin scope/);
    expect(loadConfig({ API_KEYS: JSON.stringify([key({ organization: undefined, scopes: ['users:read', 'admin'] })]) }).auth).toMatchObject({ mode: 'required' });
  });

  it('refuses two API keys under one id', () => {
    const keys = [key({}), key({ sha256: 'b'.repeat(64) })];
    expect(() => loadConfig({ API_KEYS: JSON.stringify(keys) })).toThrow(/API_KEYS names the key id "ops" twice/);
  });

  it('refuses a JWT key without the issuer and audience its tokens must name', () => {
    expect(() => loadConfig({ JWT_PUBLIC_KEY: PUBLIC_KEY })).toThrow(/JWT_ISSUER is required with JWT_PUBLIC_KEY or JWT_JWKS_URL/);
    expect(() => loadConfig({ JWT_PUBLIC_KEY: PUBLIC_KEY })).toThrow(/JWT_AUDIENCE is required with JWT_PUBLIC_KEY or JWT_JWKS_URL/);
    expect(() => loadConfig({ JWT_JWKS_URL: 'https://issuer.test/jwks.json', JWT_ISSUER: 'https://issuer.test/' })).toThrow(/JWT_AUDIENCE is required/);
  });

  it.each(['HS256', 'RS256,HS256', 'none'])('refuses JWT_ALGORITHMS=%s: only public-key algorithms are taken', (algorithms) => {
    expect(() => loadConfig({ ...jwt, JWT_ALGORITHMS: algorithms })).toThrow(/JWT_ALGORITHMS(\.\d+)? must list algorithms among RS256/);
  });
});
