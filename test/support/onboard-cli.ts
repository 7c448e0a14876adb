import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { fileURLToPath } from 'node:url';
import { environmentWithoutSettings } from './gateway-process.ts';

const repositoryRoot = fileURLToPath(new URL('../..', import.meta.url));

export interface OnboardExit {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

export interface OnboardRun {
  /** The CLI's own node process (not npm's): a signal sent to it is the CLI's. */
  child: ChildProcess;
  /** Resolves once stdout or stderr printed a match of `pattern`. */
  printed(pattern: RegExp): Promise<RegExpExecArray>;
  exited: Promise<OnboardExit>;
}

/** `npm run onboard -- …args` as node itself, against the gateway `env` names (GATEWAY_URL, GATEWAY_API_KEY). */
export function startOnboard(args: string[], env: Record<string, string>): OnboardRun {
  const child = spawn(process.execPath, ['src/cli/onboard/main.ts', ...args], {
    cwd: repositoryRoot,
    env: { ...environmentWithoutSettings(), GATEWAY_URL: '', GATEWAY_API_KEY: '', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  const waiting = new Set<() => void>();
  const heard = () => {
    for (const check of waiting) check();
  };
  child.stdout?.on('data', (chunk: Buffer) => {
    stdout += String(chunk);
    heard();
  });
  child.stderr?.on('data', (chunk: Buffer) => {
    stderr += String(chunk);
    heard();
  });
  const exited = once(child, 'close').then(([code, signal]) => ({ code: code as number | null, signal: signal as NodeJS.Signals | null, stdout, stderr }));
  return {
    child,
    exited,
    printed: (pattern) =>
      new Promise((resolve, reject) => {
        const check = () => {
          const found = pattern.exec(stdout + stderr);
          if (!found) return;
          waiting.delete(check);
          resolve(found);
        };
        waiting.add(check);
        void exited.then(({ stdout: out, stderr: err }) => reject(new Error(`the CLI exited without printing ${pattern}:\n${out}\n${err}`)));
        check();
      }),
  };
}

/** Runs the CLI to its end. */
export function onboard(args: string[], env: Record<string, string>): Promise<OnboardExit> {
  return startOnboard(args, env).exited;
}
