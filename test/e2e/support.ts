import { existsSync } from 'node:fs';
import { chromium, type Browser } from 'playwright-core';
import { afterAll, beforeAll } from 'vitest';
import { loadConfig } from '../../src/server/config.ts';
import { startGateway, type RunningGateway } from '../../src/server/gateway.ts';

const CHROMIUM = process.env['CHROMIUM_PATH'] ?? '/usr/bin/chromium';

/**
 * The gateway as `npm start` serves it (embedded simulators; `env` adds settings) and Debian's Chromium, started before
 * the file's tests and closed after them. The flags keep Chromium off this machine's closed network.
 */
export function gatewayAndBrowser(env: NodeJS.ProcessEnv = {}): { gateway: () => RunningGateway; browser: () => Browser } {
  let gateway: RunningGateway | undefined;
  let browser: Browser | undefined;
  beforeAll(async () => {
    if (!existsSync(CHROMIUM)) {
      throw new Error(`No Chromium at ${CHROMIUM}: install Debian's (apt-get install -y chromium) or set CHROMIUM_PATH.`);
    }
    gateway = await startGateway(loadConfig({ HOST: '127.0.0.1', PORT: '0', ...env }));
    browser = await chromium.launch({
      executablePath: CHROMIUM,
      args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
    });
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
