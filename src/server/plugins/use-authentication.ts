import { createHash, timingSafeEqual } from 'node:crypto';
import type { Plugin } from 'graphql-yoga';
import { createRemoteJWKSet, errors, jwtVerify, type JWTPayload } from 'jose';
import { SCOPES, type Caller, type Scope } from '../../schema/context.ts';
import type { ApiKeyEntry, AuthSettings, JwtSettings } from '../config.ts';

export interface AuthenticationOptions {
  settings: AuthSettings;
  /** Whether GraphiQL is served: its page loads without a credential (its requests then carry one). */
  graphiql: boolean;
  /** Hears why a credential was refused (the client is told only that it was). */
  onRefused?: (reason: string, request: Request) => void;
  /** Hears that the JWKS could not be fetched (the client is answered 503). */
  onKeysUnavailable?: (reason: string, request: Request) => void;
  /** Told of each bearer token verified, so that its caller is known by it before the next request of it is read. */
  known?: KnownCallers;
}

/** Where client authentication is off, a request may do everything. */
const EVERYONE: Caller = { key: 'anonymous', scopes: new Set(SCOPES), organization: undefined };

/** How much clock difference an `exp` or `nbf` is allowed. */
const CLOCK_TOLERANCE_SECONDS = 30;

const callers = new WeakMap<Request, Caller>();

/** The caller the plugin settled for a request. */
export function callerOf(request: Request): Caller {
  const caller = callers.get(request);
  if (!caller) throw new Error('a request reached the schema without being authenticated');
  return caller;
}

class Refused extends Error {}

/** The JWKS could not be fetched: no client's fault, so not a 401 (which would send it to log in again). */
class KeysUnavailable extends Error {}

/**
 * Whether a failed verification is the JWKS endpoint's failure (unreachable, slow, not 200): jose
 * throws its generic error for a bad reply, its timeout, or the fetch's own error.
 */
function isJwksFailure(error: unknown): boolean {
  return error instanceof errors.JWKSTimeout || !(error instanceof errors.JOSEError) || error.code === errors.JOSEError.code;
}

const isScope = (name: string): name is Scope => (SCOPES as readonly string[]).includes(name);

/** A part of a caller's key, its separators escaped: parts given by others (a JWT's subject) cannot forge another caller's key. */
const keyPart = (value: string) => value.replace(/[%:@]/g, (separator) => `%${separator.charCodeAt(0).toString(16).toUpperCase()}`);

/**
 * A caller from its credential (`apikey`, or `jwt:` and the issuer), id, scopes and organization:
 * `admin` sees every organization, and anyone else needs one.
 */
function callerWith(credential: string, id: string, scopes: readonly string[], organization: unknown): Caller {
  const granted = new Set(scopes.filter(isScope));
  const key = `${credential}:${keyPart(id)}`;
  if (granted.has('admin')) return { key, scopes: granted, organization: undefined };
  if (typeof organization !== 'string' || organization === '') throw new Refused(`${id} has neither an organization nor the admin scope`);
  return { key: `${key}@${keyPart(organization)}`, scopes: granted, organization };
}

/** The configured key whose hash matches, compared in constant time against every configured hash. */
function apiKeyEntryOf(keys: readonly ApiKeyEntry[], presented: string): ApiKeyEntry | undefined {
  const digest = createHash('sha256').update(presented).digest();
  let found: ApiKeyEntry | undefined;
  for (const key of keys) {
    if (timingSafeEqual(digest, Buffer.from(key.sha256, 'hex')) && !found) found = key;
  }
  return found;
}

function callerByApiKey(keys: readonly ApiKeyEntry[], presented: string): Caller {
  const found = apiKeyEntryOf(keys, presented);
  if (!found) throw new Refused('an API key that is not configured');
  return callerWith('apikey', found.id, found.scopes, found.organization);
}

/** A verified bearer token's caller, and until when (ms) the token verifies: its `exp` and the clock tolerance. */
export interface VerifiedBearer {
  caller: Caller;
  validUntil: number;
}

/** The token of an `Authorization: Bearer <token>` header; undefined for any other. */
function bearerTokenOf(authorization: string): string | undefined {
  const [scheme, token] = authorization.split(' ');
  return scheme?.toLowerCase() === 'bearer' && token ? token : undefined;
}

function verifierOf(jwt: JwtSettings): (token: string) => Promise<VerifiedBearer> {
  const options = {
    issuer: jwt.issuer,
    audience: jwt.audience,
    algorithms: jwt.algorithms,
    clockTolerance: CLOCK_TOLERANCE_SECONDS,
    requiredClaims: ['exp'],
  };
  // A JWKS is fetched when first needed, cached, and fetched again for a `kid` it does not hold.
  const verify =
    'jwksUrl' in jwt.key
      ? ((jwks) => (token: string) => jwtVerify(token, jwks, options))(createRemoteJWKSet(new URL(jwt.key.jwksUrl)))
      : ((publicKey) => (token: string) => jwtVerify(token, publicKey, options))(jwt.key.publicKey);
  return async (token) => {
    let payload: JWTPayload;
    try {
      payload = (await verify(token)).payload;
    } catch (error) {
      if ('jwksUrl' in jwt.key && isJwksFailure(error)) throw new KeysUnavailable(error instanceof Error ? error.message : 'unknown');
      throw new Refused(`a bearer token that does not verify (${error instanceof Error ? error.name : 'unknown'})`);
    }
    // Without a subject every such token would be one client, sharing keys, limits and audit name.
    if (typeof payload.sub !== 'string' || payload.sub === '') throw new Refused('a bearer token without a subject (sub)');
    const scopes = typeof payload['scope'] === 'string' ? payload['scope'].split(' ').filter(Boolean) : [];
    // `exp` is a required claim: verification failed without it.
    const validUntil = ((payload.exp as number) + CLOCK_TOLERANCE_SECONDS) * 1000;
    return { caller: callerWith(`jwt:${keyPart(jwt.issuer)}`, payload.sub, scopes, payload['org']), validUntil };
  };
}

