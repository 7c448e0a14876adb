import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { extname, resolve, sep } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { chromium, type Browser } from 'playwright-core';
import { afterAll, beforeAll } from 'vitest';
import { loadConfig } from '../../src/server/config.ts';
import { startGateway, type RunningGateway } from '../../src/server/gateway.ts';

const CHROMIUM = process.env['CHROMIUM_PATH'] ?? '/usr/bin/chromium';
const ROOT = fileURLToPath(new URL('../..', import.meta.url));
/** The test process's own gateway settings, which a spawned gateway does not inherit. */
const GATEWAY_SETTING = /^(API_KEYS|JWT_|AUTH_MODE|GATE_|EDGE_|SWITCH_|REDIS_URL|LOG_LEVEL|TRUSTED_DOCUMENTS|CORS_ORIGINS|NODE_ENV|HOST$|PORT$)/;

/** Debian's Chromium, headless; the flags keep it off this machine's closed network. */
export async function launchChromium(): Promise<Browser> {
  if (!existsSync(CHROMIUM)) {
    throw new Error(`No Chromium at ${CHROMIUM}: install Debian's (apt-get install -y chromium) or set CHROMIUM_PATH.`);
  }
  return chromium.launch({
    executablePath: CHROMIUM,
    args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
}

/**
 * The gateway as `npm start` serves it (embedded simulators; `env` adds settings) and Debian's
 * Chromium, started before the file's tests and closed after them.
 */
export function gatewayAndBrowser(env: NodeJS.ProcessEnv = {}): { gateway: () => RunningGateway; browser: () => Browser } {
  let gateway: RunningGateway | undefined;
  let browser: Browser | undefined;
  beforeAll(async () => {
    browser = await launchChromium();
    gateway = await startGateway(loadConfig({ HOST: '127.0.0.1', PORT: '0', ...env }));
  });
  afterAll(async () => {
    await browser?.close();
    await gateway?.close();
  });
  const started = <T>(value: T | undefined): T => {
    if (value === undefined) throw new Error('not started yet');
    return value;
  };
  return { gateway: () => started(gateway), browser: () => started(browser) };
}

export interface GatewayProcess {
  url: string;
  /** What the process wrote so far, stdout and stderr. */
  output: () => string;
  stop(): Promise<void>;
}

/**
 * The gateway as `npm start` runs it (`node src/index.ts`) on 127.0.0.1 and a free
 * port, with `env` as its settings; resolves once its ready line names its URL.
 */
export async function startGatewayProcess(env: Record<string, string>): Promise<GatewayProcess> {
  const inherited = Object.fromEntries(Object.entries(process.env).filter(([name]) => !GATEWAY_SETTING.test(name)));
  const child = spawn(process.execPath, ['src/index.ts'], {
    cwd: ROOT,
    env: { ...inherited, HOST: '127.0.0.1', PORT: '0', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stderr.on('data', (chunk: Buffer) => (output += String(chunk)));
  const exited = once(child, 'exit');
  const url = await new Promise<string>((resolveUrl, reject) => {
    createInterface({ input: child.stdout }).on('line', (line) => {
      output += `${line}\n`;
      const ready = readyUrl(line);
      if (ready) resolveUrl(ready);
    });
    void exited.then(() => reject(new Error(`the gateway stopped before it was ready:\n${output}`)));
  });
  return {
    url,
    output: () => output,
    stop: async () => {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
      await exited;
    },
  };
}

function readyUrl(line: string): string | undefined {
  try {
    const parsed = JSON.parse(line) as { url?: unknown };
    return typeof parsed.url === 'string' ? parsed.url : undefined;
  } catch {
    return undefined;
  }
}

const CONTENT_TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
};

/**
 * A static server on 127.0.0.1 and a free port for the files below `root`, read when asked for:
 * its origin is known before they are built.
 */
export async function serveDirectory(root: string): Promise<{ origin: string; close(): Promise<void> }> {
  const server = createServer((request, response) => {
    const path = new URL(request.url ?? '/', 'http://localhost').pathname;
    const file = resolve(root, `.${path === '/' ? '/index.html' : decodeURIComponent(path)}`);
    if (!file.startsWith(resolve(root) + sep)) return void response.writeHead(404).end();
    readFile(file).then(
      (body) => response.writeHead(200, { 'content-type': CONTENT_TYPES[extname(file)] ?? 'application/octet-stream' }).end(body),
      () => response.writeHead(404).end(),
    );
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as AddressInfo;
  return {
    origin: `http://127.0.0.1:${port}`,
    close: () =>
      new Promise<void>((resolveClosed) => {
        server.closeAllConnections();
        server.close(() => resolveClosed());
      }),
  };
}
