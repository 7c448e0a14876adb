import { appendFileSync, closeSync, fstatSync, openSync, readFileSync } from 'node:fs';

/**
 * A secret the run made or was handed once: a generated password (`password` for gate and edge,
 * `edge.password` for an edge account made for an existing person), or an access token's
 * plaintext (`accessToken`, with its title).
 */
export interface SecretEntry {
  line: number;
  username: string;
  secret: 'password' | 'edge.password' | 'accessToken';
  value: string;
  title?: string;
}

/** The secrets file cannot be used: it would be readable by others, or cannot be opened. */
export class SecretsFileRefused extends Error {
  override name = 'SecretsFileRefused';
}

/**
 * The only place secrets are written: a JSON-lines file created with mode 0600, appended to (a
 * file readable by group or others is refused). A password is written before the request that
 * sets it is sent, so that a run stopped at any point has every password that may now be set; a
 * run resumed with the same file sends the same generated password again, and so the same input
 * under the row's idempotency key.
 */
export class SecretsFile {
  readonly path: string;
  readonly #fd: number;
  readonly #earlier: SecretEntry[];

  constructor(path: string) {
    this.path = path;
    try {
      this.#fd = openSync(path, 'a+', 0o600);
    } catch (error) {
      throw new SecretsFileRefused(`--secrets ${path} cannot be opened: ${error instanceof Error ? error.message : String(error)}`);
    }
    const { mode } = fstatSync(this.#fd);
    if (mode & 0o077) {
      closeSync(this.#fd);
      throw new SecretsFileRefused(`--secrets ${path} is readable by others (mode ${(mode & 0o777).toString(8)}); chmod 600 it, or name a new file`);
    }
    this.#earlier = readFileSync(this.#fd, 'utf8')
      .split('\n')
      .flatMap((line) => {
        try {
          return line ? [JSON.parse(line) as SecretEntry] : [];
        } catch {
          // A line cut short when a run was killed mid-write holds nothing to reuse.
          return [];
        }
      });
  }

  /** The password this file already holds for the person, from an earlier run. */
  earlier(username: string, secret: 'password' | 'edge.password'): string | undefined {
    return this.#earlier.findLast((entry) => entry.username === username && entry.secret === secret)?.value;
  }

  write(entry: SecretEntry): void {
    appendFileSync(this.#fd, `${JSON.stringify(entry)}\n`);
  }

  close(): void {
    closeSync(this.#fd);
  }
}
