import type { Readable } from 'node:stream';
import { SETTING_NAMES } from '../../src/server/config.ts';

/**
 * This process's environment without the gateway's settings: a spawned gateway gets those from its
 * test alone (an `UPSTREAM_CACHE_TTL_MS` in the shell running the tests must not turn its cache on).
 * `NODE_ENV` stays: the tests' own mode.
 */
export function environmentWithoutSettings(): NodeJS.ProcessEnv {
  return Object.fromEntries(Object.entries(process.env).filter(([name]) => name === 'NODE_ENV' || !SETTING_NAMES.has(name)));
}

/**
 * Feeds each line `stream` writes to `onJson`, parsed, or to `onOther` when it is not JSON (a last
 * line without its newline too, once the stream ends).
 */
export function readJsonLines<Line>(stream: Readable, onJson: (line: Line) => void, onOther: (text: string) => void): void {
  let partial = '';
  stream.on('data', (chunk: Buffer) => {
    const parts = (partial + String(chunk)).split('\n');
    partial = parts.pop() ?? '';
    for (const part of parts.filter(Boolean)) {
      let line: Line;
      try {
        line = JSON.parse(part) as Line;
      } catch {
        onOther(part);
        continue;
      }
      onJson(line);
    }
  });
  stream.on('end', () => {
    if (partial) onOther(partial);
  });
}
