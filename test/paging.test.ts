import { describe, expect, it } from 'vitest';
import { linksOf, schemeOfFirstPage } from '../src/upstreams/edge/page-scheme.ts';

const nextLink = (header: string | string[] | undefined) => linksOf(header).get('next');
import { PagedList, readOffsetWindow, readPagedWindow, type PageReader } from '../src/upstreams/paging.ts';

const list = Array.from({ length: 240 }, (_, index) => index);

/** A limit/offset upstream that serves at most `cap` items a call, whatever it is asked. */
function offsetUpstream(cap: number, calls: [number, number][] = []) {
  return async (offset: number, limit: number) => {
    calls.push([offset, limit]);
    return { items: list.slice(offset, offset + Math.min(limit, cap)), total: list.length };
  };
}

/** A page/per_page upstream that serves at most `cap` items a page, saying so or not. */
function pagedUpstream(cap: number, saysPerPage: boolean) {
  return async (page: number, perPage: number) => {
    const size = Math.min(perPage, cap);
    return { items: list.slice(page * size, (page + 1) * size), total: list.length, perPage: saysPerPage ? size : perPage };
  };
}

describe('reading windows of upstream lists', () => {
  it('splits a limit/offset window into upstream-sized slices', async () => {
    const calls: [number, number][] = [];
    const page = await readOffsetWindow({ offset: 30, limit: 230 }, 100, offsetUpstream(100, calls));
    expect(page.items).toEqual(list.slice(30, 240));
    expect(calls).toEqual([
      [30, 100],
      [130, 100],
      [230, 30],
    ]);
  });

  it('leaves no gap when a limit/offset upstream caps its pages lower than documented', async () => {
    const page = await readOffsetWindow({ offset: 5, limit: 180 }, 100, offsetUpstream(40));
    expect(page.items).toEqual(list.slice(5, 185));
  });

  it('learns the total from a one-item read for an empty window', async () => {
    const calls: [number, number][] = [];
    expect(await readOffsetWindow({ offset: 0, limit: 0 }, 100, offsetUpstream(100, calls))).toEqual({ items: [], total: 240 });
    expect(calls).toEqual([[0, 1]]);
  });

  it.each([
    ['says its page size', true],
    ['says nothing of its page size', false],
  ])('leaves no gap when a page/per_page upstream serves smaller pages and %s', async (_case, says) => {
    const page = await readPagedWindow({ offset: 45, limit: 150 }, 100, pagedUpstream(30, says));
    expect(page.items).toEqual(list.slice(45, 195));
    expect(page.total).toBe(240);
  });
});

describe('following edge`s Link header', () => {
  it('finds rel="next" among the other relations, quoted or not, absolute or relative', () => {
    expect(nextLink('<http://edge/api/users/?page=1>; rel="first", <http://edge/api/users/?page=3>; rel="next"')).toBe(
      'http://edge/api/users/?page=3',
    );
    expect(nextLink('</api/users/?page=2>; rel=next')).toBe('/api/users/?page=2');
    expect(nextLink(['<a>; rel="prev"', '<b>; rel="next last"'])).toBe('b');
    expect(nextLink('<http://edge/api/users/?page=9>; rel="last"')).toBeUndefined();
    expect(nextLink(undefined)).toBeUndefined();
  });
});

describe('a list read page by page', () => {
  /** Pages of 10 over `list`, counting reads; the page numbered `failOnce` fails on its first read. */
  function pagesOfTen(reads: number[], failOnce?: number): PageReader<number> {
    const failed = new Set<number>();
    const pageAt = (page: number): PageReader<number> => async () => {
      reads.push(page);
      if (page === failOnce && !failed.has(page)) {
        failed.add(page);
        throw new Error('upstream hiccup');
      }
      const items = list.slice(page * 10, page * 10 + 10);
      return { items, next: (page + 1) * 10 < list.length ? pageAt(page + 1) : undefined };
    };
    return pageAt(0);
  }

  it('reads only as far as asked, and each page once however many ask at the same time', async () => {
    const reads: number[] = [];
    const paged = new PagedList(pagesOfTen(reads));
    const [first, again, found] = await Promise.all([paged.readTo(15), paged.readTo(12), paged.find((item) => item === 25)]);
    expect(first.length).toBeGreaterThanOrEqual(15);
    expect(again.length).toBeGreaterThanOrEqual(12);
    expect(found).toBe(25);
    expect(reads).toEqual([0, 1, 2]);
    expect(paged.complete).toBe(false);
    expect(await paged.all()).toEqual(list);
    expect(paged.complete).toBe(true);
    expect(reads).toHaveLength(24);
  });

  it('fails the caller whose page failed, and reads that page again for the next one', async () => {
    const reads: number[] = [];
    const paged = new PagedList(pagesOfTen(reads, 1));
    await expect(paged.readTo(20)).rejects.toThrow('upstream hiccup');
    expect(await paged.readTo(20)).toEqual(list.slice(0, 20));
    expect(reads).toEqual([0, 1, 1]);
  });
});

