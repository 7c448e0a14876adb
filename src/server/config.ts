import { z } from 'zod';

const optionalUrl = z
  .url({ protocol: /^https?$/, error: 'must be an http(s) URL including the API prefix' })
  .optional();
const optionalSecret = z.string().min(1).optional();

const envSchema = z
  .object({
    HOST: z.string().min(1).default('0.0.0.0'),
    PORT: z.coerce.number().int().min(0).max(65_535).default(4000),
    GATE_URL: optionalUrl,
    GATE_TOKEN: optionalSecret,
    EDGE_URL: optionalUrl,
    EDGE_USERNAME: optionalSecret,
    EDGE_PASSWORD: optionalSecret,
    EDGE_TOKEN: z.string().regex(/^[^:]+:.+$/, 'must be "user:token"').optional(),
    SWITCH_URL: optionalUrl,
    SWITCH_TOKEN: optionalSecret,
    UPSTREAM_TIMEOUT_MS: z.coerce.number().int().positive().default(10_000),
    UPSTREAM_CONNECTIONS: z.coerce.number().int().positive().default(128),
    LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  })
  .superRefine((env, ctx) => {
    const require = (when: keyof typeof env, needed: keyof typeof env) => {
      if (env[when] && !env[needed]) ctx.addIssue({ code: 'custom', path: [needed], message: `is required when ${when} is set` });
    };
    require('GATE_URL', 'GATE_TOKEN');
    require('SWITCH_URL', 'SWITCH_TOKEN');
    if (env.EDGE_URL && !env.EDGE_TOKEN && !(env.EDGE_USERNAME && env.EDGE_PASSWORD)) {
      ctx.addIssue({
        code: 'custom',
        path: [env.EDGE_USERNAME ? 'EDGE_PASSWORD' : 'EDGE_USERNAME'],
        message: 'is required when EDGE_URL is set (or set EDGE_TOKEN as "user:token")',
      });
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
  logLevel: 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace' | 'silent';
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
    logLevel: config.LOG_LEVEL,
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

export const gateHeaders = (token: string) => ({ authorization: `Bearer ${token}` });

export const edgeHeaders = (credentials: { token: string } | { username: string; password: string }) => ({
  authorization:
    'token' in credentials
      ? `Token ${credentials.token}`
      : `Basic ${Buffer.from(`${credentials.username}:${credentials.password}`).toString('base64')}`,
});

export const switchHeaders = (token: string) => ({ 'x-auth-token': token });
