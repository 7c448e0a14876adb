import { createHash, randomBytes } from 'node:crypto';
import type { Scope } from '../../src/schema/context.ts';

/** A fresh API key and its entry as `API_KEYS` configures it (only the hash). */
export function apiKey(id: string, scopes: Scope[], organization?: string) {
  const key = `key-${id}-${randomBytes(12).toString('hex')}`;
  return { key, entry: { id, sha256: createHash('sha256').update(key).digest('hex'), scopes, ...(organization ? { organization } : {}) } };
}
