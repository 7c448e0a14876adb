// The check's side of the conversation: sending GraphQL to the gateway, searching every answer
// for secrets, and the PASS/FAIL report.
import type { Dataset } from './dataset.ts';

const VERBOSE = process.env['VERBOSE'] === '1';

// ---------- reporting ----------

export interface Reporter {
  pass(name: string): void;
  fail(name: string, details: string[]): void;
  /** PASS when `details` is empty, else FAIL with them */
  verdict(name: string, details: string[]): boolean;
}

export const results = { passed: 0, failed: [] as string[] };
export const report: Reporter = {
  pass(name) {
    results.passed++;
    console.log(`PASS ${name}`);
  },
  fail(name, details) {
    results.failed.push(name);
    console.log(`FAIL ${name}`);
    for (const line of VERBOSE ? details : details.slice(0, 6)) console.log(`     ${line}`);
  },
  verdict(name, details) {
    if (details.length === 0) this.pass(name);
    else this.fail(name, details);
    return details.length === 0;
  },
};

// ---------- talking to the gateway ----------

export interface GraphQLError {
  message: string;
  path?: Array<string | number>;
  extensions?: { code?: string; [key: string]: unknown };
}
export interface Answer {
  status: number;
  data: Record<string, unknown> | null | undefined;
  errors: GraphQLError[];
  text: string;
}

/** Everything that must never reach a client; every answer is searched for each. */
const secrets = new Map<string, string>();

export function collectSecrets(data: Dataset): void {
  const { credentials } = data;
  secrets.set(credentials.gateToken, 'gate API token');
  secrets.set(credentials.edgePassword, 'edge password');
  secrets.set(credentials.edgeAdminToken, 'edge admin token');
  secrets.set(credentials.switchToken, 'switch token');
  for (const user of data.gateUsers) secrets.set(user._password_hash, `gate password hash of ${user.username}`);
  for (const user of data.edgeUsers) secrets.set(user._password_hash, `edge password hash of ${user.username}`);
  for (const tokens of data.edgeTokens.values()) {
    for (const token of tokens) {
      secrets.set(token.hashed_token, `edge hashed_token ${token.id}`);
      secrets.set(token._plaintext, `edge plaintext token ${token.id}`);
    }
  }
  for (const item of data.switchItems) {
    secrets.set(item.passwd, `switch passwd of ${item.name}`);
    if (item.cdr_api_token) secrets.set(item.cdr_api_token, `switch cdr_api_token of ${item.name}`);
  }
}

export const leaks: string[] = [];
let answersScanned = 0;
export function answersScannedCount(): number {
  return answersScanned;
}
/** Where a new secret showed up (a plaintext made by a mutation is allowed in that one answer). */
function scanForSecrets(label: string, text: string, allowed: ReadonlySet<string> = new Set()): void {
  answersScanned++;
  for (const [secret, what] of secrets) {
    if (!allowed.has(secret) && text.includes(secret)) leaks.push(`${label}: ${what}`);
  }
  // Key names that only a secret would carry, whatever their value.
  for (const key of ['passwd', 'cdr_api_token', 'hashed_token', 'hashedToken', 'cdrApiToken', 'password']) {
    if (text.includes(`"${key}"`)) leaks.push(`${label}: key "${key}" in the answer`);
  }
}

let gatewayUrl = '';
let gatewayHeaders: Record<string, string> = {};
/** Where graphql() sends its requests from now on, with these extra headers (an API key, say). */
export function setGatewayUrl(url: string, headers: Record<string, string> = {}): void {
  gatewayUrl = url;
  gatewayHeaders = headers;
}

/** The upstream variables the independent servers printed, for reading their state directly. */
let upstreamEnv: Record<string, string> = {};
export function setUpstreamEnv(env: Record<string, string>): void {
  upstreamEnv = env;
}

/** Reads (or writes) an independent upstream directly, with its own credentials: the ground truth. */
export async function rest(upstream: 'gate' | 'edge' | 'switch', path: string): Promise<{ status: number; body: unknown }> {
  const base = upstreamEnv[`${upstream.toUpperCase()}_URL`] as string;
  const headers: Record<string, string> =
    upstream === 'gate'
      ? { authorization: `Bearer ${upstreamEnv['GATE_TOKEN']}` }
      : upstream === 'edge'
        ? { authorization: `Basic ${Buffer.from(`${upstreamEnv['EDGE_USERNAME']}:${upstreamEnv['EDGE_PASSWORD']}`).toString('base64')}` }
        : { 'x-auth-token': upstreamEnv['SWITCH_TOKEN'] as string };
  const response = await fetch(`${base}${path}`, { headers });
  const text = await response.text();
  return { status: response.status, body: text === '' ? undefined : (JSON.parse(text) as unknown) };
}

export async function graphql(label: string, query: string, variables: Record<string, unknown> = {}, options: { allowSecrets?: ReadonlySet<string> } = {}): Promise<Answer> {
  const response = await fetch(gatewayUrl, {
    method: 'POST',
    headers: { 'content-type': 'application/json', accept: 'application/json', ...gatewayHeaders },
    body: JSON.stringify({ query, variables }),
  });
  const text = await response.text();
  scanForSecrets(label, text, options.allowSecrets);
  let body: { data?: Record<string, unknown> | null; errors?: GraphQLError[] } = {};
  try {
    body = JSON.parse(text) as typeof body;
  } catch {
    body = { errors: [{ message: `not JSON: ${text.slice(0, 120)}` }] };
  }
  return { status: response.status, data: body.data, errors: body.errors ?? [], text };
}

export function describeErrors(errors: GraphQLError[]): string[] {
  return errors.slice(0, 4).map((error) => `error at ${(error.path ?? []).join('.') || '(root)'}: [${error.extensions?.code ?? '?'}] ${error.message}`);
}

export function secretsAdd(secret: string, what: string): void {
  secrets.set(secret, what);
}

