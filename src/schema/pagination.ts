import { cursorToOffset, offsetToCursor } from '@pothos/plugin-relay';
import { sliceWindow, type ListWindow, type WindowPage } from '../upstreams/paging.ts';
import { badUserInput } from './errors.ts';

/** The largest page one connection field serves; larger pages get an error, never a silent cut. */
export const MAX_PAGE_SIZE = 500;
/** The page size when neither `first` nor `last` is given. */
export const DEFAULT_PAGE_SIZE = 20;

export interface ConnectionArguments {
  first?: number | null;
  last?: number | null;
  after?: string | null;
  before?: string | null;
}

export interface WindowConnection<T> {
  edges: { cursor: string; node: T }[];
  pageInfo: { hasNextPage: boolean; hasPreviousPage: boolean; startCursor: string | null; endCursor: string | null };
  totalCount: number;
}

export const connectionDescription = `Relay pagination: \`first\`/\`after\` or \`last\`/\`before\`, at most ${MAX_PAGE_SIZE} items a page (${DEFAULT_PAGE_SIZE} when neither \`first\` nor \`last\` is given).`;

function pageSize(name: 'first' | 'last', value: number | null | undefined): number | undefined {
  if (value == null) return undefined;
  if (value < 0) throw badUserInput(`\`${name}\` must not be negative (got ${value}).`);
  if (value > MAX_PAGE_SIZE) {
    throw badUserInput(`\`${name}\` may be at most ${MAX_PAGE_SIZE} (got ${value}); page through the list with cursors instead.`);
  }
  return value;
}

function position(name: 'after' | 'before', cursor: string | null | undefined): number | undefined {
  if (cursor == null) return undefined;
  let offset: number;
  try {
    offset = cursorToOffset(cursor);
  } catch {
    offset = Number.NaN;
  }
  if (!Number.isSafeInteger(offset) || offset < 0) throw badUserInput(`\`${name}\` is not a cursor of this API: ${cursor}`);
  return offset;
}

/**
 * A Relay connection over any upstream list read by position. The window follows the Relay
 * spec's algorithm (after/before narrow, then first, then last); only `last` without `before`
 * costs an extra read, to learn where the list ends.
 */
export async function resolveWindowConnection<T>(
  args: ConnectionArguments,
  readWindow: (window: ListWindow) => Promise<WindowPage<T>>,
): Promise<WindowConnection<T>> {
  let first = pageSize('first', args.first);
  const last = pageSize('last', args.last);
  const after = position('after', args.after);
  let end = position('before', args.before);
  let start = after === undefined ? 0 : after + 1;
  if (first === undefined && last === undefined) first = DEFAULT_PAGE_SIZE;
  if (first !== undefined) end = Math.min(end ?? Number.POSITIVE_INFINITY, start + first);
  if (last !== undefined) {
    end ??= (await readWindow({ offset: start, limit: 0 })).total;
    start = Math.max(start, end - last);
  }
  const limit = Math.max(0, (end ?? start) - start);
  const { items, total } = await readWindow({ offset: start, limit });
  const edges = items.map((node, index) => ({ cursor: offsetToCursor(start + index), node }));
  return {
    edges,
    pageInfo: {
      hasPreviousPage: start > 0 && total > 0,
      hasNextPage: start + items.length < total,
      startCursor: edges[0]?.cursor ?? null,
      endCursor: edges.at(-1)?.cursor ?? null,
    },
    totalCount: total,
  };
}

/**
 * A connection over a list read whole (edge's lists, reachable only through `Link` headers).
 * `toNode` shapes only the items of the page served, knowing their place in the list.
 */
export function resolveListConnection<T, N>(
  args: ConnectionArguments,
  list: readonly T[] | Promise<readonly T[]>,
  toNode: (items: readonly T[], index: number) => N,
): Promise<WindowConnection<N>> {
  return resolveWindowConnection(args, async (window) => {
    const items = await list;
    const page = sliceWindow(items, window);
    return { items: page.items.map((_item, index) => toNode(items, window.offset + index)), total: page.total };
  });
}

/** The items of a list as they are, for `resolveListConnection`. */
export const itself = <T>(items: readonly T[], index: number): T => items[index] as T;
