import { settleEach } from '../upstreams/batching.ts';

/**
 * Loads nodes one key at a time through the request's loaders (which batch and cache): values
 * come back resolved, as the relay plugin needs to tell their type, and a failed key fails only
 * its own node.
 */
export async function settleNodes<K, V>(keys: readonly K[], loadOne: (key: K) => Promise<V | null>): Promise<(V | null | Promise<never>)[]> {
  const settled = await settleEach(keys, loadOne);
  return settled.map((result) => (result instanceof Error ? Promise.reject(result) : result));
}

/** A local id made of several upstream keys (edge token ids live under their user, say). */
export function compositeId(...parts: readonly (string | number)[]): string {
  return parts.map((part) => encodeURIComponent(String(part))).join('/');
}

export function splitCompositeId(id: string, parts: number): string[] | null {
  const split = id.split('/');
  return split.length === parts ? split.map(decodeURIComponent) : null;
}
