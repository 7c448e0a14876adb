// The gateway, as a black box, against gate, edge and switch written from their docs alone
// (bench/independent/): other page parameters, caps, strictness and error shapes than the
// simulators'. The check compares some 350 answers with what its own dataset says they must be.
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { describe, expect, it } from 'vitest';

const CHECK_TIMEOUT_MS = 240_000;

describe('against independent implementations of the three APIs', () => {
  it(
    'answers every read and write of bench/independent/check.ts as the docs say, and leaks no secret',
    async () => {
      const check = spawn(process.execPath, ['bench/independent/check.ts'], {
        env: { ...process.env, VERBOSE: '1' },
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      let output = '';
      check.stdout.on('data', (chunk) => (output += String(chunk)));
      check.stderr.on('data', (chunk) => (output += String(chunk)));
      const [code] = (await once(check, 'exit')) as [number | null];
      const failures = output.split('\n').filter((line) => line.startsWith('FAIL ') || line.startsWith('     '));
      const summary = /SUMMARY: (\d+) passed, (\d+) failed/.exec(output);
      expect(summary, `no summary line; the check printed:\n${output.slice(-3000)}`).not.toBeNull();
      expect({ failed: Number(summary?.[2]), failures }).toEqual({ failed: 0, failures: [] });
      expect(Number(summary?.[1])).toBeGreaterThan(300);
      expect(code).toBe(0);
    },
    CHECK_TIMEOUT_MS,
  );
});
