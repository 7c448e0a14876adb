// What the gateway process writes, as `npm start` runs it: JSON lines only, from start to exit.
import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { once } from 'node:events';
import { describe, expect, it, onTestFinished } from 'vitest';
import { environmentWithoutSettings, readJsonLines } from './support/gateway-process.ts';
import { openSilentServer } from './support/redis.ts';

type Line = Record<string, unknown> & { level: number; logger: string; msg: string };

interface Run {
  /** Every line the process wrote, stdout and stderr alike, parsed. */
  lines: Line[];
  /** The lines that are not JSON. */
  notJson: string[];
  /** Both streams as written. */
  text: string;
  code: number | null;
}

/**
 * Runs `node src/index.ts` with `env` (the gateway's settings of the test's process
 * left out) until it exits by itself, or, once `stopWhen` holds for a line, until SIGTERM ends it.
 */
async function runGateway(env: NodeJS.ProcessEnv, stopWhen?: (line: Line) => boolean): Promise<Run> {
  const child = spawn(process.execPath, ['src/index.ts'], { env: { ...environmentWithoutSettings(), PORT: '0', ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  onTestFinished(() => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  });
  let text = '';
  const lines: Line[] = [];
  const notJson: string[] = [];
  for (const stream of [child.stdout, child.stderr]) {
    stream.on('data', (chunk: Buffer) => (text += String(chunk)));
    readJsonLines<Line>(
      stream,
      (line) => {
        lines.push(line);
        if (stopWhen?.(line)) child.kill('SIGTERM');
      },
      (other) => notJson.push(other),
    );
  }
  const [code] = (await once(child, 'close')) as [number | null];
  return { lines, notJson, text, code };
}

/** A start that failed: exit 1, and one fatal `lifecycle` line with these fields, nothing else. */
function expectOneFatalLine(run: Run, fields: Record<string, unknown>) {
  expect(run.notJson).toEqual([]);
  expect(run.code).toBe(1);
  expect(run.lines).toEqual([expect.objectContaining({ level: 60, logger: 'lifecycle', ...fields })]);
}

describe('the gateway process writes JSON lines only', () => {
  it('from start to exit: each a `lifecycle` line, the ready line naming its URL', { timeout: 60_000 }, async () => {
    const run = await runGateway({ LOG_LEVEL: 'warn' }, (line) => typeof line['url'] === 'string');
    expect(run.notJson).toEqual([]);
    expect(run.code).toBe(0);
    expect(run.lines.map((line) => line.logger)).toEqual(['lifecycle', 'lifecycle', 'lifecycle', 'lifecycle']);
    const [demo, ready, stopping, closed] = run.lines;
    expect(demo?.msg).toMatch(/^This demo serves without client authentication/);
    expect(ready).toMatchObject({ level: 30, url: expect.stringMatching(/^http:\/\/127\.0\.0\.1:\d+\/graphql$/), simulated: ['gate', 'edge', 'switch'] });
    expect(ready?.msg).toMatch(/^GraphQL gateway ready: http:\/\/127\.0\.0\.1:\d+\/graphql \(embedded simulators for: gate, edge, switch\)/);
    expect(stopping).toMatchObject({ signal: 'SIGTERM', msg: expect.stringMatching(/^SIGTERM received/) });
    expect(closed?.msg).toBe('closed');
  });

  it('and when it cannot start: a bad setting is one fatal line naming it', { timeout: 60_000 }, async () => {
    const run = await runGateway({ PORT: 'eighty', CORS_ORIGINS: 'https://a.example.com/' });
    expectOneFatalLine(run, {
      msg: 'Invalid configuration: PORT must be a whole number from 0 to 65535; CORS_ORIGINS entry 1 must be an origin: http(s)://host[:port] in lower case, with nothing after it',
    });
  });

  it('and when a trusted document cannot run: one fatal line naming its manifest, its hash and its first error', { timeout: 60_000 }, async () => {
    const directory = mkdtempSync(join(tmpdir(), 'trusted-start-'));
    onTestFinished(() => rmSync(directory, { recursive: true, force: true }));
    const text = '{ user(username: "bob") { nickname } }';
    const hash = createHash('sha256').update(text).digest('hex');
    const manifest = join(directory, 'persisted-documents.json');
    writeFileSync(manifest, JSON.stringify({ [`sha256:${hash}`]: text }));
    const run = await runGateway({ TRUSTED_DOCUMENTS: manifest });
    expectOneFatalLine(run, {
      problems: [`TRUSTED_DOCUMENTS ${manifest}: document sha256:${hash} does not validate: Cannot query field "nickname" on type "User". Did you mean "firstName", "lastName", or "username"?`],
    });
  });

  it('and when Redis does not answer at start-up: one fatal line naming REDIS_URL, never its password, and exit 1', { timeout: 60_000 }, async () => {
    const silent = await openSilentServer();
    try {
      const url = new URL(silent.url);
      url.password = 'hunter2-secret';
      const run = await runGateway({ REDIS_URL: url.toString() });
      expectOneFatalLine(run, {
        setting: 'REDIS_URL',
        msg: expect.stringMatching(/^REDIS_URL: Redis at redis:\/\/127\.0\.0\.1:\d+ did not answer PING \(waited at most 2000 ms\)/),
      });
      expect(run.text).not.toContain('hunter2-secret');
      expect(run.text).not.toMatch(/\n\s+at /);
    } finally {
      await silent.close();
    }
  });
});
