import type { AdmissionSettings } from './admission.ts';
import type { CorsOrigins } from './cors.ts';
import { createPublicKey, type KeyObject } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { z } from 'zod';
import { SCOPES, type Scope } from '../schema/context.ts';
import { readTrustedManifests, type TrustedManifest } from './trusted-manifests.ts';
import type { CallPolicySettings, UpstreamTimeouts } from '../upstreams/policy.ts';

type UpstreamKey = 'gate' | 'edge' | 'switch';

/** The API prefix each upstream's docs give its base URL. */
const documentedPrefix: Record<UpstreamKey, string> = { gate: '/api/v1', edge: '/api', switch: '/v1' };

/** A base URL that can only be right: http(s), with a path (the API prefix), nothing that would be dropped. */
function baseUrl(upstream: UpstreamKey) {
  return z
    .url({ protocol: /^https?$/, error: 'must be an http(s) URL including the API prefix' })
    .superRefine((value, ctx) => {
      // zod runs this after a failed format check too: that value has been named already.
      if (!URL.canParse(value)) return;
      const url = new URL(value);
      const problem =
        url.username || url.password
          ? `must not carry credentials: they go in the ${upstream.toUpperCase()}_… credential settings`
          : url.search || url.hash || value.includes('?') || value.includes('#')
            ? 'must not have a query or a fragment: nothing but the base URL is read'
            : url.pathname === '/' || url.pathname === ''
              ? `must include the API prefix (${upstream}'s docs give ${documentedPrefix[upstream]})`
              : undefined;
      if (problem) ctx.addIssue({ code: 'custom', message: problem });
    })
    .optional();
}

/** A whole number written plainly: no sign, exponent, hex, spaces or empty value. */
function optionalWholeNumber(min: number, max: number) {
  return z
    .string()
    .regex(/^\d+$/, `must be a whole number from ${min} to ${max}`)
    .transform(Number)
    .pipe(z.number().min(min, `must be at least ${min}`).max(max, `must be at most ${max}`))
    .optional();
}

function wholeNumber(min: number, max: number, fallback: number) {
  return optionalWholeNumber(min, max).default(fallback);
}

/** The most gateway processes `WORKERS` may ask for: far more than any machine's cores. */
const MAX_WORKERS = 1024;

/** `WORKERS`: how many gateway processes serve the port, or `auto`: one per core available to this process. */
const workerCount = z
  .string()
  .regex(/^(\d+|auto)$/, `must be a whole number from 1 to ${MAX_WORKERS}, or "auto" (one per core available)`)
  .transform((value) => (value === 'auto' ? availableParallelism() : Number(value)))
  .pipe(z.number().min(1, 'must be at least 1').max(MAX_WORKERS, `must be at most ${MAX_WORKERS}`));

const optionalSecret = z.string().min(1, 'must not be empty').optional();

/** A share from just above 0 to 1, as a plain decimal (`0.5`). */
const ratio = (fallback: number) =>
  z
    .string()
    .regex(/^0(\.\d+)?$/, 'must be a decimal above 0 and below 1, e.g. 0.5')
    .transform(Number)
    .pipe(z.number().gt(0, 'must be more than 0'))
    .default(fallback);

/**
 * `CORS_ORIGINS`: `*` alone, or origins exactly as browsers send them in `Origin` (http(s), lower
 * case, no default port, nothing after the host: not even "/"), comma-separated. A bad entry is
 * named by its place in the list; a page of an origin that could never match would go unserved.
 */
const corsOrigins = z
  .string()
  .transform((list, ctx) => {
    const entries = list.split(',').map((entry) => entry.trim());
    if (entries.length === 1 && entries[0] === '*') return '*' as const;
    entries.forEach((entry, index) => {
      if (!isOrigin(entry)) {
        const problem = entry === '*' ? '"*" stands alone (any origin) or not at all' : 'must be an origin: http(s)://host[:port] in lower case, with nothing after it';
        ctx.addIssue({ code: 'custom', message: `entry ${index + 1} ${problem}` });
      }
    });
    return entries;
  });

function isOrigin(entry: string): boolean {
  if (!URL.canParse(entry)) return false;
  const url = new URL(entry);
  return (url.protocol === 'http:' || url.protocol === 'https:') && url.origin === entry;
}

const flag = z.enum(['true', 'false'], 'must be "true" or "false"').transform((value) => value === 'true');

