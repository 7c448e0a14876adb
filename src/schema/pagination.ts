import { cursorToOffset, offsetToCursor } from '@pothos/plugin-relay';
import type { ListWindow, PositionedList, WindowPage } from '../upstreams/paging.ts';
import { badUserInput, quoted } from './errors.ts';

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
  /** The items in the window; fewer when the list ends inside it. */
  read(window: ListWindow): Promise<T[]>;
  /** Whether the list holds an item at this position. */
  has(position: number): Promise<boolean>;
  /** How many items the whole list holds; `tail`: how many of its last items are read next. */
  count(tail?: number): Promise<number>;
}

/** A list whose every read also tells its length (gate's `count`, switch's `total`). */
export function countedListReader<T>(readWindow: (window: ListWindow) => Promise<WindowPage<T>>): ListReader<T> {
  let total: Promise<number> | undefined;
  const count = () =>
    (total ??= readWindow({ offset: 0, limit: 0 }).then(
      (page) => page.total,
      (error: unknown) => {
        // A failed count is not remembered: the next caller asks again.
        total = undefined;
        throw error;
      },
    ));
  return {
    async read(window) {
      const page = await readWindow(window);
      total ??= Promise.resolve(page.total);
      return page.items;
    },
    has: async (position) => position < (await count()),
    count,
  };
}

/**
 * A list read by position (edge's), only as far as asked. `toNode` shapes the items served,
 * knowing their place in the list.
 */
export function pagedListReader<T, N>(list: PositionedList<T>, toNode: (items: readonly T[], index: number) => N): ListReader<N> {
  return {
    async read({ offset, limit }) {
      const items = await list.read({ offset, limit });
      const served = Math.max(0, Math.min(limit, items.length - offset));
      return Array.from({ length: served }, (_item, index) => toNode(items, offset + index));
    },
    has: (position) => list.has(position),
    count: (tail) => list.count(tail),
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

/** The position a cursor names; only cursors exactly as this API writes them are taken. */
function position(name: 'after' | 'before', cursor: string | null | undefined): number | undefined {
  if (cursor == null) return undefined;
  let offset: number;
  try {
    offset = cursorToOffset(cursor);
  } catch {
    offset = Number.NaN;
  }
  if (!Number.isSafeInteger(offset) || offset < 0 || offsetToCursor(offset) !== cursor) {
    throw badUserInput(`\`${name}\` is not a cursor of this API: ${quoted(cursor)}`);
  }
  return offset;
}

/**
 * A Relay connection over any upstream list read by position, by the spec's algorithm
 * (https://relay.dev/graphql/connections.htm): a cursor narrows the list only when it names one of
 * its edges (ApplyCursorsToEdges); then `first`, then `last`; `hasNextPage` and
 * `hasPreviousPage` as the spec defines them, counted on the list the cursors leave. Only what
 * the answer needs is read: the list's length only for `last` without `before`.
 */
export async function resolveConnection<T>(args: ConnectionArguments, list: ListReader<T>): Promise<WindowConnection<T>> {
  let first = pageSize('first', args.first);
  const last = pageSize('last', args.last);
  let after = position('after', args.after);
  let before = position('before', args.before);
  if (first === undefined && last === undefined) first = DEFAULT_PAGE_SIZE;
  for (;;) {
    const start = after === undefined ? 0 : after + 1;
    let end = first === undefined ? before : Math.min(before ?? Number.POSITIVE_INFINITY, start + first);
    let windowStart = start;
    if (last !== undefined) {
      end = Math.min(end ?? Number.POSITIVE_INFINITY, before ?? (await list.count(last)));
      windowStart = Math.max(start, end - last);
    }
    const limit = Math.max(0, (end ?? windowStart) - windowStart);
    const items = await list.read({ offset: windowStart, limit });
    // A cursor that names no edge (the list is shorter than its position) narrows nothing: read again without it.
    if (after !== undefined && items.length === 0 && !(await list.has(after))) {
      after = undefined;
      continue;
    }
    if (before !== undefined && items.length < limit && !(await list.has(before))) {
      before = undefined;
      continue;
    }
    const edges = items.map((node, index) => ({ cursor: offsetToCursor(windowStart + index), node }));
    // Whether the cursors leave more than `size` edges: an item past the first `size`, short of
    // `before` (whether or not `before` names an edge, the answer is the same).
    const cursorEdgesExceed = async (size: number) => (before === undefined || before - start > size) && list.has(start + size);
    const [hasNextPage, hasPreviousPage] = await Promise.all([
      first !== undefined ? cursorEdgesExceed(first) : before !== undefined && list.has(before),
      // `after` passed the check above, so it names an edge, and that edge comes before the page.
      last !== undefined ? cursorEdgesExceed(last) : after !== undefined,
    ]);
    return {
      edges,
      pageInfo: {
        hasPreviousPage,
        hasNextPage,
        startCursor: edges[0]?.cursor ?? null,
        endCursor: edges.at(-1)?.cursor ?? null,
      },
      totalCount: () => list.count(),
    };
  }
}
