import { z } from 'zod';

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
function wholeNumber(min: number, max: number, fallback: number) {
  return z
    .string()
    .regex(/^\d+$/, `must be a whole number from ${min} to ${max}`)
    .transform(Number)
    .pipe(z.number().min(min, `must be at least ${min}`).max(max, `must be at most ${max}`))
    .default(fallback);
}

const optionalSecret = z.string().min(1, 'must not be empty').optional();

const settings = z.object({
  HOST: z.string().min(1, 'must not be empty').default('0.0.0.0'),
  PORT: wholeNumber(0, 65_535, 4000),
  GATE_URL: baseUrl('gate'),
  GATE_TOKEN: optionalSecret,
  EDGE_URL: baseUrl('edge'),
  EDGE_USERNAME: z.string().min(1, 'must not be empty').regex(/^[^:]*$/, 'must not contain ":" (HTTP Basic splits on it)').optional(),
  EDGE_PASSWORD: optionalSecret,
  EDGE_TOKEN: z.string().regex(/^[^:]+:.+$/, 'must be "user:token"').optional(),
  SWITCH_URL: baseUrl('switch'),
  SWITCH_TOKEN: optionalSecret,
  UPSTREAM_TIMEOUT_MS: wholeNumber(1, 600_000, 10_000),
  UPSTREAM_CONNECTIONS: wholeNumber(1, 65_536, 128),
  UPSTREAM_MAX_RESPONSE_BYTES: wholeNumber(1024, 1024 ** 3, 10 * 1024 ** 2),
  EDGE_MAX_PAGES: wholeNumber(1, 1_000_000, 1000),
  EDGE_NAME_SEARCH_MAX_MATCHES: wholeNumber(1, 1_000_000, 1000),
  SWITCH_NAME_SEARCH_MAX_MATCHES: wholeNumber(1, 1_000_000, 1000),
  REDIS_URL: z.url({ protocol: /^rediss?$/, error: 'must be a redis:// or rediss:// URL' }).optional(),
  LOCK_WAIT_MS: wholeNumber(1, 600_000, 10_000),
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
});

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
});

export interface UpstreamSettings {
  url: string;
  headers: Record<string, string>;
}

export interface GatewayConfig {
  host: string;
  port: number;
  upstreamTimeoutMs: number;
  upstreamConnections: number;
  upstreamMaxResponseBytes: number;
  edgeMaxPages: number;
  edgeNameSearchMaxMatches: number;
  switchNameSearchMaxMatches: number;
  /** Locks and idempotency keys shared by every gateway process on it; without it they live in this process. */
  redisUrl: string | undefined;
  /** How long a balance change waits for its user's lock, and a repeated request for the first one. */
  lockWaitMs: number;
  logLevel: 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace' | 'silent';
  /** Warnings for start-up: variables named like settings of this gateway that are none (typos, say). */
  warnings: string[];
  /** An upstream left unset is served by its embedded simulator. */
  upstreams: { gate?: UpstreamSettings; edge?: UpstreamSettings; switch?: UpstreamSettings };
}

export class ConfigError extends Error {
  override readonly name = 'ConfigError';
}

/** Reads and checks the environment; a bad variable is named, its value never shown. */
export function loadConfig(env: NodeJS.ProcessEnv = process.env): GatewayConfig {
  const result = envSchema.safeParse(env);
  if (!result.success) {
    const problems = result.error.issues.map((issue) => `${issue.path.join('.')} ${issue.message}`);
    throw new ConfigError(`Invalid configuration:\n  ${problems.join('\n  ')}`);
  }
  const config = result.data;
  return {
    host: config.HOST,
    port: config.PORT,
    upstreamTimeoutMs: config.UPSTREAM_TIMEOUT_MS,
    upstreamConnections: config.UPSTREAM_CONNECTIONS,
    upstreamMaxResponseBytes: config.UPSTREAM_MAX_RESPONSE_BYTES,
    edgeMaxPages: config.EDGE_MAX_PAGES,
    edgeNameSearchMaxMatches: config.EDGE_NAME_SEARCH_MAX_MATCHES,
    switchNameSearchMaxMatches: config.SWITCH_NAME_SEARCH_MAX_MATCHES,
    redisUrl: config.REDIS_URL,
    lockWaitMs: config.LOCK_WAIT_MS,
    logLevel: config.LOG_LEVEL,
    warnings: unknownSettings(env),
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

const settingNames = Object.keys(settings.shape);

/** A variable named like a setting but none is ignored: said at start-up, with the settings of its kind. */
function unknownSettings(env: NodeJS.ProcessEnv): string[] {
  return Object.keys(env)
    .filter((name) => /^(GATE|EDGE|SWITCH|UPSTREAM|REDIS)_/.test(name) && !settingNames.includes(name))
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
