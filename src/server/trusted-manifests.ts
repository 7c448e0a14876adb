import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';

/**
 * A manifest as graphql-codegen's client preset writes it with `persistedDocuments` (sha256):
 * `{"sha256:<hex>": "<document>"}`, the hash that of the document's text. Every entry of every
 * manifest, by the hex of its hash.
 */
export type TrustedManifest = ReadonlyMap<string, { text: string; manifest: string }>;

const SHA256_ID = /^(?:sha256:)?([0-9a-f]{64})$/;

/** The hex of a document id as clients send it (`sha256:<hex>` or `<hex>`); undefined for anything else. */
export function sha256Of(id: string): string | undefined {
  return SHA256_ID.exec(id)?.[1];
}

/** How a document is named in logs, metrics and answers: as codegen names it. */
export const documentIdFor = (hex: string) => `sha256:${hex}`;

/**
 * Reads the manifests `TRUSTED_DOCUMENTS` names. A file that cannot be read, is no JSON object of
 * strings, or has an entry whose key is not the sha256 of its text is named (by its path and the
 * entry's hash) among the problems.
 */
export function readTrustedManifests(paths: readonly string[]): { documents: TrustedManifest; problems: string[] } {
  const documents = new Map<string, { text: string; manifest: string }>();
  const problems: string[] = [];
  for (const path of paths) {
    const problem = (message: string) => problems.push(`TRUSTED_DOCUMENTS ${path} ${message}`);
    let json: unknown;
    try {
      json = JSON.parse(readFileSync(path, 'utf8'));
    } catch (error) {
      problem(error instanceof SyntaxError ? 'is not JSON' : 'cannot be read');
      continue;
    }
    if (typeof json !== 'object' || json === null || Array.isArray(json)) {
      problem('must be a JSON object of {"sha256:<hash>": "<document>"} (graphql-codegen client preset, persistedDocuments)');
      continue;
    }
    for (const [key, text] of Object.entries(json)) {
      const hex = sha256Of(key);
      if (!hex) problem(`entry "${key.slice(0, 80)}" is not named by a sha256 hash ("sha256:" and 64 lower-case hex digits)`);
      else if (typeof text !== 'string') problem(`entry ${key} must be the document's text`);
      else if (createHash('sha256').update(text).digest('hex') !== hex) problem(`entry ${key} is not the sha256 of its document`);
      else documents.set(hex, { text, manifest: path });
    }
  }
  return { documents, problems };
}
