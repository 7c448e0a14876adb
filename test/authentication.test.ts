import { spawn } from 'node:child_process';
import { createHmac } from 'node:crypto';
import { once } from 'node:events';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { exportJWK, exportSPKI, generateKeyPair, SignJWT, type CryptoKey, type JWK, type JWTPayload } from 'jose';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import { startSimulators } from '../src/simulators/index.ts';
import { harnessPerTest, startHarness, upstreamEnv, type GraphQLResult, type Harness } from './support/harness.ts';
import { apiKey } from './support/credentials.ts';
import { environmentWithoutSettings } from './support/gateway-process.ts';

const ISSUER = 'https://issuer.test/';
const AUDIENCE = 'user-gateway';
const COUNT = '{ users(first: 2) { totalCount } }';

interface Answer {
  status: number;
  wwwAuthenticate: string | null;
  body: GraphQLResult<{ users: { totalCount: number } | null }>;
}

/** A POST as a client sends it, with what the body alone does not tell: the status and WWW-Authenticate. */
async function post(harness: Harness, headers: Record<string, string>, query = COUNT): Promise<Answer> {
  const response = await harness.yoga.fetch('http://gateway.test/graphql', {
    method: 'POST',
    headers: { 'content-type': 'application/json', accept: 'application/graphql-response+json', ...headers },
    body: JSON.stringify({ query }),
  });
  return { status: response.status, wwwAuthenticate: response.headers.get('www-authenticate'), body: (await response.json()) as Answer['body'] };
}

/** Answered 401 UNAUTHENTICATED with a WWW-Authenticate challenge, before any upstream is asked. */
async function isRefused(harness: Harness, headers: Record<string, string>): Promise<void> {
  harness.simulators.resetRequests();
  const answer = await post(harness, headers);
  expect(answer.status).toBe(401);
  expect(answer.wwwAuthenticate).toMatch(/^Bearer realm=/);
  expect(answer.body.data).toBeUndefined();
  expect(answer.body.errors).toEqual([{ message: expect.any(String), extensions: { code: 'UNAUTHENTICATED', requestId: expect.any(String) } }]);
  expect(harness.requests()).toEqual([]);
}

/** Answered with the count of users and no error. */
async function answersData(harness: Harness, headers: Record<string, string>): Promise<number> {
  const answer = await post(harness, headers);
  expect(answer.body.errors).toBeUndefined();
  expect(answer.status).toBe(200);
  const count = answer.body.data?.users?.totalCount;
  expect(count).toBeGreaterThan(0);
  return count as number;
}

const bearer = (token: string) => ({ authorization: `Bearer ${token}` });

const base64url = (value: string | Buffer) => Buffer.from(value).toString('base64url');
const nowInSeconds = () => Math.floor(Date.now() / 1000);

/** Claims a token of this issuer for this gateway would carry: a reader of acme, valid for five minutes. */
function claims(overrides: JWTPayload = {}): JWTPayload {
  const now = nowInSeconds();
  return { sub: 'jwt-reader', scope: 'users:read', org: 'acme', iss: ISSUER, aud: AUDIENCE, iat: now, exp: now + 300, ...overrides };
}

/** A JWT as jose signs it; the claims (all of them, `iss`, `aud` and `exp` included) are as given. */
function signed(privateKey: CryptoKey, alg: string, payload: JWTPayload = claims(), kid?: string): Promise<string> {
  return new SignJWT(payload).setProtectedHeader({ alg, typ: 'JWT', ...(kid && { kid }) }).sign(privateKey);
}

/** A JWT built by hand, for what jose refuses to sign: any header, and the signature given. */
function handMade(header: Record<string, unknown>, payload: JWTPayload, sign: (signingInput: string) => string): string {
  const signingInput = `${base64url(JSON.stringify(header))}.${base64url(JSON.stringify(payload))}`;
  return `${signingInput}.${sign(signingInput)}`;
}

