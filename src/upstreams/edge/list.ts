import type { z } from 'zod';
import { UpstreamError, type CallScope, type UpstreamCall, type UpstreamHttp, type UpstreamReply } from '../http.ts';
import { PagedList, type ListWindow, type PageReader, type PositionedList } from '../paging.ts';
import { parsePayload } from '../validation.ts';
import { linksOf, schemeOfFirstPage, type PageScheme } from './page-scheme.ts';

/**
 * What the gateway has learned of one edge list (one route, every account's), kept for the
 * process: how its links name pages, the largest page it serves, and whether its links are
 * to be followed only as given (a pattern that did not hold, once, is not tried again).
 */
export interface ListKnowledge {
  scheme?: PageScheme;
  /** The most items a page has been served with when more were asked for: the upstream's cap. */
  cap?: number;
  linksOnly?: boolean;
  /** Whether a page asked in a smaller size than the list's pages came in that size. */
  honoursSmallerSizes?: boolean;
}

/** edge's lists, by route: what the gateway learns of each as it reads them. */
export class EdgePagingKnowledge {
  readonly #byRoute = new Map<string, ListKnowledge>();

  of(route: string): ListKnowledge {
    let knowledge = this.#byRoute.get(route);
    if (!knowledge) this.#byRoute.set(route, (knowledge = {}));
    return knowledge;
  }
}

export interface EdgeListSource<T> {
  http: UpstreamHttp;
  scope: CallScope;
  /** The list's first page as the docs name it (no page parameters). */
  first: UpstreamCall;
  schema: z.ZodType<T[]>;
  what: string;
  knowledge: ListKnowledge;
  /** The size a list is asked for in, once its size parameter is known: larger pages, fewer calls. */
  pageSize: number;
  /** The most pages read of one list. */
  maxPages: number;
  /** Sees each page's items as they come. */
  onPage?: (items: T[]) => void;
}

/**
 * A list that came whole in one page, its items checked and shaped only as far as they are read:
 * what only counts them (a login history read for its `totalCount`) or serves the first few
 * never pays for the rest.
 */
class OnePage<T> {
  #checked: T[] = [];

  readonly items: readonly unknown[];
  readonly check: (items: readonly unknown[]) => T[];
  constructor(
    items: readonly unknown[],
    /** Checks and shapes the first items of the page, as the whole page would be. */
    check: (items: readonly unknown[]) => T[],
  ) {
    this.items = items;
    this.check = check;
  }

  get length(): number {
    return this.items.length;
  }

  /** The first `count` items (all there are, when fewer), checked. */
  checkedTo(count: number): T[] {
    const end = Math.min(count, this.items.length);
    // Checked from the first on, so that a bad item is named by its place in the page.
    if (this.#checked.length < end) this.#checked = this.check(this.items.slice(0, end));
    return this.#checked;
  }
}

/** A page served other than the pattern learned from the links says it would be: the list is read by its links instead. */
class PatternBroken extends Error {}

/** A page asked for in a smaller size than the list's came in another: the list's own size is used instead. */
class SizeNotHonoured extends Error {}

/** A page of the list once its pattern is known: its size, its last page and where its pages are asked for. */
interface Geometry {
  scheme: PageScheme;
  size: number;
  lastPage: number;
  /** The `next` link of the first page, with every parameter the list keeps (filters). */
  template: URL;
  requested: string;
}

/**
 * One edge list, read only as far as a query needs and in as few rounds as its links allow.
 *
 * edge's docs name no page parameters, but its `Link` URLs show them. From the first page's
 * `next` and `last` links the list learns which parameter is the page number and which the size
 * (`schemeOfFirstPage`); then any page is asked for directly, several at once, `totalCount`
 * comes from the last page, and a window deep in the list costs the pages it covers. Every page
 * asked for directly is checked against the pattern (its `next` link, its length); one that does
 * not fit turns the list, and the route for the rest of the process, to following its links as
 * given (`PagedList`), which is always right.
 */
export class EdgeList<T> implements PositionedList<T> {
  readonly #source: EdgeListSource<T>;
  #firstPage: Promise<void> | undefined;
  #geometry: Geometry | undefined;
  /** The list followed by its links, once it is read that way. */
  #linked: PagedList<T> | undefined;
  /** The list followed by its links from the first page on, should its pattern not hold. */
  #byLinks: (() => PagedList<T>) | undefined;
  /** The whole list, when it came in one page: checked only as far as it is read. */
  #onePage: OnePage<T> | undefined;
  /** Items by position; holes where no page has been read. */
  readonly #items: T[] = [];
  #total: number | undefined;
  readonly #pages = new Map<string, Promise<void>>();

