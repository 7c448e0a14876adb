import { once } from 'node:events';
import { connect, type Socket } from 'node:net';
import { exportSPKI, generateKeyPair, SignJWT } from 'jose';
import { request } from 'undici';
import { describe, expect, it, vi } from 'vitest';
import { loadConfig } from '../src/server/config.ts';
import { KnownCallers } from '../src/server/plugins/use-authentication.ts';
import { RefusalEpisodes, type RefusalEpisode } from '../src/server/refuse-unread.ts';
import { apiKey } from './support/credentials.ts';
import { FakeClock } from './support/fake-clock.ts';
import { answersHeldUntilReleased, WAIT } from './support/held-answers.ts';
import { proxiesPerTest } from './support/reshaping-proxy.ts';
import { observedGatewayPerTest, valueOf, type ObservedGateway } from './support/signals.ts';

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- answers are read field by field
type Loose = any;

const ALLOWED = 'https://console.example.com';
const ISSUER = 'https://issuer.test/';
const AUDIENCE = 'user-gateway';
const LIGHT = 'query ($username: String!) { user(username: $username) { username switchAccount { userId } } }';
/** `first` people and their tokens: one held token lookup each (reads not shared, see UPSTREAM_SHARE_READS). */
const tokensOf = (first: number) => `{ users(first: ${first}) { edges { node { token { isActive } } } } }`;

/** Proxies in front of the simulators, to hold some answers. */
const proxied = proxiesPerTest();

const post = (url: string, headers: Record<string, string>, query: string, variables?: Record<string, unknown>) =>
  request(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', accept: 'application/graphql-response+json', ...headers },
    body: JSON.stringify({ query, variables }),
  }).then(async (response) => ({ status: response.statusCode, headers: response.headers, body: (await response.body.json()) as Loose }));

interface RawResponse {
  status: number;
  headers: Record<string, string>;
  body: string;
}

/**
 * One keep-alive connection spoken to in plain HTTP/1.1, so that a request can be left half sent:
 * its head and part of its body written, the rest only when the test says.
 */
async function rawConnection(url: URL) {
  const socket: Socket = connect(Number(url.port), url.hostname);
  await once(socket, 'connect');
  socket.setEncoding('latin1');
  let received = '';
  let waiting: (() => void) | undefined;
  socket.on('data', (chunk: string) => {
    received += chunk;
    waiting?.();
  });
  /** The first whole response in what arrived, taken off it; undefined until it has all come. */
  const takeResponse = (): RawResponse | undefined => {
    const headEnd = received.indexOf('\r\n\r\n');
    if (headEnd === -1) return undefined;
    const [statusLine, ...lines] = received.slice(0, headEnd).split('\r\n');
    const headers = Object.fromEntries(lines.map((line) => [line.slice(0, line.indexOf(':')).toLowerCase(), line.slice(line.indexOf(':') + 1).trim()]));
    const length = Number(headers['content-length']);
    if (received.length < headEnd + 4 + length) return undefined;
    const body = received.slice(headEnd + 4, headEnd + 4 + length);
    received = received.slice(headEnd + 4 + length);
    return { status: Number(statusLine?.split(' ')[1]), headers, body };
  };
  return {
    /** A POST's head, saying its body has `length` bytes. */
    head: (path: string, headers: Record<string, string>, length: number) =>
      `POST ${path} HTTP/1.1\r\nhost: ${url.host}\r\ncontent-type: application/json\r\ncontent-length: ${length}\r\n${Object.entries(headers)
        .map(([name, value]) => `${name}: ${value}\r\n`)
        .join('')}\r\n`,
    write: (text: string) => socket.write(text, 'latin1'),
    nextResponse: () =>
      new Promise<RawResponse>((resolve) => {
        const check = () => {
          const response = takeResponse();
          if (!response) return;
          waiting = undefined;
          resolve(response);
        };
        waiting = check;
        check();
      }),
    close: () => socket.destroy(),
  };
}

describe('who a request comes from, told by its headers alone (KnownCallers)', () => {
  const reader = apiKey('reader', ['users:read'], 'acme');
  const admin = apiKey('ops', ['users:read', 'admin']);

  async function known(now: () => number) {
    const { publicKey } = await generateKeyPair('RS256');
    const config = loadConfig({ API_KEYS: JSON.stringify([reader.entry, admin.entry]), JWT_PUBLIC_KEY: await exportSPKI(publicKey), JWT_ISSUER: ISSUER, JWT_AUDIENCE: AUDIENCE });
    return new KnownCallers(config.auth, now);
  }

  it('names the caller of a configured API key as authentication does, and no caller for another key', async () => {
    const callers = await known(() => 0);
    expect(callers.keyOf(reader.key, undefined)).toBe('apikey:reader@acme');
    expect(callers.keyOf(admin.key, undefined)).toBe('apikey:ops');
    expect(callers.keyOf('not-a-key', undefined)).toBeUndefined();
  });

  it('knows a bearer token only once authentication has verified it, and only until it expires', async () => {
    let now = 1000;
    const callers = await known(() => now);
    expect(callers.keyOf(undefined, 'Bearer some.jwt.token')).toBeUndefined();
    callers.rememberBearer('some.jwt.token', { caller: { key: 'jwt:issuer:someone@acme', scopes: new Set(['users:read']), organization: 'acme' }, validUntil: 2000 });
    expect(callers.keyOf(undefined, 'Bearer some.jwt.token')).toBe('jwt:issuer:someone@acme');
    expect(callers.keyOf(undefined, 'Bearer another.jwt.token')).toBeUndefined();
    // An API key comes first, as in authentication: a key that is none names nobody, whatever token comes with it.
    expect(callers.keyOf('not-a-key', 'Bearer some.jwt.token')).toBeUndefined();
    now = 2000;
    expect(callers.keyOf(undefined, 'Bearer some.jwt.token')).toBeUndefined();
  });
});