let rsa: { publicKey: CryptoKey; privateKey: CryptoKey; pem: string };
let foreignRsa: { publicKey: CryptoKey; privateKey: CryptoKey };
let ec: { publicKey: CryptoKey; privateKey: CryptoKey; pem: string };
beforeAll(async () => {
  const rsaPair = await generateKeyPair('RS256');
  rsa = { ...rsaPair, pem: await exportSPKI(rsaPair.publicKey) };
  foreignRsa = await generateKeyPair('RS256');
  const ecPair = await generateKeyPair('ES256');
  ec = { ...ecPair, pem: await exportSPKI(ecPair.publicKey) };
});

const acmeReader = apiKey('acme-reader', ['users:read'], 'acme');

describe('forged and missing credentials are refused with 401, and no upstream is asked', () => {
  let harness: Harness;
  beforeAll(async () => {
    harness = await startHarness({
      env: { API_KEYS: JSON.stringify([acmeReader.entry]), JWT_PUBLIC_KEY: rsa.pem, JWT_ISSUER: ISSUER, JWT_AUDIENCE: AUDIENCE },
    });
  });
  afterAll(() => harness.close());

  const forgeries: [string, () => Promise<Record<string, string>>][] = [
    ['a JWT with alg none', async () => bearer(handMade({ alg: 'none', typ: 'JWT' }, claims(), () => ''))],
    [
      // The classic confusion: a verifier that let the token pick HS256 would check it with the public key as the secret.
      'an HS256 JWT whose HMAC secret is the configured RSA public key`s PEM',
      async () => bearer(handMade({ alg: 'HS256', typ: 'JWT' }, claims(), (input) => createHmac('sha256', rsa.pem).update(input).digest('base64url'))),
    ],
    ['a JWT signed by a foreign RSA key', async () => bearer(await signed(foreignRsa.privateKey, 'RS256'))],
    ['an expired JWT (beyond the clock tolerance)', async () => bearer(await signed(rsa.privateKey, 'RS256', claims({ iat: nowInSeconds() - 600, exp: nowInSeconds() - 120 })))],
    ['a JWT whose nbf is in the future (beyond the clock tolerance)', async () => bearer(await signed(rsa.privateKey, 'RS256', claims({ nbf: nowInSeconds() + 120 })))],
    ['a JWT without exp', async () => bearer(await signed(rsa.privateKey, 'RS256', claims({ exp: undefined })))],
    ['a JWT of another issuer', async () => bearer(await signed(rsa.privateKey, 'RS256', claims({ iss: 'https://elsewhere.test/' })))],
    ['a JWT for another audience', async () => bearer(await signed(rsa.privateKey, 'RS256', claims({ aud: 'another-service' })))],
    ['a bearer token that is not a JWT', async () => bearer('not-a-jwt')],
    ['a bearer token of three parts of garbage', async () => bearer('abc.def.ghi')],
    ['a valid JWT with neither org nor admin', async () => bearer(await signed(rsa.privateKey, 'RS256', claims({ org: undefined })))],
    // Without `sub` every such token would be one client: one idempotency namespace, one rate limit, one audit name.
    ['a valid JWT without sub', async () => bearer(await signed(rsa.privateKey, 'RS256', claims({ sub: undefined })))],
    ['a valid JWT with an empty sub', async () => bearer(await signed(rsa.privateKey, 'RS256', claims({ sub: '' })))],
    ['a valid JWT under another scheme than Bearer', async () => ({ authorization: `Token ${await signed(rsa.privateKey, 'RS256')}` })],
    ['an API key that is not configured', async () => ({ 'x-api-key': apiKey('nobody', ['users:read', 'admin']).key })],
    ['an empty X-API-Key header', async () => ({ 'x-api-key': '' })],
    ['an empty Authorization: Bearer', async () => ({ authorization: 'Bearer ' })],
    ['no credential at all', async () => ({})],
  ];

  it.each(forgeries)('%s', async (_name, credential) => {
    await isRefused(harness, await credential());
  });

  it('answers the same query for the configured API key and a valid RS256 JWT (positive controls)', async () => {
    const byKey = await answersData(harness, { 'x-api-key': acmeReader.key });
    const byJwt = await answersData(harness, bearer(await signed(rsa.privateKey, 'RS256')));
    expect(byJwt).toBe(byKey);
    // The clock tolerance at work: a token that expired a moment ago still verifies.
    await answersData(harness, bearer(await signed(rsa.privateKey, 'RS256', claims({ exp: nowInSeconds() - 5 }))));
  });

  it('takes a JWT with the admin scope and no org', async () => {
    await answersData(harness, bearer(await signed(rsa.privateKey, 'RS256', claims({ org: undefined, scope: 'users:read admin' }))));
  });
});