/** Signature algorithms verified with a public key; shared-secret (HS*) ones are not taken. */
const JWT_ALGORITHMS = ['RS256', 'RS384', 'RS512', 'PS256', 'PS384', 'PS512', 'ES256', 'ES384', 'ES512', 'EdDSA'] as const;

/** One configured API key: only the SHA-256 of the key itself is ever configured. */
const apiKeySchema = z
  .strictObject({
    id: z.string().min(1, 'must not be empty').max(64, 'must be at most 64 characters'),
    sha256: z.string().regex(/^[0-9a-f]{64}$/, 'must be the lower-case hex SHA-256 of the key'),
    scopes: z.array(z.enum(SCOPES, `must be among ${SCOPES.join(', ')}`)),
    organization: z.string().min(1, 'must not be empty').optional(),
  })
  .refine((key) => key.organization !== undefined || key.scopes.includes('admin'), {
    message: 'must have an organization, or the admin scope',
    path: ['organization'],
  });
const apiKeysSchema = z.array(apiKeySchema);

const settings = z.object({
  HOST: z.string().min(1, 'must not be empty').optional(),
  PORT: wholeNumber(0, 65_535, 4000),
  WORKERS: workerCount.default(1),
  GATE_URL: baseUrl('gate'),
  GATE_TOKEN: optionalSecret,
  EDGE_URL: baseUrl('edge'),
  EDGE_USERNAME: z.string().min(1, 'must not be empty').regex(/^[^:]*$/, 'must not contain ":" (HTTP Basic splits on it)').optional(),
  EDGE_PASSWORD: optionalSecret,
  EDGE_TOKEN: z.string().regex(/^[^:]+:.+$/, 'must be "user:token"').optional(),
  SWITCH_URL: baseUrl('switch'),
  SWITCH_TOKEN: optionalSecret,
  UPSTREAM_TIMEOUT_MS: wholeNumber(1, 600_000, 10_000),
  REQUEST_DEADLINE_MS: wholeNumber(1, 600_000, 10_000),
  UPSTREAM_CONNECT_TIMEOUT_MS: wholeNumber(1, 600_000, 2_000),
  UPSTREAM_HEADERS_TIMEOUT_MS: wholeNumber(1, 600_000, 10_000),
  UPSTREAM_BODY_TIMEOUT_MS: wholeNumber(1, 600_000, 10_000),
  GATE_TIMEOUT_MS: optionalWholeNumber(1, 600_000),
  GATE_CONNECT_TIMEOUT_MS: optionalWholeNumber(1, 600_000),
  GATE_HEADERS_TIMEOUT_MS: optionalWholeNumber(1, 600_000),
  GATE_BODY_TIMEOUT_MS: optionalWholeNumber(1, 600_000),
  EDGE_TIMEOUT_MS: optionalWholeNumber(1, 600_000),
  EDGE_CONNECT_TIMEOUT_MS: optionalWholeNumber(1, 600_000),
  EDGE_HEADERS_TIMEOUT_MS: optionalWholeNumber(1, 600_000),
  EDGE_BODY_TIMEOUT_MS: optionalWholeNumber(1, 600_000),
  SWITCH_TIMEOUT_MS: optionalWholeNumber(1, 600_000),
  SWITCH_CONNECT_TIMEOUT_MS: optionalWholeNumber(1, 600_000),
  SWITCH_HEADERS_TIMEOUT_MS: optionalWholeNumber(1, 600_000),
  SWITCH_BODY_TIMEOUT_MS: optionalWholeNumber(1, 600_000),
  UPSTREAM_RETRIES: wholeNumber(0, 10, 2),
  UPSTREAM_RETRY_BASE_MS: wholeNumber(1, 60_000, 100),
  UPSTREAM_RETRY_MAX_MS: wholeNumber(1, 600_000, 2_000),
  UPSTREAM_BREAKER_FAILURE_RATIO: ratio(0.5),
  UPSTREAM_BREAKER_WINDOW_MS: wholeNumber(100, 3_600_000, 10_000),
  UPSTREAM_BREAKER_MIN_CALLS: wholeNumber(1, 1_000_000, 20),
  UPSTREAM_BREAKER_HALF_OPEN_AFTER_MS: wholeNumber(1, 3_600_000, 5_000),
  UPSTREAM_MAX_QUEUED: wholeNumber(0, 1_000_000, 16_384),
  UPSTREAM_CONNECTIONS: wholeNumber(1, 65_536, 256),
  UPSTREAM_SHARE_READS: flag.default(true),
  UPSTREAM_CACHE_TTL_MS: wholeNumber(0, 86_400_000, 0),
  GATE_CACHE_TTL_MS: optionalWholeNumber(0, 86_400_000),
  EDGE_CACHE_TTL_MS: optionalWholeNumber(0, 86_400_000),
  SWITCH_CACHE_TTL_MS: optionalWholeNumber(0, 86_400_000),
  UPSTREAM_CACHE_TIMEOUT_MS: wholeNumber(1, 10_000, 500),
  ADMISSION_BUDGET: optionalWholeNumber(1, 100_000_000),
  ADMISSION_MAX_QUEUED: wholeNumber(0, 1_000_000, 1000),
  ADMISSION_MAX_QUEUED_PER_CLIENT: wholeNumber(0, 1_000_000, 200),
  UPSTREAM_MAX_RESPONSE_BYTES: wholeNumber(1024, 1024 ** 3, 10 * 1024 ** 2),
  EDGE_MAX_PAGES: wholeNumber(1, 1_000_000, 1000),
  EDGE_PAGE_SIZE: wholeNumber(1, 100_000, 500),
  EDGE_NAME_SEARCH_MAX_MATCHES: wholeNumber(1, 1_000_000, 1000),
  SWITCH_NAME_SEARCH_MAX_MATCHES: wholeNumber(1, 1_000_000, 1000),
  TENANT_SCAN_MAX_ITEMS: wholeNumber(1, 10_000_000, 20_000),
  REDIS_URL: z.url({ protocol: /^rediss?$/, error: 'must be a redis:// or rediss:// URL' }).optional(),
  AUTH_MODE: z.enum(['required', 'none'], 'must be "required" or "none"').default('required'),
  API_KEYS: z.string().min(1, 'must not be empty').optional(),
  API_KEYS_FILE: z.string().min(1, 'must not be empty').optional(),
  JWT_PUBLIC_KEY: z.string().min(1, 'must not be empty').optional(),
  JWT_JWKS_URL: z.url({ protocol: /^https?$/, error: 'must be an http(s) URL' }).optional(),
  JWT_ISSUER: z.string().min(1, 'must not be empty').optional(),
  JWT_AUDIENCE: z.string().min(1, 'must not be empty').optional(),
  JWT_ALGORITHMS: z
    .string()
    .transform((list) => list.split(',').map((algorithm) => algorithm.trim()))
    .pipe(z.array(z.enum(JWT_ALGORITHMS, `must list algorithms among ${JWT_ALGORITHMS.join(', ')}`)).min(1))
    .default(['RS256', 'ES256']),
  MAX_UPSTREAM_CALLS: wholeNumber(1, 1_000_000, 1000),
  QUERY_MAX_DEPTH: wholeNumber(1, 100, 12),
  QUERY_MAX_ALIASES: wholeNumber(0, 10_000, 30),
  QUERY_MAX_TOKENS: wholeNumber(1, 1_000_000, 5000),
  QUERY_MAX_DIRECTIVES: wholeNumber(0, 10_000, 20),
  MAX_REQUEST_BYTES: wholeNumber(1024, 100 * 1024 ** 2, 100 * 1024),
  RATE_LIMIT_PER_MINUTE: optionalWholeNumber(1, 10_000_000),
  CLIENT_MAX_IN_FLIGHT: wholeNumber(1, 1_000_000, 100),
  // At most Redis's own command timeout (2 s): past that the command has failed anyway.
  RATE_LIMIT_REDIS_WAIT_MS: wholeNumber(1, 2_000, 100),
  CORS_ORIGINS: corsOrigins.optional(),
  TRUSTED_DOCUMENTS: z
    .string()
    .transform((list) => list.split(',').map((path) => path.trim()))
    .pipe(z.array(z.string().min(1, 'must list paths, comma-separated, none empty')))
    .optional(),
  TRUSTED_DOCUMENTS_ONLY: flag.optional(),
  NODE_ENV: z.string().optional(),
  INTROSPECTION: flag.optional(),
  GRAPHIQL: flag.optional(),
  LOCK_WAIT_MS: wholeNumber(1, 600_000, 10_000),
  WRITE_RECOVERY_MS: wholeNumber(1, 600_000, 10_000),
  WRITE_SETTLE_MS: wholeNumber(0, 86_400_000, 60_000),
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  OTEL_EXPORTER_OTLP_ENDPOINT: z.url({ protocol: /^https?$/, error: 'must be an http(s) URL (the OTLP/HTTP collector, e.g. http://127.0.0.1:4318)' }).optional(),
  OTEL_SERVICE_NAME: z.string().min(1, 'must not be empty').default('user-gateway'),
});