describe('one client`s refusals as episodes (RefusalEpisodes)', () => {
  it('tells when a client`s refusals begin, and once they have stopped for the calm, how many there were', () => {
    const clock = new FakeClock();
    const told: RefusalEpisode[] = [];
    const episodes = new RefusalEpisodes(5000, (episode) => told.push(episode), clock);
    episodes.note('flood');
    episodes.note('other');
    expect(told).toEqual([
      { client: 'flood', started: true },
      { client: 'other', started: true },
    ]);
    clock.advance(3000);
    episodes.note('flood');
    episodes.note('flood');
    // 5 s after the first refusal, but only 2 s after the last of 'flood': only 'other' has calmed down.
    clock.advance(2000);
    expect(told.slice(2)).toEqual([{ client: 'other', started: false, refused: 1 }]);
    clock.advance(2999);
    expect(told).toHaveLength(3);
    clock.advance(1);
    expect(told.slice(3)).toEqual([{ client: 'flood', started: false, refused: 3 }]);
    // A new refusal is a new episode.
    episodes.note('flood');
    expect(told.slice(4)).toEqual([{ client: 'flood', started: true }]);
  });
});

describe('refused from the headers alone, before the body is read (over HTTP)', () => {
  const start = observedGatewayPerTest();
  const flooder = apiKey('flooder', ['users:read', 'admin']);
  const other = apiKey('other', ['users:read', 'admin']);

  /** A gateway whose gate token lookups are answered only when released. */
  async function gatewayHoldingTokens(env: NodeJS.ProcessEnv): Promise<{ observed: ObservedGateway; tokens: ReturnType<typeof answersHeldUntilReleased> }> {
    const tokens = answersHeldUntilReleased((url) => url.pathname.endsWith('/user_token/'));
    const observed = await start({
      env: { UPSTREAM_SHARE_READS: 'false', ...env },
      urls: async (simulators) => ({ GATE_URL: (await proxied(simulators.gate.url, { hold: tokens.hold })).url }),
    });
    return { observed, tokens };
  }

  it('refuses a client at its cap with 429 and Retry-After before its body has come, serves another meanwhile, and takes it again once its answers have gone', async () => {
    const { observed, tokens } = await gatewayHoldingTokens({ API_KEYS: JSON.stringify([flooder.entry, other.entry]), CLIENT_MAX_IN_FLIGHT: '2', CORS_ORIGINS: ALLOWED });
    const url = new URL(observed.gateway.url);
    const asFlooder = { 'x-api-key': flooder.key };
    // Two of its queries under way, their 1 and 2 token lookups held.
    const underWay = [post(url.href, asFlooder, tokensOf(1)), post(url.href, asFlooder, tokensOf(2))];
    await vi.waitFor(() => expect(tokens.held()).toBe(3), WAIT);

    // A third: its head and the first bytes of a body that has more to come.
    const connection = await rawConnection(url);
    const body = JSON.stringify({ query: tokensOf(1) });
    connection.write(connection.head(url.pathname, { ...asFlooder, origin: ALLOWED, 'x-request-id': 'third-of-the-flood' }, body.length) + body.slice(0, 10));
    const refused = await connection.nextResponse();
    expect(refused.status).toBe(429);
    expect(refused.headers['retry-after']).toBe('1');
    expect(refused.headers['x-request-id']).toBe('third-of-the-flood');
    expect(refused.headers['access-control-allow-origin']).toBe(ALLOWED);
    expect(refused.headers['access-control-expose-headers']?.split(/,\s*/)).toEqual(expect.arrayContaining(['retry-after', 'x-request-id']));
    expect(JSON.parse(refused.body)).toEqual({
      errors: [
        {
          message: expect.stringContaining('CLIENT_MAX_IN_FLIGHT'),
          extensions: { code: 'TOO_MANY_REQUESTS_IN_FLIGHT', retryAfter: 1, limit: 2, requestId: 'third-of-the-flood' },
        },
      ],
    });
    // HTTP as ever: the rest of that body goes, and the connection takes the next request (refused too: still two under way).
    connection.write(body.slice(10) + connection.head(url.pathname, asFlooder, body.length) + body);
    expect((await connection.nextResponse()).status).toBe(429);
    connection.close();

    // Another client is served meanwhile.
    const username = observed.simulators.dataset.gateUsers[0]!.username;
    const served = await post(url.href, { 'x-api-key': other.key }, LIGHT, { username });
    expect(served.status).toBe(200);
    expect(served.body).toEqual({ data: { user: { username, switchAccount: expect.anything() } } });

    tokens.release();
    for (const answer of await Promise.all(underWay)) {
      expect(answer.status).toBe(200);
      expect(answer.body.errors).toBeUndefined();
    }
    // Its answers gone, the client is under its cap again.
    expect((await post(url.href, asFlooder, tokensOf(1))).status).toBe(200);

    const metrics = await observed.scrape();
    expect(valueOf(metrics, 'graphql_unread_refusals_total', { code: 'TOO_MANY_REQUESTS_IN_FLIGHT' })).toBe(2);
    expect(valueOf(metrics, 'graphql_requests_total', { operation: 'anonymous', outcome: 'refused' })).toBe(2);
    // No line per refusal: one when the client reached its cap.
    expect(observed.lines().filter((line) => line['logger'] === 'request' && line['status'] === 429)).toEqual([]);
    const atCap = observed.lines().filter((line) => line['logger'] === 'graphql' && line.msg.includes('CLIENT_MAX_IN_FLIGHT'));
    expect(atCap).toEqual([expect.objectContaining({ level: 40, client: 'apikey:flooder' })]);
  });

  it('knows a bearer token`s client once a request of it has been verified: past the cap, the next are refused unread', async () => {
    const { publicKey, privateKey } = await generateKeyPair('RS256');
    const { observed, tokens } = await gatewayHoldingTokens({
      API_KEYS: JSON.stringify([other.entry]),
      JWT_PUBLIC_KEY: await exportSPKI(publicKey), JWT_ISSUER: ISSUER, JWT_AUDIENCE: AUDIENCE, CLIENT_MAX_IN_FLIGHT: '1' });
    const now = Math.floor(Date.now() / 1000);
    const token = await new SignJWT({ sub: 'flooder', scope: 'users:read admin', iss: ISSUER, aud: AUDIENCE, iat: now, exp: now + 300 })
      .setProtectedHeader({ alg: 'RS256', typ: 'JWT' })
      .sign(privateKey);
    const url = observed.gateway.url;
    const asFlooder = { authorization: `Bearer ${token}` };
    // The token's first request is not known before it is verified: it goes on, uncounted.
    const first = post(url, asFlooder, tokensOf(1));
    await vi.waitFor(() => expect(tokens.held()).toBe(1), WAIT);
    // Verified by then: the next is counted, the one after refused.
    const second = post(url, asFlooder, tokensOf(2));
    await vi.waitFor(() => expect(tokens.held()).toBe(3), WAIT);
    const refused = await post(url, asFlooder, tokensOf(1));
    expect(refused.status).toBe(429);
    expect(refused.body.errors?.[0]?.extensions).toMatchObject({ code: 'TOO_MANY_REQUESTS_IN_FLIGHT', limit: 1 });

    tokens.release();
    expect((await first).status).toBe(200);
    expect((await second).status).toBe(200);
  });

  it('sheds before Yoga sees it a request admission would refuse whatever it asks: 503 OVERLOADED before its body has come', async () => {
    const { observed, tokens } = await gatewayHoldingTokens({ API_KEYS: JSON.stringify([flooder.entry]), ADMISSION_BUDGET: '1', ADMISSION_MAX_QUEUED_PER_CLIENT: '1' });
    const url = new URL(observed.gateway.url);
    const asFlooder = { 'x-api-key': flooder.key };
    const running = post(url.href, asFlooder, tokensOf(1));
    await vi.waitFor(() => expect(tokens.held()).toBe(1), WAIT);
    const waiting = post(url.href, asFlooder, tokensOf(2));
    await vi.waitFor(async () => expect(valueOf(await observed.scrape(), 'graphql_admission_queued')).toBe(1), WAIT);

    const connection = await rawConnection(url);
    connection.write(connection.head(url.pathname, { ...asFlooder, 'x-request-id': 'shed-unread' }, 100) + '{"query":');
    const shed = await connection.nextResponse();
    connection.close();
    expect(shed.status).toBe(503);
    expect(Number(shed.headers['retry-after'])).toBeGreaterThanOrEqual(1);
    expect(JSON.parse(shed.body).errors).toEqual([
      { message: expect.stringContaining("this client's queue is full"), extensions: { code: 'OVERLOADED', retryAfter: Number(shed.headers['retry-after']), requestId: 'shed-unread' } },
    ]);

    tokens.release();
    expect((await running).status).toBe(200);
    expect((await waiting).status).toBe(200);
    const metrics = await observed.scrape();
    expect(valueOf(metrics, 'graphql_unread_refusals_total', { code: 'OVERLOADED' })).toBe(1);
    expect(valueOf(metrics, 'graphql_admissions_total', { class: 'unparsed', outcome: 'client-queue-full' })).toBe(1);
    expect(observed.lines().filter((line) => line['logger'] === 'request' && line['status'] === 503)).toEqual([]);
    expect(observed.lines().some((line) => line.msg.startsWith('overloaded: shedding operations'))).toBe(true);
  });
});