describe('JWT algorithms', () => {
  const harnessWith = harnessPerTest();
  const ecEnv = () => ({ JWT_PUBLIC_KEY: ec.pem, JWT_ISSUER: ISSUER, JWT_AUDIENCE: AUDIENCE });

  it('verifies an ES256 JWT against an EC key, JWT_ALGORITHMS left at its default (RS256,ES256)', async () => {
    const harness = await harnessWith({ env: ecEnv() });
    await answersData(harness, bearer(await signed(ec.privateKey, 'ES256')));
  });

  it('refuses the same ES256 JWT when JWT_ALGORITHMS=RS256', async () => {
    const harness = await harnessWith({ env: { ...ecEnv(), JWT_ALGORITHMS: 'RS256' } });
    await isRefused(harness, bearer(await signed(ec.privateKey, 'ES256')));
  });
});

describe('JWT_JWKS_URL', () => {
  const harnessWith = harnessPerTest();
  /** The keys the issuer publishes now; a test changes them to rotate. */
  let published: JWK[];
  /** Whether the issuer's JWKS endpoint fails (answers 500). */
  let failing: boolean;
  let fetches: number;
  let server: Server;
  let jwksUrl: string;

  beforeAll(async () => {
    server = createServer((request, response) => {
      fetches++;
      if (failing) return response.writeHead(500).end();
      response.writeHead(200, { 'content-type': 'application/jwk-set+json' }).end(JSON.stringify({ keys: published }));
    });
    server.listen(0, '127.0.0.1');
    await once(server, 'listening');
    jwksUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}/.well-known/jwks.json`;
  });
  afterAll(async () => {
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  });

  /** A signing key of the issuer, as it publishes it. */
  async function issuerKey(kid: string): Promise<{ kid: string; privateKey: CryptoKey; jwk: JWK }> {
    const { publicKey, privateKey } = await generateKeyPair('RS256');
    return { kid, privateKey, jwk: { ...(await exportJWK(publicKey)), kid, alg: 'RS256', use: 'sig' } };
  }
  const tokenOf = (key: { kid: string; privateKey: CryptoKey }) => signed(key.privateKey, 'RS256', claims(), key.kid);
  const jwksGateway = () => harnessWith({ env: { JWT_JWKS_URL: jwksUrl, JWT_ISSUER: ISSUER, JWT_AUDIENCE: AUDIENCE } });

  beforeEach(() => {
    published = [];
    failing = false;
    fetches = 0;
  });
  afterEach(() => {
    vi.restoreAllMocks();
  });

  it('verifies a token whose kid is in the set, and one under a second kid of the same set, fetching the set once', async () => {
    const [first, second] = await Promise.all([issuerKey('first'), issuerKey('second')]);
    published = [first.jwk, second.jwk];
    const harness = await jwksGateway();
    await answersData(harness, bearer(await tokenOf(first)));
    await answersData(harness, bearer(await tokenOf(second)));
    expect(fetches).toBe(1);
  });

  it('refuses a token whose kid is in no set the issuer publishes', async () => {
    const [known, unknown] = await Promise.all([issuerKey('known'), issuerKey('unknown')]);
    published = [known.jwk];
    const harness = await jwksGateway();
    await answersData(harness, bearer(await tokenOf(known)));
    await isRefused(harness, bearer(await tokenOf(unknown)));
  });

  it('answers 503 AUTHENTICATION_UNAVAILABLE, not 401, while the JWKS cannot be fetched, asking no upstream', async () => {
    const key = await issuerKey('only');
    published = [key.jwk];
    failing = true;
    const harness = await jwksGateway();
    harness.simulators.resetRequests();
    const response = await harness.yoga.fetch('http://gateway.test/graphql', {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...bearer(await tokenOf(key)) },
      body: JSON.stringify({ query: '{ users(first: 1) { totalCount } }' }),
    });
    expect(response.status).toBe(503);
    expect(response.headers.get('retry-after')).toBe('5');
    expect(((await response.json()) as { errors: { extensions: { code: string } }[] }).errors.map((error) => error.extensions.code)).toEqual(['AUTHENTICATION_UNAVAILABLE']);
    expect(harness.requests()).toEqual([]);
    expect(fetches).toBe(1);
  });

  it('takes a rotated-in key without a restart, once jose`s 30 s cooldown since the last fetch has passed', async () => {
    const [old, rotated] = await Promise.all([issuerKey('old'), issuerKey('rotated')]);
    published = [old.jwk];
    const harness = await jwksGateway();
    await answersData(harness, bearer(await tokenOf(old)));
    expect(fetches).toBe(1);

    published = [old.jwk, rotated.jwk];
    // jose (6.2) reads the set again for an unknown kid only 30 s (cooldownDuration) after the last
    // read: so that tokens with made-up kids cannot make it fetch at will. Within that, it is refused.
    await isRefused(harness, bearer(await tokenOf(rotated)));
    expect(fetches).toBe(1);

    // Past the cooldown (jose reads it from Date.now), the unknown kid makes it fetch the set again.
    const realNow = Date.now.bind(Date);
    vi.spyOn(Date, 'now').mockImplementation(() => realNow() + 31_000);
    await answersData(harness, bearer(await tokenOf(rotated)));
    expect(fetches).toBe(2);
    await answersData(harness, bearer(await tokenOf(old)));
    expect(fetches).toBe(2);
  });
});

