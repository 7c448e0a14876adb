/** A slice of an upstream list, by position: what every upstream's own pagination is mapped to. */
export interface ListWindow {
  offset: number;
  limit: number;
}

export interface WindowPage<T> {
  items: T[];
  /** How many items the whole (filtered) list holds. */
  total: number;
}

/**
 * Reads a window of a limit/offset list whose upstream caps one page at `maxPageSize`: the
 * slices go out concurrently. A zero-length window still asks for one item, to learn the total.
 */
export async function readOffsetWindow<T>(
  window: ListWindow,
  maxPageSize: number,
  readSlice: (offset: number, limit: number) => Promise<WindowPage<T>>,
): Promise<WindowPage<T>> {
  if (window.limit === 0) {
    const { total } = await readSlice(window.offset, 1);
    return { items: [], total };
  }
  // An upstream that serves fewer items than asked (a lower cap than documented) is read on from
  // where it stopped, so the window never has a gap.
  const readWhole = async (offset: number, limit: number): Promise<WindowPage<T>> => {
    const page = await readSlice(offset, limit);
    const served = page.items.length;
    if (served === 0 || served >= limit || offset + served >= page.total) return page;
    const rest = await readWhole(offset + served, limit - served);
    return { items: [...page.items, ...rest.items], total: page.total };
  };
  const slices: Promise<WindowPage<T>>[] = [];
  for (let offset = window.offset; offset < window.offset + window.limit; offset += maxPageSize) {
    slices.push(readWhole(offset, Math.min(maxPageSize, window.offset + window.limit - offset)));
  }
  const pages = await Promise.all(slices);
  return { items: pages.flatMap((page) => page.items), total: pages[0]?.total ?? 0 };
}

/** The window of a list held whole, with the whole list's length as its total. */
export function windowOf<T>(items: readonly T[], window: ListWindow): WindowPage<T> {
  return { items: items.slice(window.offset, window.offset + window.limit), total: items.length };
}

/**
 * Every item of a list read by windows: one page to learn its length, then the rest at once. A
 * list longer than `maxItems` is refused (`tooLong`) before the rest is read.
 */
export async function readWhole<T>(
  read: (window: ListWindow) => Promise<WindowPage<T>>,
  pageSize: number,
  maxItems: number,
  tooLong: (total: number) => Error,
): Promise<T[]> {
  const first = await read({ offset: 0, limit: pageSize });
  if (first.total > maxItems) throw tooLong(first.total);
  if (first.items.length >= first.total) return first.items;
  const rest = await read({ offset: first.items.length, limit: first.total - first.items.length });
  return [...first.items, ...rest.items];
}

/**
 * Reads a window of a page/per_page list (0-based pages): the pages covering the window go out
 * concurrently, and the window is cut from them. An upstream that serves smaller pages than asked
 * (as it says in `perPage`, or as a short page before the end shows) is read again with its own
 * page size.
 */
export async function readPagedWindow<T>(
  window: ListWindow,
  pageSize: number,
  readPage: (page: number, perPage: number) => Promise<WindowPage<T> & { perPage: number }>,
): Promise<WindowPage<T>> {
  const firstPage = Math.floor(window.offset / pageSize);
  const lastPage = Math.floor((window.offset + Math.max(window.limit, 1) - 1) / pageSize);
  const reads: Promise<WindowPage<T> & { perPage: number }>[] = [];
  for (let page = firstPage; page <= lastPage; page++) reads.push(readPage(page, pageSize));
  const pages = await Promise.all(reads);
  let served = pageSize;
  pages.forEach((page, index) => {
    const beforeEnd = (firstPage + index) * pageSize + page.items.length < page.total;
    served = Math.min(served, page.perPage, beforeEnd ? page.items.length : pageSize);
  });
  if (served > 0 && served < pageSize) return readPagedWindow(window, served, readPage);
  const start = window.offset - firstPage * pageSize;
  const items = pages.flatMap((page) => page.items).slice(start, start + window.limit);
  return { items, total: pages[0]?.total ?? 0 };
}

/**
 * A list read by position and only as far as asked (edge's): read in pages, whichever way its
 * upstream allows. Reads answer every item read so far by position (from the start on, for a
 * list read page after page; with holes where pages were skipped, for one read by page number).
 */
