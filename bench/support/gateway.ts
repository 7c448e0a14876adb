// The gateway as the benchmarks run it: node itself with the flags of `npm start`, in a child
// process, authenticating its one client by an API key as production does.
import { createHash, randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { startChild, type ManagedChild } from './children.ts';
import type { UpstreamEnv } from './simulators.ts';

const GATEWAY_STARTUP_TIMEOUT_MS = 30_000;

/**
 * The node flags `npm start` runs the gateway with (package.json is their one home); the baseline
 * runs with them too, so that the two are compared on equal terms.
 */
export function startNodeFlags(repositoryRoot: string): string[] {
  const scripts = (JSON.parse(readFileSync(`${repositoryRoot}/package.json`, 'utf8')) as { scripts: Record<string, string> }).scripts;
  const words = (scripts['start'] ?? '').split(/\s+/);
  if (words[0] !== 'node' || words.at(-1) !== 'src/index.ts') throw new Error(`npm start is no longer 'node <flags> src/index.ts': ${scripts['start']}`);
  return words.slice(1, -1);
}

export interface BenchClientKey {
  /** sent as X-API-Key */
  key: string;
  /** the API_KEYS value that admits it (only the key's hash) */
  apiKeys: string;
}

/** A fresh API key for one bench client with these scopes (admin: not bound to an organization). */
export function benchClientKey(id: string, scopes: readonly string[]): BenchClientKey {
  const key = randomBytes(24).toString('base64url');
  return { key, apiKeys: JSON.stringify([{ id, sha256: createHash('sha256').update(key).digest('hex'), scopes }]) };
}

export interface GatewaySpec {
  repositoryRoot: string;
  upstreamEnv: UpstreamEnv;
  port: number;
  clientKey: BenchClientKey;
  /** more variables on top (LOG_LEVEL, say); undefined removes an inherited one */
  env?: Readonly<Record<string, string | undefined>>;
}

/** Starts the gateway and resolves once it printed its ready line. */
export async function startGateway(spec: GatewaySpec): Promise<ManagedChild> {
  // node itself, as npm start runs it: the pid is then the process doing the work.
  const gateway = startChild({
    name: 'gateway',
    command: process.execPath,
    args: [...startNodeFlags(spec.repositoryRoot), 'src/index.ts'],
    cwd: spec.repositoryRoot,
    // An inherited EDGE_TOKEN would make the gateway use it instead of the simulator's basic auth.
    env: {
      ...spec.upstreamEnv,
      HOST: '127.0.0.1',
      PORT: String(spec.port),
      EDGE_TOKEN: undefined,
      API_KEYS: spec.clientKey.apiKeys,
      ...spec.env,
    },
  });
  await gateway.waitForStdout(readyUrl, 'ready line', GATEWAY_STARTUP_TIMEOUT_MS);
  return gateway;
}

/** The URL a line of the gateway's output says it is ready at: its JSON `lifecycle` line that names one. */
export function readyUrl(line: string): string | undefined {
  if (!line.startsWith('{')) return undefined;
  const parsed = JSON.parse(line) as { logger?: unknown; url?: unknown };
  return parsed.logger === 'lifecycle' && typeof parsed.url === 'string' ? parsed.url : undefined;
}