describe('scopes', () => {
  const writerOnly = apiKey('acme-writer', ['users:write'], 'acme');
  const secretReader = apiKey('acme-secret-reader', ['users:read', 'tokens:secret'], 'acme');
  let harness: Harness;
  beforeAll(async () => {
    harness = await startHarness({ env: { API_KEYS: JSON.stringify([acmeReader.entry, writerOnly.entry, secretReader.entry]) } });
  });
  afterAll(() => harness.close());

  const TOKENS = '{ users(first: 3) { edges { node { username token { username token } } } } }';
  type Tokens = { users: { edges: { node: { username: string; token: { username: string; token: string | null } | null } }[] } };

  it('refuses a mutation to a key with only users:read, as its result union`s ForbiddenError, asking no upstream anything', async () => {
    harness.simulators.resetRequests();
    const mutation = `mutation { createUser(input: { username: "scope.probe", email: "scope.probe@example.com", password: "probe-Pass-1", organization: "acme" }) { __typename ... on ForbiddenError { requiredScope } } }`;
    const result = await harness.execute(mutation, {}, { 'x-api-key': acmeReader.key });
    expect(result.errors).toBeUndefined();
    expect(result.data).toEqual({ createUser: { __typename: 'ForbiddenError', requiredScope: 'users:write' } });
    expect(harness.requests()).toEqual([]);
  });

  it('refuses reading to a key with users:write but not users:read', async () => {
    harness.simulators.resetRequests();
    const result = await harness.execute(COUNT, {}, { 'x-api-key': writerOnly.key });
    expect(result.data).toEqual({ users: null });
    expect(result.errors).toEqual([expect.objectContaining({ path: ['users'], extensions: { code: 'FORBIDDEN', requestId: expect.any(String) } })]);
    expect(harness.requests()).toEqual([]);
  });

  it('answers the usernames but not the token strings without tokens:secret', async () => {
    const result = (await harness.execute(TOKENS, {}, { 'x-api-key': acmeReader.key })) as GraphQLResult<Tokens>;
    const nodes = result.data?.users.edges.map((edge) => edge.node) ?? [];
    expect(nodes).toHaveLength(3);
    const withToken = nodes.filter((node) => node.token !== null);
    expect(withToken.length).toBeGreaterThan(0);
    for (const node of withToken) expect(node.token).toEqual({ username: node.username, token: null });
    expect(result.errors).toHaveLength(withToken.length);
    for (const error of result.errors ?? []) {
      expect(error.extensions?.['code']).toBe('FORBIDDEN');
      expect(error.path?.at(-1)).toBe('token');
      expect(error.path?.at(-2)).toBe('token');
    }
  });

  it('answers the token strings, as gate holds them, with tokens:secret', async () => {
    const result = (await harness.execute(TOKENS, {}, { 'x-api-key': secretReader.key })) as GraphQLResult<Tokens>;
    expect(result.errors).toBeUndefined();
    const tokens = (result.data?.users.edges ?? []).flatMap((edge) => (edge.node.token ? [edge.node.token] : []));
    expect(tokens.length).toBeGreaterThan(0);
    const held = new Map(harness.simulators.dataset.userTokens.map((token) => [token.username, token.token]));
    for (const token of tokens) {
      expect(token.token).toEqual(expect.any(String));
      expect(token.token).toBe(held.get(token.username));
    }
  });
});

