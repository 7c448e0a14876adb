import type DataLoader from 'dataloader';

/** Node lookups through a request's loader; a failed key fails only its own node. */
export async function loadNodes<K, V>(loader: DataLoader<K, V, unknown>, keys: readonly K[]): Promise<(V | Promise<never>)[]> {
  const results = await loader.loadMany(keys);
  return results.map((result) => (result instanceof Error ? Promise.reject(result) : result));
}

/** A local id made of several upstream keys (edge token ids live under their user, say). */
export function compositeId(...parts: readonly (string | number)[]): string {
  return parts.map((part) => encodeURIComponent(String(part))).join('/');
}

export function splitCompositeId(id: string, parts: number): string[] | null {
  const split = id.split('/');
  return split.length === parts ? split.map(decodeURIComponent) : null;
}