/** Every environment variable the gateway reads. */
export const SETTING_NAMES: ReadonlySet<string> = new Set(Object.keys(settings.shape));

const envSchema = settings.superRefine((env, ctx) => {
  const complain = (path: keyof typeof env, message: string) => ctx.addIssue({ code: 'custom', path: [path], message });
  const requires = (when: keyof typeof env, needed: keyof typeof env) => {
    if (env[when] && !env[needed]) complain(needed, `is required when ${when} is set`);
  };
  requires('GATE_URL', 'GATE_TOKEN');
  requires('SWITCH_URL', 'SWITCH_TOKEN');
  if (env.EDGE_URL && !env.EDGE_TOKEN && !(env.EDGE_USERNAME && env.EDGE_PASSWORD)) {
    complain(env.EDGE_USERNAME ? 'EDGE_PASSWORD' : 'EDGE_USERNAME', 'is required when EDGE_URL is set (or set EDGE_TOKEN as "user:token")');
  }
  if (env.EDGE_TOKEN && (env.EDGE_USERNAME || env.EDGE_PASSWORD)) {
    complain('EDGE_TOKEN', 'and EDGE_USERNAME/EDGE_PASSWORD are two ways to sign in to edge: set one of them');
  }
  // A credential without its URL would be silently unused: the embedded simulator answers instead.
  const credentials: [keyof typeof env, keyof typeof env][] = [
    ['GATE_TOKEN', 'GATE_URL'],
    ['EDGE_USERNAME', 'EDGE_URL'],
    ['EDGE_PASSWORD', 'EDGE_URL'],
    ['EDGE_TOKEN', 'EDGE_URL'],
    ['SWITCH_TOKEN', 'SWITCH_URL'],
  ];
  for (const [credential, url] of credentials) {
    if (env[credential] && !env[url]) complain(credential, `is set but ${url} is not, so it would go unused`);
  }
  const oneOf = (a: keyof typeof env, b: keyof typeof env) => {
    if (env[a] && env[b]) complain(a, `and ${b} are two ways to say the same: set one of them`);
  };
  oneOf('API_KEYS', 'API_KEYS_FILE');
  if (env.TRUSTED_DOCUMENTS_ONLY && !env.TRUSTED_DOCUMENTS) complain('TRUSTED_DOCUMENTS_ONLY', 'needs TRUSTED_DOCUMENTS: no document would be trusted');
  oneOf('JWT_PUBLIC_KEY', 'JWT_JWKS_URL');
  if (env.JWT_PUBLIC_KEY || env.JWT_JWKS_URL) {
    for (const needed of ['JWT_ISSUER', 'JWT_AUDIENCE'] as const) {
      if (!env[needed]) complain(needed, 'is required with JWT_PUBLIC_KEY or JWT_JWKS_URL');
    }
  }
  if (env.WORKERS > 1) {
    // A promise one worker made (an idempotency key, a lock, a client's count) must hold in the others.
    if (!env.REDIS_URL) {
      complain('REDIS_URL', `is required when WORKERS is more than 1 (it is ${env.WORKERS}): the workers share locks, idempotency keys and rate limits through it`);
    }
    // Each worker takes its share of these (see \`loadConfig\`): each needs at least one.
    for (const total of ['UPSTREAM_CONNECTIONS', 'ADMISSION_BUDGET'] as const) {
      const value = env[total];
      if (value !== undefined && value < env.WORKERS) complain(total, `must be at least WORKERS (${env.WORKERS}): each worker takes an equal share of it`);
    }
  }
  // Real upstreams behind no client authentication is a choice to make out loud, not by omission.
  const realUpstreams = ['GATE_URL', 'EDGE_URL', 'SWITCH_URL'].filter((url) => env[url as keyof typeof env]);
  const clientsAuthenticate = env.API_KEYS || env.API_KEYS_FILE || env.JWT_PUBLIC_KEY || env.JWT_JWKS_URL;
  if (realUpstreams.length && !clientsAuthenticate && env.AUTH_MODE !== 'none') {
    complain(
      'API_KEYS',
      `(or API_KEYS_FILE, JWT_PUBLIC_KEY, JWT_JWKS_URL) is required when real upstreams are configured (${realUpstreams.join(', ')}); AUTH_MODE=none serves without client authentication`,
    );
  }
});