describe('the demo (every upstream simulated)', () => {
  const harnessWith = harnessPerTest();

  it('answers without a credential when no keys are configured', async () => {
    await answersData(await harnessWith({}), {});
  });

  it('enforces keys as anywhere once they are configured', async () => {
    const harness = await harnessWith({ env: { API_KEYS: JSON.stringify([acmeReader.entry]) } });
    await isRefused(harness, {});
    await answersData(harness, { 'x-api-key': acmeReader.key });
  });
});

describe('start-up says when clients are not authenticated', () => {
  /** Runs the gateway as `npm start` does until it is ready; answers what it printed. */
  async function startUpOutput(env: NodeJS.ProcessEnv): Promise<{ stdout: string; stderr: string }> {
    const gateway = spawn(process.execPath, ['src/index.ts'], {
      env: { ...environmentWithoutSettings(), HOST: '127.0.0.1', PORT: '0', LOG_LEVEL: 'warn', ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    gateway.stderr.on('data', (chunk) => (stderr += String(chunk)));
    // Everything it printed is read once its pipes close (stderr and stdout arrive in no set order).
    const closed = once(gateway, 'close');
    try {
      await new Promise<void>((resolve, reject) => {
        gateway.stdout.on('data', (chunk) => {
          stdout += String(chunk);
          if (/ready: http:\/\//.test(stdout)) resolve();
        });
        gateway.once('exit', () => reject(new Error(`the gateway exited before it was ready:\n${stdout}\n${stderr}`)));
      });
    } finally {
      if (gateway.exitCode === null) gateway.kill('SIGTERM');
      await closed;
    }
    return { stdout, stderr };
  }

  it('notices, in the demo, that clients are not authenticated and how to require it', async () => {
    const { stdout, stderr } = await startUpOutput({});
    expect(stdout).toMatch(/demo.*without client authentication/);
    expect(stdout).toMatch(/API_KEYS/);
    expect(stdout).toMatch(/JWT_PUBLIC_KEY/);
    expect(stdout).not.toMatch(/AUTH_MODE=none/);
    expect(stderr).toBe('');
  });

  it('warns with AUTH_MODE=none in front of real upstreams', async () => {
    const simulators = await startSimulators({ recordRequests: false });
    try {
      const { stdout, stderr } = await startUpOutput({ AUTH_MODE: 'none', ...upstreamEnv(simulators) });
      const warning = stdout
        .split('\n')
        .filter(Boolean)
        .map((line) => JSON.parse(line) as { level: number; logger: string; msg: string })
        .find((line) => line.msg.startsWith('AUTH_MODE=none'));
      expect(warning).toMatchObject({
        level: 40,
        logger: 'lifecycle',
        msg: "AUTH_MODE=none: client authentication is off; anyone who reaches this gateway reads and changes every organization's users",
      });
      expect(stderr).toBe('');
      expect(stdout).not.toMatch(/demo/);
    } finally {
      await simulators.close();
    }
  });

  it('says neither with keys configured', async () => {
    const { stdout, stderr } = await startUpOutput({ API_KEYS: JSON.stringify([apiKey('ops', ['users:read', 'admin']).entry]) });
    expect(stdout).not.toMatch(/without client authentication/);
    expect(stdout).not.toMatch(/client authentication is off/);
    expect(stderr).toBe('');
  });
});
