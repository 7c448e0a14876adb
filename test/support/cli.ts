import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { fileURLToPath } from 'node:url';
import { environmentWithoutSettings } from './gateway-process.ts';

const repositoryRoot = fileURLToPath(new URL('../..', import.meta.url));

/** The command-line tools, by their npm script's name. */
export type Tool = 'onboard' | 'report';

export interface CliExit {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

export interface CliRun {
  /** The tool's own node process (not npm's): a signal sent to it is the tool's. */
  child: ChildProcess;
  /** Resolves once stdout or stderr printed a match of `pattern`. */
  printed(pattern: RegExp): Promise<RegExpExecArray>;
  exited: Promise<CliExit>;
}

/**
 * `npm run <tool> -- …args` as node itself, against the gateway `env` names (GATEWAY_URL,
 * GATEWAY_API_KEY; neither taken from this process's environment).
 */
export function startCli(tool: Tool, args: string[], env: Record<string, string>): CliRun {
  const child = spawn(process.execPath, [`src/cli/${tool}/main.ts`, ...args], {
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
        void exited.then(({ stdout: out, stderr: err }) => reject(new Error(`${tool} exited without printing ${pattern}:\n${out}\n${err}`)));
        check();
      }),
  };
}

/** Runs the tool to its end. */
export function runCli(tool: Tool, args: string[], env: Record<string, string>): Promise<CliExit> {
  return startCli(tool, args, env).exited;
}