export interface UpstreamSettings {
  url: string;
  headers: Record<string, string>;
}

export interface GatewayConfig {
  /** Where to listen: `HOST`, else loopback for the demo (every upstream simulated), else every interface. */
  host: string;
  port: number;
  /**
   * The gateway processes serving the port (`WORKERS`; 1: this one alone). The settings that bound
   * the whole gateway's upstream traffic (connections, bulkheads, admission) are given here as one
   * process's share of them.
   */
  workers: number;
  /** How long one GraphQL request may take; every upstream call of it gets at most what is left. */
  requestDeadlineMs: number;
  /** Each upstream's own, or `UPSTREAM_…` where it has none. */
  upstreamTimeouts: Record<UpstreamKey, UpstreamTimeouts>;
  /** Retries, circuit breaker and bulkhead: one policy, one breaker and bulkhead per upstream (this process's share of the bulkhead). */
  callPolicy: CallPolicySettings;
  /** Connections per upstream of this process: its share of `UPSTREAM_CONNECTIONS`. */
  upstreamConnections: number;
  /** Identical reads in flight at once share one upstream call. */
  upstreamShareReads: boolean;
  /** The cache of upstream reads (off for an upstream whose TTL is 0): shared through Redis when `redisUrl` is set. */
  upstreamCache: UpstreamCacheSettings;
  upstreamMaxResponseBytes: number;
  edgeMaxPages: number;
  /** The page size edge lists are asked for in, once their links show the parameter (edge serves up to its own cap). */
  edgePageSize: number;
  edgeNameSearchMaxMatches: number;
  switchNameSearchMaxMatches: number;
  /** The most items of a gate or switch list read to filter it for an organization-bound client. */
  tenantScanMaxItems: number;
  /** Locks and idempotency keys shared by every gateway process on it; without it they live in this process. */
  redisUrl: string | undefined;
  /** How long a balance change waits for its user's lock, and a repeated request for the first one. */
  lockWaitMs: number;
  /** The time read-backs and undo steps of a write get of their own, past the request's deadline. */
  writeRecoveryMs: number;
  /** How long after sending a write that got no answer it is taken to be still on its way. */
  writeSettleMs: number;
  logLevel: 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace' | 'silent';
  /** Where spans go (OTLP over HTTP), and the service they name; undefined: no tracing at all. */
  tracing: { endpoint: string; serviceName: string } | undefined;
  auth: AuthSettings;
  queryLimits: QueryLimits;
  /** Production (`NODE_ENV=production`) hides the schema unless asked: introspection and suggestions, and GraphiQL. */
  introspection: boolean;
  graphiql: boolean;
  /** Requests one client may make a minute (shared through Redis when REDIS_URL is set); undefined: no limit. */
  rateLimitPerMinute: number | undefined;
  /** How long a request waits for Redis to count it; past that it is counted in this process (failing open). */
  rateLimitRedisWaitMs: number;
  /** GraphQL requests one client may have under way in this process; the next is refused before it is read. */
  clientMaxInFlight: number;
  /** The origins whose pages get a CORS grant (`CORS_ORIGINS`); none unless listed. */
  corsOrigins: CorsOrigins;
  /** Admission control: the queries this process runs at once, in estimated upstream calls, and who waits (its share of `ADMISSION_…`). */
  admission: AdmissionSettings;
  /** The persisted documents of `TRUSTED_DOCUMENTS`, and whether only they run; undefined: none. */
  trustedDocuments: TrustedDocumentSettings | undefined;
  /** Warnings for start-up: variables named like settings of this gateway that are none (typos, say). */
  warnings: string[];
  /** An upstream left unset is served by its embedded simulator. */
  upstreams: { gate?: UpstreamSettings; edge?: UpstreamSettings; switch?: UpstreamSettings };
}

