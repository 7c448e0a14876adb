import { isObjectType, type GraphQLResolveInfo } from 'graphql';
import { isAddressable } from '../upstreams/http.ts';
import { badUserInput, quoted } from './errors.ts';

const notOurs = (what: string, id: string) => badUserInput(`Not ${what} this API made: ${quoted(id)}`);

const base64url = /^[A-Za-z0-9_-]+$/;
const strictUtf8 = new TextDecoder('utf-8', { fatal: true });

/** The global ids this API hands out: base64url (no padding) of `Typename:localId`. */
export function encodeGlobalId(typename: string, id: string | number | bigint): string {
  return Buffer.from(`${typename}:${id}`).toString('base64url');
}

/**
 * Reads a global id strictly: canonical base64url of UTF-8, exactly as `encodeGlobalId` writes
 * it, so that one node has one id and nothing else decodes to it.
 */
export function decodeGlobalId(globalId: string): { typename: string; id: string } {
  const bytes = base64url.test(globalId) ? Buffer.from(globalId, 'base64url') : undefined;
  let decoded: string | undefined;
  try {
    decoded = bytes && bytes.toString('base64url') === globalId ? strictUtf8.decode(bytes) : undefined;
  } catch {
    decoded = undefined;
  }
  const colon = decoded?.indexOf(':') ?? -1;
  if (decoded === undefined || colon <= 0 || colon === decoded.length - 1) throw notOurs('a global ID', globalId);
  return { typename: decoded.slice(0, colon), id: decoded.slice(colon + 1) };
}

/** An integer id (gate's tokens and extras, switch's users), written the one way the API writes it. */
export function integerId(id: string, typename: string): string {
  if (!/^(0|[1-9]\d{0,14})$/.test(id)) throw notOurs(`a ${typename} id`, id);
  return id;
}

/** An opaque upstream id that becomes a path segment (edge's): nothing a server could read as structure. */
export function addressableId(id: string, typename: string): string {
  if (!isAddressable(id)) throw notOurs(`a ${typename} id`, id);
  return id;
}

/** A local id made of several upstream keys (edge token ids live under their user, say). */
export function compositeId(...parts: readonly (string | number)[]): string {
  return parts.map((part) => encodeURIComponent(String(part))).join('/');
}

/** The parts of a composite id, which must be exactly as `compositeId` writes them. */
export function splitCompositeId(id: string, parts: number, typename: string): string[] {
  const split = id.split('/');
  const decoded = split.map((part) => {
    try {
      const value = decodeURIComponent(part);
      return encodeURIComponent(value) === part ? value : undefined;
    } catch {
      return undefined;
    }
  });
  if (split.length !== parts || decoded.some((part) => part === undefined)) throw notOurs(`a ${typename} id`, id);
  return decoded as string[];
}

/** A global id must name a type of this schema that implements Node. */
export function assertNodeType(typename: string, info: GraphQLResolveInfo): void {
  const type = info.schema.getType(typename);
  if (!isObjectType(type) || !type.getInterfaces().some((implemented) => implemented.name === 'Node')) {
    throw badUserInput(`A global ID of this API names a Node type; ${quoted(typename)} is none.`);
  }
}