  constructor(source: EdgeListSource<T>) {
    this.#source = source;
  }

  get complete(): boolean {
    if (this.#onePage) return true;
    if (this.#linked) return this.#linked.complete;
    if (this.#total === undefined) return false;
    for (let position = 0; position < this.#total; position++) if (!(position in this.#items)) return false;
    return true;
  }

  async read(window: ListWindow): Promise<readonly T[]> {
    return this.#either(
      () => this.#readWindow(window),
      (linked) => linked.read(window),
      (page) => page.checkedTo(window.offset + window.limit),
    );
  }

  async has(position: number): Promise<boolean> {
    return this.#either(
      async (geometry) => {
        if (position < this.#lowestTotal(geometry)) return true;
        return position < (await this.#count(geometry, 0));
      },
      (linked) => linked.has(position),
      (page) => position < page.length,
    );
  }

  async count(tail = 0): Promise<number> {
    return this.#either(
      (geometry) => this.#count(geometry, tail),
      (linked) => linked.count(),
      (page) => page.length,
    );
  }

  async readTo(count: number): Promise<readonly T[]> {
    return this.#either(
      async () => {
        const items = await this.#readWindow({ offset: 0, limit: count });
        // Every item read from the start on, as a list followed by its links answers.
        let known = 0;
        while (known in items) known++;
        return items.slice(0, known);
      },
      (linked) => linked.readTo(count),
      (page) => page.checkedTo(count),
    );
  }

  async all(): Promise<readonly T[]> {
    return this.#either(
      async (geometry) => {
        const pages = geometry.lastPage - geometry.scheme.firstPage + 1;
        if (pages > this.#source.maxPages) throw this.#tooLong();
        const total = await this.#count(geometry, 0);
        return (await this.#readWindow({ offset: 0, limit: total })).slice(0, total);
      },
      (linked) => linked.all(),
      (page) => page.checkedTo(page.length),
    );
  }

  async find(predicate: (item: T) => boolean, limit = Number.POSITIVE_INFINITY): Promise<T | undefined> {
    return this.#either(
      async (geometry) => {
        for (let offset = 0; offset < limit && offset < (this.#total ?? Number.POSITIVE_INFINITY); offset += geometry.size) {
          const to = Math.min(offset + geometry.size, limit);
          const items = await this.#readWindow({ offset, limit: to - offset });
          for (let position = offset; position < Math.min(to, this.#total ?? to); position++) {
            if (predicate(items[position] as T)) return items[position];
          }
        }
        return undefined;
      },
      (linked) => linked.find(predicate, limit),
      (page) => page.checkedTo(limit).slice(0, limit).find(predicate),
    );
  }

  /**
   * Runs `whole` on a list that came in one page; else `direct` once the first page says the
   * list's pattern, else (no pattern, or one that did not hold) `linked` on the list followed by
   * its links.
   */
  async #either<R>(direct: (geometry: Geometry) => Promise<R>, linked: (list: PagedList<T>) => Promise<R>, whole: (page: OnePage<T>) => R): Promise<R> {
    await (this.#firstPage ??= this.#readFirstPage().catch((error: unknown) => {
      this.#firstPage = undefined;
      throw error;
    }));
    if (this.#onePage) return whole(this.#onePage);
    if (this.#geometry && !this.#linked) {
      try {
        return await direct(this.#geometry);
      } catch (error) {
        if (!(error instanceof PatternBroken)) throw error;
        this.#source.knowledge.linksOnly = true;
        this.#linked = (this.#byLinks as () => PagedList<T>)();
      }
    }
    return linked(this.#linked as PagedList<T>);
  }

  async #readFirstPage(): Promise<void> {
    const { knowledge, first } = this.#source;
    const sizeParam = knowledge.linksOnly ? undefined : knowledge.scheme?.sizeParam;
    const asked = Math.min(this.#source.pageSize, knowledge.cap ?? Number.POSITIVE_INFINITY);
    const call = sizeParam === undefined ? first : { ...first, query: { ...first.query, [sizeParam]: asked } };
    const reply = await this.#source.http.request(call, this.#source.scope);
    const links = linksOf(reply.headers.link);
    const next = links.get('next');
    if (next === undefined && !this.#source.onPage && Array.isArray(reply.body)) {
      this.#onePage = new OnePage(reply.body, (items) => this.#parse({ ...reply, body: items }, call));
      return;
    }
    const items = this.#parse(reply, call);
    this.#items.push(...items);
    if (next === undefined) {
      this.#total = items.length;
      this.#linked = PagedList.of(items);
      return;
    }
    if (sizeParam !== undefined && items.length < asked) knowledge.cap = items.length;
    // Only a full first page says the page size (one that came back empty, or filtered, says nothing).
    this.#byLinks = () => this.#linkedFrom(this.#source.http.callForLink(next, reply.url, first.route), new Set([reply.url]), items);
    const shape = knowledge.linksOnly || items.length === 0 ? undefined : this.#shapeOf(reply, items.length, next, links.get('last'));
    if (shape === undefined) {
      this.#linked = this.#byLinks();
      return;
    }
    knowledge.scheme = shape.scheme;
    this.#geometry = shape;
  }

  #shapeOf(reply: UpstreamReply, served: number, next: string, last: string | undefined): Geometry | undefined {
    const { http, first, knowledge } = this.#source;
    const requested = new URL(reply.url);
    const linked = (link: string) => new URL(http.callForLink(link, reply.url, first.route).target as string, reply.url);
    const nextUrl = linked(next);
    const shape = schemeOfFirstPage(requested, served, nextUrl, last === undefined ? undefined : linked(last), knowledge.scheme);
    if (shape === undefined) {
      if (knowledge.scheme !== undefined) knowledge.linksOnly = true;
      return undefined;
    }
    const { sizeParam } = shape.scheme;
    // Links that name a size other than the one served: the upstream does not serve the sizes it is asked for.
    if (sizeParam !== undefined && nextUrl.searchParams.get(sizeParam) !== String(served)) knowledge.honoursSmallerSizes = false;
    return { ...shape, size: served, template: nextUrl, requested: reply.url };
  }

  /** The list by its links: `start` is the page to read next, `read` the URLs and `items` the items of the pages before it. */
  #linkedFrom(start: UpstreamCall, read: Set<string>, items: readonly T[]): PagedList<T> {
    const { http, first, what, maxPages } = this.#source;
    // `read` holds the URLs of the pages read so far: a link back to one of them is a loop, not more of the list.
    const readPage = (call: UpstreamCall, pagesRead: Set<string>): PageReader<T> => async () => {
      if (pagesRead.size >= maxPages) throw this.#tooLong();
      const reply = await http.request(call, this.#source.scope);
      if (pagesRead.has(reply.url)) throw new UpstreamError('edge', 'UPSTREAM_BAD_RESPONSE', `edge linked its ${what} back to a page already read`);
      const pageItems = this.#parse(reply, call);
      const next = linksOf(reply.headers.link).get('next');
      if (next === undefined) return { items: pageItems, next: undefined };
      // Only a page that came back counts as read: a failed one is asked for again by the next reader.
      const nowRead = pagesRead.add(reply.url);
      return { items: pageItems, next: readPage(http.callForLink(next, reply.url, first.route), nowRead) };
    };
    return PagedList.continuing(items, readPage(start, read));
  }

  #parse(reply: UpstreamReply, call: UpstreamCall): T[] {
    const { http, schema, what, onPage } = this.#source;
    const items = parsePayload('edge', schema, reply.body, what, { http, route: call.route });
    onPage?.(items);
    return items;
  }

  #tooLong(): UpstreamError {
    const { what, maxPages } = this.#source;
    return new UpstreamError('edge', 'UPSTREAM_LIST_TOO_LONG', `edge's ${what} runs past ${maxPages} pages, the most read of one list (EDGE_MAX_PAGES)`);
  }

  /** The fewest items the list can hold: every page before the last is full, and the last holds one at least. */
  #lowestTotal(geometry: Geometry): number {
    return this.#total ?? (geometry.lastPage - geometry.scheme.firstPage) * geometry.size + 1;
  }