export interface UpstreamCacheSettings {
  /** How long a read answers again, per upstream: its own `…_CACHE_TTL_MS`, else `UPSTREAM_CACHE_TTL_MS`; 0: never. */
  ttlMs: Record<UpstreamKey, number>;
  /** How long one look into the cache (or one store) may take before the read goes upstream anyway. */
  timeoutMs: number;
}

export interface ApiKeyEntry {
  id: string;
  sha256: string;
  scopes: Scope[];
  organization?: string;
}

export interface JwtSettings {
  /** The PEM key, or the JWKS URL (cached, read again on an unknown `kid`). */
  key: { publicKey: KeyObject } | { jwksUrl: string };
  issuer: string;
  audience: string;
  algorithms: string[];
}

/** How clients prove who they are: keys and tokens (checked), or nobody (`none`: every client may do everything). */
export type AuthSettings = { mode: 'none' } | { mode: 'required'; apiKeys: ApiKeyEntry[]; jwt: JwtSettings | undefined };

/** What one query may ask for; past any of it, it is refused before any upstream call. */
export interface QueryLimits {
  /** In worst-case upstream calls. */
  maxUpstreamCalls: number;
  maxDepth: number;
  maxAliases: number;
  maxTokens: number;
  maxDirectives: number;
  maxRequestBytes: number;
}