describe('what the links of an edge list’s first page show of its pages', () => {
  const at = (search: string) => new URL(`http://edge/api/users/${search}`);

  it('takes the number that changes from next to last as the page, and the one that holds the page’s length as the size', () => {
    expect(schemeOfFirstPage(at('?username=bo'), 25, at('?username=bo&page=2&per_page=25'), at('?username=bo&page=8&per_page=25'), undefined)).toEqual({
      scheme: { pageParam: 'page', sizeParam: 'per_page', firstPage: 1 },
      lastPage: 8,
    });
    // 0-based pages, other names, no size at all.
    expect(schemeOfFirstPage(at(''), 10, at('?p=1'), at('?p=4'), undefined)).toEqual({ scheme: { pageParam: 'p', sizeParam: undefined, firstPage: 0 }, lastPage: 4 });
  });

  it('tells the page from the size in a list of two pages, where both are the same in next and last', () => {
    expect(schemeOfFirstPage(at(''), 20, at('?page_size=20&page=2'), at('?page_size=20&page=2'), undefined)?.scheme).toEqual({
      pageParam: 'page',
      sizeParam: 'page_size',
      firstPage: 1,
    });
    // A page of 2 items, page 2 of 2: nothing tells them apart.
    expect(schemeOfFirstPage(at(''), 2, at('?a=2&b=2'), at('?a=2&b=2'), undefined)).toBeUndefined();
  });

  it('takes the size asked for back capped, or echoed, when the scheme is known', () => {
    const known = { pageParam: 'page', sizeParam: 'per_page', firstPage: 1 };
    expect(schemeOfFirstPage(at('?per_page=500'), 100, at('?per_page=100&page=2'), at('?per_page=100&page=3'), known)?.lastPage).toBe(3);
    expect(schemeOfFirstPage(at('?per_page=500'), 100, at('?per_page=500&page=2'), at('?per_page=500&page=3'), known)?.scheme).toEqual(known);
    // Links that no longer show it: no scheme.
    expect(schemeOfFirstPage(at('?per_page=500'), 100, at('?pg=2'), at('?pg=3'), known)).toBeUndefined();
  });

  it('sees no pattern in opaque cursors, in two numbers that change, in a filter dropped or a path changed, or without a last link', () => {
    expect(schemeOfFirstPage(at(''), 25, at('?cursor=YWJj'), at('?cursor=ZGVm'), undefined)).toBeUndefined();
    expect(schemeOfFirstPage(at(''), 25, at('?page=2&sig=12'), at('?page=8&sig=88'), undefined)).toBeUndefined();
    expect(schemeOfFirstPage(at('?username=bo'), 25, at('?page=2'), at('?page=8'), undefined)).toBeUndefined();
    expect(schemeOfFirstPage(at(''), 25, new URL('http://edge/api/other/?page=2'), at('?page=8'), undefined)).toBeUndefined();
    expect(schemeOfFirstPage(at(''), 25, at('?page=2'), undefined, undefined)).toBeUndefined();
    // A next page that is not the second, or a last page before it.
    expect(schemeOfFirstPage(at(''), 25, at('?page=5'), at('?page=8'), undefined)).toBeUndefined();
    expect(schemeOfFirstPage(at(''), 25, at('?page=2'), at('?page=1x'), undefined)).toBeUndefined();
  });
});