  /** The list's length, from its last page; the `tail` items before its end come in the same round. */
  async #count(geometry: Geometry, tail: number): Promise<number> {
    if (this.#total !== undefined) return this.#total;
    const fullPages = geometry.lastPage - geometry.scheme.firstPage;
    const reads = [this.#page(geometry, geometry.lastPage, geometry.size)];
    const tailStart = Math.max(0, fullPages * geometry.size - Math.max(0, tail - 1));
    for (let page = geometry.scheme.firstPage + Math.floor(tailStart / geometry.size); page < geometry.lastPage; page++) {
      reads.push(this.#page(geometry, page, geometry.size));
    }
    await Promise.all(reads);
    // The last page was not the last after all: the list grew while it was read.
    if (this.#total === undefined) throw new PatternBroken();
    return this.#total;
  }

  /**
   * Reads the pages that cover `window` and are not in yet, all at once. A window that would
   * span two of the list's pages is asked for as one page of a smaller size where one fits it.
   * Answers every item read so far, by position.
   */
  async #readWindow({ offset, limit }: ListWindow): Promise<readonly T[]> {
    const geometry = this.#geometry as Geometry;
    const end = Math.min(offset + limit, this.#total ?? (geometry.lastPage - geometry.scheme.firstPage + 1) * geometry.size);
    const missing = (from: number, to: number) => {
      for (let position = from; position < Math.min(to, this.#total ?? to); position++) if (!(position in this.#items)) return true;
      return false;
    };
    if (offset >= end || !missing(offset, end)) return this.#items;
    const { size, scheme } = geometry;
    const firstIndex = Math.floor(offset / size);
    const lastIndex = Math.floor((end - 1) / size);
    const fitted = lastIndex > firstIndex ? this.#fittingSize(geometry, offset, end) : undefined;
    if (fitted !== undefined) {
      try {
        await this.#page(geometry, scheme.firstPage + Math.floor(offset / fitted), fitted);
        return this.#items;
      } catch (error) {
        if (!(error instanceof SizeNotHonoured)) throw error;
      }
    }
    const reads: Promise<void>[] = [];
    for (let index = firstIndex; index <= lastIndex; index++) {
      if (missing(index * size, (index + 1) * size)) reads.push(this.#page(geometry, scheme.firstPage + index, size));
    }
    await Promise.all(reads);
    return this.#items;
  }

  /** A page size below the list's whose one page holds [offset, end) and starts inside the list, if there is one. */
  #fittingSize(geometry: Geometry, offset: number, end: number): number | undefined {
    if (geometry.scheme.sizeParam === undefined || this.#source.knowledge.honoursSmallerSizes === false) return undefined;
    for (let size = geometry.size - 1; size >= end - offset; size--) {
      const start = Math.floor(offset / size) * size;
      if (start + size >= end && start < this.#lowestTotal(geometry)) return size;
    }
    return undefined;
  }

  /**
   * One page in one size, read once however many ask for it, checked against the pattern. A page
   * that failed is not remembered: its caller fails, and whoever was waiting for it asks again.
   */
  #page(geometry: Geometry, page: number, size: number): Promise<void> {
    const key = `${size}:${page}`;
    const inFlight = this.#pages.get(key);
    if (inFlight) {
      return inFlight.catch((error: unknown) => {
        if (!(error instanceof UpstreamError)) throw error;
        return this.#page(geometry, page, size);
      });
    }
    const read = this.#readPage(geometry, page, size).catch((error: unknown) => {
      this.#pages.delete(key);
      throw error;
    });
    this.#pages.set(key, read);
    return read;
  }

  async #readPage(geometry: Geometry, page: number, size: number): Promise<void> {
    const { http, first, knowledge } = this.#source;
    const { pageParam, sizeParam, firstPage } = geometry.scheme;
    const url = new URL(geometry.template);
    url.searchParams.set(pageParam, String(page));
    if (sizeParam !== undefined) url.searchParams.set(sizeParam, String(size));
    const call = http.callForLink(url.href, geometry.requested, first.route);
    const reply = await http.request(call, this.#source.scope);
    const items = this.#parse(reply, call);
    const next = linksOf(reply.headers.link).get('next');
    const nextPage = next === undefined ? undefined : new URL(next, reply.url).searchParams.get(pageParam);
    const isLast = next === undefined;
    if (size < geometry.size && items.length !== size && !isLast) {
      knowledge.honoursSmallerSizes = false;
      throw new SizeNotHonoured();
    }
    if (size < geometry.size) knowledge.honoursSmallerSizes = true;
    const start = (page - firstPage) * size;
    const fits = isLast
      ? items.length <= size && items.length > 0 && start + items.length >= this.#lowestTotal(geometry) && (size < geometry.size || page === geometry.lastPage)
      : items.length === size && nextPage === String(page + 1);
    if (!fits) throw new PatternBroken();
    items.forEach((item, index) => {
      this.#items[start + index] = item;
    });
    if (isLast) this.#total = start + items.length;
  }
}