export interface TrustedDocumentSettings {
  /** Every manifest's documents, by the hex of their sha256. */
  manifest: TrustedManifest;
  /** `TRUSTED_DOCUMENTS_ONLY`: every other document is refused (PERSISTED_QUERY_ONLY); in production unless set to false. */
  only: boolean;
}

export class ConfigError extends Error {
  override readonly name = 'ConfigError';
}

/** An upstream's timeouts: its own settings (`GATE_TIMEOUT_MS`…) where given, else the `UPSTREAM_…` ones. */
function timeoutsOf(config: z.output<typeof settings>, upstream: 'GATE' | 'EDGE' | 'SWITCH'): UpstreamTimeouts {
  return {
    connectMs: config[`${upstream}_CONNECT_TIMEOUT_MS`] ?? config.UPSTREAM_CONNECT_TIMEOUT_MS,
    headersMs: config[`${upstream}_HEADERS_TIMEOUT_MS`] ?? config.UPSTREAM_HEADERS_TIMEOUT_MS,
    bodyMs: config[`${upstream}_BODY_TIMEOUT_MS`] ?? config.UPSTREAM_BODY_TIMEOUT_MS,
    callMs: config[`${upstream}_TIMEOUT_MS`] ?? config.UPSTREAM_TIMEOUT_MS,
  };
}

