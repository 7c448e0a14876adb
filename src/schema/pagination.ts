import { cursorToOffset, offsetToCursor } from '@pothos/plugin-relay';
import type { ListWindow, PagedList, WindowPage } from '../upstreams/paging.ts';
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
  /** Worked out only when asked for: on edge it means reading every page. */
  totalCount: () => Promise<number>;
}

/** An upstream list, read by position. */
export interface ListReader<T> {
  /** The items in the window, and whether any come after it. */
  read(window: ListWindow): Promise<{ items: T[]; more: boolean }>;
  /** How many items the whole list holds. */
  count(): Promise<number>;
}

/** A list whose every read also tells its length (gate's `count`, switch's `total`). */
export function countedListReader<T>(readWindow: (window: ListWindow) => Promise<WindowPage<T>>): ListReader<T> {
  let total: Promise<number> | undefined;
  return {
    async read(window) {
      const page = await readWindow(window);
      total ??= Promise.resolve(page.total);
      return { items: page.items, more: window.offset + page.items.length < page.total };
    },
    count: () => (total ??= readWindow({ offset: 0, limit: 0 }).then((page) => page.total)),
  };
}

/**
 * A list read page by page (edge's), only as far as the window needs: more items follow when
 * they are already read or a page is still unread. `toNode` shapes the items served, knowing
 * their place in the list.
 */
export function pagedListReader<T, N>(list: PagedList<T>, toNode: (items: readonly T[], index: number) => N): ListReader<N> {
  return {
    async read({ offset, limit }) {
      const items = await list.readTo(offset + limit);
      const served = Math.max(0, Math.min(limit, items.length - offset));
      return {
        items: Array.from({ length: served }, (_item, index) => toNode(items, offset + index)),
        more: items.length > offset + limit || !list.complete,
      };
    },
    count: async () => (await list.all()).length,
  };
}

/** The items of a list as they are, for `pagedListReader`. */
export const itself = <T>(items: readonly T[], index: number): T => items[index] as T;

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
 * needs the list's length first.
 */
export async function resolveConnection<T>(args: ConnectionArguments, list: ListReader<T>): Promise<WindowConnection<T>> {
  let first = pageSize('first', args.first);
  const last = pageSize('last', args.last);
  const after = position('after', args.after);
  let end = position('before', args.before);
  let start = after === undefined ? 0 : after + 1;
  if (first === undefined && last === undefined) first = DEFAULT_PAGE_SIZE;
  if (first !== undefined) end = Math.min(end ?? Number.POSITIVE_INFINITY, start + first);
  if (last !== undefined) {
    end ??= await list.count();
    start = Math.max(start, end - last);
  }
  const { items, more } = await list.read({ offset: start, limit: Math.max(0, (end ?? start) - start) });
  const edges = items.map((node, index) => ({ cursor: offsetToCursor(start + index), node }));
  return {
    edges,
    pageInfo: {
      hasPreviousPage: start > 0,
      hasNextPage: more,
      startCursor: edges[0]?.cursor ?? null,
      endCursor: edges.at(-1)?.cursor ?? null,
    },
    totalCount: () => list.count(),
  };
}