/** Verified bearer tokens remembered for telling their callers; past it the longest remembered is forgotten. */
const REMEMBERED_BEARERS = 10_000;

const digestOf = (token: string) => createHash('sha256').update(token).digest('base64');

/**
 * Who sent a request, told from its headers alone, verifying nothing anew: the caller of a
 * configured API key (its hash looked up as authentication does), or of a bearer token that
 * authentication verified before, until the token expires. For counting a client's requests before
 * they are read (see `refuseUnread`), never for letting one in: every request let on is
 * authenticated in full. Only the tokens' hashes are kept.
 */
export class KnownCallers {
  readonly #settings: AuthSettings;
  readonly #now: () => number;
  /** Each configured key's caller key; undefined for one that authentication refuses (no organization, not admin). */
  readonly #apiKeyCallers = new Map<ApiKeyEntry, string | undefined>();
  readonly #bearers = new Map<string, { key: string; validUntil: number }>();

  constructor(settings: AuthSettings, now: () => number = Date.now) {
    this.#settings = settings;
    this.#now = now;
    if (settings.mode === 'none') return;
    for (const entry of settings.apiKeys) {
      try {
        this.#apiKeyCallers.set(entry, callerWith('apikey', entry.id, entry.scopes, entry.organization).key);
      } catch {
        this.#apiKeyCallers.set(entry, undefined);
      }
    }
  }

  /** The caller key the credential names, as authentication would settle it (an API key before a bearer token); undefined when not known. */
  keyOf(apiKey: string | undefined, authorization: string | undefined): string | undefined {
    const settings = this.#settings;
    if (settings.mode === 'none') return undefined;
    if (apiKey !== undefined && settings.apiKeys.length) {
      const entry = apiKeyEntryOf(settings.apiKeys, apiKey);
      return entry && this.#apiKeyCallers.get(entry);
    }
    const token = authorization !== undefined && settings.jwt ? bearerTokenOf(authorization) : undefined;
    if (token === undefined) return undefined;
    const digest = digestOf(token);
    const known = this.#bearers.get(digest);
    if (known && known.validUntil > this.#now()) return known.key;
    if (known) this.#bearers.delete(digest);
    return undefined;
  }

  /** Notes a bearer token authentication has just verified. */
  rememberBearer(token: string, verified: VerifiedBearer): void {
    if (this.#bearers.size >= REMEMBERED_BEARERS) this.#bearers.delete(this.#bearers.keys().next().value as string);
    this.#bearers.set(digestOf(token), { key: verified.caller.key, validUntil: verified.validUntil });
  }
}

/** GraphiQL's own page: served without a credential, which its requests then carry in their headers. */
export function asksForGraphiQL(request: Request): boolean {
  return request.method === 'GET' && (request.headers.get('accept') ?? '').includes('text/html') && !new URL(request.url).searchParams.has('query');
}

function keysUnavailable(fetchAPI: { Response: typeof Response }): Response {
  const body = { errors: [{ message: 'The keys that verify bearer tokens cannot be fetched just now; try again shortly.', extensions: { code: 'AUTHENTICATION_UNAVAILABLE' } }] };
  return new fetchAPI.Response(JSON.stringify(body), { status: 503, headers: { 'content-type': 'application/json; charset=utf-8', 'retry-after': '5' } });
}

function unauthenticated(fetchAPI: { Response: typeof Response }): Response {
  const body = { errors: [{ message: 'Send a valid API key (X-API-Key) or bearer token (Authorization: Bearer).', extensions: { code: 'UNAUTHENTICATED' } }] };
  return new fetchAPI.Response(JSON.stringify(body), {
    status: 401,
    headers: { 'content-type': 'application/json; charset=utf-8', 'www-authenticate': 'Bearer realm="user-gateway"' },
  });
}

/**
 * Settles who each request comes from, before anything else runs: an `X-API-Key` (only hashes are
 * configured), or a bearer JWT verified against the configured key or JWKS. A request with no
 * credential, or one that fails, is answered 401 UNAUTHENTICATED at once: no upstream is asked.
 */
export function useAuthentication(options: AuthenticationOptions): Plugin {
  const { settings } = options;
  const verifyJwt = settings.mode === 'required' && settings.jwt ? verifierOf(settings.jwt) : undefined;
  return {
    async onRequest({ request, fetchAPI, endResponse }) {
      if (settings.mode === 'none') {
        callers.set(request, EVERYONE);
        return;
      }
      if (options.graphiql && asksForGraphiQL(request)) return;
      const apiKey = request.headers.get('x-api-key');
      const authorization = request.headers.get('authorization');
      try {
        if (apiKey !== null && settings.apiKeys.length) callers.set(request, callerByApiKey(settings.apiKeys, apiKey));
        else if (authorization !== null && verifyJwt) {
          const token = bearerTokenOf(authorization);
          if (token === undefined) throw new Refused('an Authorization header that is not a bearer token');
          const verified = await verifyJwt(token);
          options.known?.rememberBearer(token, verified);
          callers.set(request, verified.caller);
        } else throw new Refused('no credential');
      } catch (error) {
        if (error instanceof KeysUnavailable) {
          options.onKeysUnavailable?.(error.message, request);
          endResponse(keysUnavailable(fetchAPI));
          return;
        }
        if (!(error instanceof Refused)) throw error;
        options.onRefused?.(error.message, request);
        endResponse(unauthenticated(fetchAPI));
      }
    },
  };
}