/** Reads and checks the environment; a bad variable is named, its value never shown. */
export function loadConfig(env: NodeJS.ProcessEnv = process.env): GatewayConfig {
  const result = envSchema.safeParse(env);
  if (!result.success) {
    const problems = result.error.issues.map((issue) => `${issue.path.join('.')} ${issue.message}`);
    throw new ConfigError(`Invalid configuration:\n  ${problems.join('\n  ')}`);
  }
  const config = result.data;
  const share = (total: number) => Math.floor(total / config.WORKERS);
  return {
    host: config.HOST ?? (config.GATE_URL || config.EDGE_URL || config.SWITCH_URL ? '0.0.0.0' : '127.0.0.1'),
    port: config.PORT,
    workers: config.WORKERS,
    requestDeadlineMs: config.REQUEST_DEADLINE_MS,
    upstreamTimeouts: {
      gate: timeoutsOf(config, 'GATE'),
      edge: timeoutsOf(config, 'EDGE'),
      switch: timeoutsOf(config, 'SWITCH'),
    },
    callPolicy: {
      retry: { retries: config.UPSTREAM_RETRIES, baseDelayMs: config.UPSTREAM_RETRY_BASE_MS, maxDelayMs: config.UPSTREAM_RETRY_MAX_MS },
      breaker: {
        failureRatio: config.UPSTREAM_BREAKER_FAILURE_RATIO,
        windowMs: config.UPSTREAM_BREAKER_WINDOW_MS,
        minimumCalls: config.UPSTREAM_BREAKER_MIN_CALLS,
        halfOpenAfterMs: config.UPSTREAM_BREAKER_HALF_OPEN_AFTER_MS,
      },
      bulkhead: { maxInFlight: share(config.UPSTREAM_CONNECTIONS), maxQueued: share(config.UPSTREAM_MAX_QUEUED) },
    },
    upstreamConnections: share(config.UPSTREAM_CONNECTIONS),
    upstreamShareReads: config.UPSTREAM_SHARE_READS,
    upstreamCache: {
      ttlMs: {
        gate: config.GATE_CACHE_TTL_MS ?? config.UPSTREAM_CACHE_TTL_MS,
        edge: config.EDGE_CACHE_TTL_MS ?? config.UPSTREAM_CACHE_TTL_MS,
        switch: config.SWITCH_CACHE_TTL_MS ?? config.UPSTREAM_CACHE_TTL_MS,
      },
      timeoutMs: config.UPSTREAM_CACHE_TIMEOUT_MS,
    },
    upstreamMaxResponseBytes: config.UPSTREAM_MAX_RESPONSE_BYTES,
    edgeMaxPages: config.EDGE_MAX_PAGES,
    edgePageSize: config.EDGE_PAGE_SIZE,
    edgeNameSearchMaxMatches: config.EDGE_NAME_SEARCH_MAX_MATCHES,
    switchNameSearchMaxMatches: config.SWITCH_NAME_SEARCH_MAX_MATCHES,
    tenantScanMaxItems: config.TENANT_SCAN_MAX_ITEMS,
    redisUrl: config.REDIS_URL,
    lockWaitMs: config.LOCK_WAIT_MS,
    writeRecoveryMs: config.WRITE_RECOVERY_MS,
    writeSettleMs: config.WRITE_SETTLE_MS,
    logLevel: config.LOG_LEVEL,
    tracing: config.OTEL_EXPORTER_OTLP_ENDPOINT ? { endpoint: config.OTEL_EXPORTER_OTLP_ENDPOINT, serviceName: config.OTEL_SERVICE_NAME } : undefined,
    auth: authSettings(config),
    queryLimits: {
      maxUpstreamCalls: config.MAX_UPSTREAM_CALLS,
      maxDepth: config.QUERY_MAX_DEPTH,
      maxAliases: config.QUERY_MAX_ALIASES,
      maxTokens: config.QUERY_MAX_TOKENS,
      maxDirectives: config.QUERY_MAX_DIRECTIVES,
      maxRequestBytes: config.MAX_REQUEST_BYTES,
    },
    introspection: config.INTROSPECTION ?? config.NODE_ENV !== 'production',
    graphiql: config.GRAPHIQL ?? config.NODE_ENV !== 'production',
    rateLimitPerMinute: config.RATE_LIMIT_PER_MINUTE,
    rateLimitRedisWaitMs: config.RATE_LIMIT_REDIS_WAIT_MS,
    clientMaxInFlight: config.CLIENT_MAX_IN_FLIGHT,
    corsOrigins: config.CORS_ORIGINS ?? [],
    admission: {
      // A query holds its estimate for its whole run, while its calls are in flight only level by
      // level: three times the three pools' connections runs some 8 nested queries at once, where
      // the overload bench measured the most answers per second (see README, "Admission control").
      // Each of WORKERS processes admits its share: together they keep the budget (and the queues' bounds).
      budget: share(config.ADMISSION_BUDGET ?? 3 * 3 * config.UPSTREAM_CONNECTIONS),
      maxQueued: share(config.ADMISSION_MAX_QUEUED),
      maxQueuedPerClient: share(config.ADMISSION_MAX_QUEUED_PER_CLIENT),
    },
    trustedDocuments: trustedDocumentSettings(config),
    warnings: [...unknownSettings(env), ...ignoredCredentials(config)],
    upstreams: {
      gate: config.GATE_URL ? { url: config.GATE_URL, headers: gateHeaders(config.GATE_TOKEN ?? '') } : undefined,
      edge: config.EDGE_URL
        ? {
            url: config.EDGE_URL,
            headers: edgeHeaders(
              config.EDGE_TOKEN ? { token: config.EDGE_TOKEN } : { username: config.EDGE_USERNAME ?? '', password: config.EDGE_PASSWORD ?? '' },
            ),
          }
        : undefined,
      switch: config.SWITCH_URL ? { url: config.SWITCH_URL, headers: switchHeaders(config.SWITCH_TOKEN ?? '') } : undefined,
    },
  };
}

