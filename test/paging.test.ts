import { describe, expect, it } from 'vitest';
import { nextLink } from '../src/upstreams/edge/client.ts';
import { readOffsetWindow, readPagedWindow } from '../src/upstreams/paging.ts';

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