export interface PositionedList<T> {
  /** Whether every item has been read. */
  readonly complete: boolean;
  /** Reads the window; answers the items read so far, the window's among them. */
  read(window: ListWindow): Promise<readonly T[]>;
  /** Whether the list holds an item at this position. */
  has(position: number): Promise<boolean>;
  /** How many items the list holds; `tail`: how many of its last items are read next, so that they come in the same round. */
  count(tail?: number): Promise<number>;
  /** At least the first `count` items, or the whole list when it is shorter: every item from the start on. */
  readTo(count: number): Promise<readonly T[]>;
  all(): Promise<readonly T[]>;
  /** The first item that satisfies `predicate`, reading no further than it, nor past `limit` items. */
  find(predicate: (item: T) => boolean, limit?: number): Promise<T | undefined>;
}

/** Reads one page of a list; answers its items and how to read the next page, if there is one. */
export type PageReader<T> = () => Promise<{ items: T[]; next: PageReader<T> | undefined }>;

/**
 * A list read one page at a time and only as far as asked (edge's, whose next page is named only
 * by each page's `Link` header). Reads never overlap: a second caller waits for the first and
 * then finds the pages already in.
 */
export class PagedList<T> implements PositionedList<T> {
  readonly #items: T[] = [];
  #next: PageReader<T> | undefined;
  #reading: Promise<unknown> = Promise.resolve();

  constructor(first: PageReader<T> | undefined) {
    this.#next = first;
  }

  static of<T>(items: readonly T[]): PagedList<T> {
    return PagedList.continuing(items, undefined);
  }

  /** A list whose first `items` are read already, and whose next page `next` reads. */
  static continuing<T>(items: readonly T[], next: PageReader<T> | undefined): PagedList<T> {
    const list = new PagedList<T>(next);
    list.#items.push(...items);
    return list;
  }

  /**
   * The items of `source` that `keep` keeps, read page by page as the source is: positions and
   * lengths are those of the kept list.
   */
  static filtered<T>(source: PositionedList<T>, keep: (items: readonly T[]) => Promise<T[]>): PagedList<T> {
    let consumed = 0;
    const readPage: PageReader<T> = async () => {
      const items = await source.readTo(consumed + 1);
      const fresh = items.slice(consumed);
      consumed = items.length;
      return { items: await keep(fresh), next: source.complete ? undefined : readPage };
    };
    return new PagedList(readPage);
  }

  async #readWhile(wantsMore: () => boolean): Promise<readonly T[]> {
    const reading = this.#reading.then(async () => {
      while (this.#next && wantsMore()) {
        const page = await this.#next();
        this.#items.push(...page.items);
        this.#next = page.next;
      }
    });
    // A failed page fails its caller; the next caller tries that page again.
    this.#reading = reading.catch(() => undefined);
    await reading;
    return this.#items;
  }

  /** Whether every page has been read. */
  get complete(): boolean {
    return this.#next === undefined;
  }

  /** At least the first `count` items, or the whole list when it is shorter. */
  readTo(count: number): Promise<readonly T[]> {
    return this.#readWhile(() => this.#items.length < count);
  }

  read({ offset, limit }: ListWindow): Promise<readonly T[]> {
    return this.readTo(offset + limit);
  }

  /** Where the pages read end, a `next` link is taken to mean more items: no page is read only to see. */
  async has(position: number): Promise<boolean> {
    const items = await this.readTo(position);
    return items.length > position || !this.complete;
  }

  async count(): Promise<number> {
    return (await this.all()).length;
  }

  /**
   * The first item that satisfies `predicate`, reading no further than it, nor past `limit`
   * items: undefined then, with the list not `complete`.
   */
  async find(predicate: (item: T) => boolean, limit = Number.POSITIVE_INFINITY): Promise<T | undefined> {
    let checked = 0;
    let found: T | undefined;
    const lookOnward = () => {
      for (; found === undefined && checked < this.#items.length; checked++) {
        const item = this.#items[checked] as T;
        if (predicate(item)) found = item;
      }
      return found === undefined && this.#items.length < limit;
    };
    await this.#readWhile(lookOnward);
    lookOnward();
    return found;
  }

  all(): Promise<readonly T[]> {
    return this.#readWhile(() => true);
  }
}