/** The API keys from API_KEYS or the file API_KEYS_FILE names, checked entry by entry. */
function apiKeysFrom(config: z.output<typeof settings>): ApiKeyEntry[] {
  const [setting, text] = config.API_KEYS_FILE
    ? ['API_KEYS_FILE', readSetting('API_KEYS_FILE', () => readFileSync(config.API_KEYS_FILE as string, 'utf8'))]
    : ['API_KEYS', config.API_KEYS];
  if (text === undefined) return [];
  const json = readSetting(setting, () => JSON.parse(text) as unknown, 'is not JSON');
  const parsed = apiKeysSchema.safeParse(json);
  if (!parsed.success) {
    const problems = parsed.error.issues.map((issue) => `${setting}[${issue.path.join('.')}] ${issue.message}`);
    throw new ConfigError(`Invalid configuration:\n  ${problems.join('\n  ')}`);
  }
  const ids = parsed.data.map((key) => key.id);
  const repeated = ids.find((id, index) => ids.indexOf(id) !== index);
  if (repeated) throw new ConfigError(`Invalid configuration:\n  ${setting} names the key id "${repeated}" twice`);
  return parsed.data;
}

/** Reads what a setting names, or names the setting (never its value) when that fails. */
function readSetting<T>(setting: string, read: () => T, problem = 'cannot be read'): T {
  try {
    return read();
  } catch {
    throw new ConfigError(`Invalid configuration:\n  ${setting} ${problem}`);
  }
}

function authSettings(config: z.output<typeof settings>): AuthSettings {
  const apiKeys = apiKeysFrom(config);
  const verified = apiKeys.length > 0 || config.JWT_PUBLIC_KEY !== undefined || config.JWT_JWKS_URL !== undefined;
  if (config.AUTH_MODE === 'none' || !verified) return { mode: 'none' };
  const key = config.JWT_PUBLIC_KEY
    ? { publicKey: readSetting('JWT_PUBLIC_KEY', () => createPublicKey(config.JWT_PUBLIC_KEY as string), 'is not a PEM public key') }
    : config.JWT_JWKS_URL
      ? { jwksUrl: config.JWT_JWKS_URL }
      : undefined;
  const jwt = key && { key, issuer: config.JWT_ISSUER as string, audience: config.JWT_AUDIENCE as string, algorithms: config.JWT_ALGORITHMS };
  return { mode: 'required', apiKeys, jwt };
}

function trustedDocumentSettings(config: z.output<typeof settings>): TrustedDocumentSettings | undefined {
  if (!config.TRUSTED_DOCUMENTS) return undefined;
  const { documents, problems } = readTrustedManifests(config.TRUSTED_DOCUMENTS);
  if (problems.length) throw new ConfigError(`Invalid configuration:\n  ${problems.join('\n  ')}`);
  return { manifest: documents, only: config.TRUSTED_DOCUMENTS_ONLY ?? config.NODE_ENV === 'production' };
}

/** Credentials configured while AUTH_MODE=none turns client authentication off: said, since they protect nothing. */
function ignoredCredentials(config: z.output<typeof settings>): string[] {
  const configured = (['API_KEYS', 'API_KEYS_FILE', 'JWT_PUBLIC_KEY', 'JWT_JWKS_URL'] as const).filter((name) => config[name] !== undefined);
  return config.AUTH_MODE === 'none' && configured.length ? [`${configured.join(', ')} ignored: AUTH_MODE=none turns client authentication off`] : [];
}

const settingNames = Object.keys(settings.shape);

/** A variable named like a setting but none is ignored: said at start-up, with the settings of its kind. */
function unknownSettings(env: NodeJS.ProcessEnv): string[] {
  return Object.keys(env)
    .filter((name) => /^(GATE|EDGE|SWITCH|UPSTREAM|REDIS|JWT|API|QUERY|RATE|CORS|TRUSTED|CLIENT)_/.test(name) && !settingNames.includes(name))
    .map((name) => {
      const kind = name.slice(0, name.indexOf('_') + 1);
      return `${name} is not a setting of this gateway and is ignored; the ${kind}… settings are ${settingNames.filter((known) => known.startsWith(kind)).join(', ')}`;
    });
}

export const gateHeaders = (token: string) => ({ authorization: `Bearer ${token}` });

export const edgeHeaders = (credentials: { token: string } | { username: string; password: string }) => ({
  authorization:
    'token' in credentials
      ? `Token ${credentials.token}`
      : `Basic ${Buffer.from(`${credentials.username}:${credentials.password}`).toString('base64')}`,
});

export const switchHeaders = (token: string) => ({ 'x-auth-token': token });
