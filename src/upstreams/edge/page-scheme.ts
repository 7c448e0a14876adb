import LinkHeader from 'http-link-header';
import { UpstreamError } from '../http.ts';

/**
 * The targets of a `Link` header by relation type (RFC 8288: commas may sit inside the URL or a
 * quoted parameter; `rel` holds space-separated, case-insensitive types); the first of each wins.
 * A header that cannot be read is an error: a list is never silently cut short.
 */
export function linksOf(header: string | string[] | undefined): Map<string, string> {
  const values = Array.isArray(header) ? header : header === undefined ? [] : [header];
  const links = new Map<string, string>();
  for (const value of values) {
    let parsed: LinkHeader;
    try {
      parsed = LinkHeader.parse(value);
    } catch {
      throw new UpstreamError('edge', 'UPSTREAM_BAD_RESPONSE', 'edge sent a Link header that is not RFC 8288');
    }
    for (const ref of parsed.refs) {
      if (typeof ref.rel !== 'string') continue;
      for (const rel of ref.rel.toLowerCase().split(/\s+/)) if (!links.has(rel)) links.set(rel, ref.uri);
    }
  }
  return links;
}

/**
 * How an edge list names its pages, as its links show it: the query parameter that carries the
 * page number, the one that carries the page size (when the links carry one), and the number of
 * the first page. edge's docs name neither, and other implementations of them differ.
 */
export interface PageScheme {
  pageParam: string;
  sizeParam: string | undefined;
  firstPage: number;
}

/** A list's first page, as the scheme reads its links: the page size it was served in and the number of its last page. */
export interface FirstPageShape {
  scheme: PageScheme;
  lastPage: number;
}

const integerOf = (value: string | null): number | undefined => (value !== null && /^\d{1,9}$/.test(value) ? Number(value) : undefined);

/**
 * What the links of a list's full first page (`served` items, with a `next` link) show of its
 * pages, or undefined when they show no pattern to rely on: then the list is read by following its
 * links as given. A pattern is taken only when `next` and `last` keep the path and every parameter
 * of the page requested but a page number (and the page size, which the first page may not have
 * been asked in, or was asked in above the upstream's cap), and the numbers agree. `known`: the
 * scheme this list was read with before, which its links must still show.
 */
export function schemeOfFirstPage(requested: URL, served: number, next: URL, last: URL | undefined, known: PageScheme | undefined): FirstPageShape | undefined {
  if (last === undefined || next.pathname !== requested.pathname || last.pathname !== requested.pathname) return undefined;
  const names = new Set([...requested.searchParams.keys(), ...next.searchParams.keys(), ...last.searchParams.keys()]);
  /** Parameters the same in both links (a size, or the page number of a two-page list) and those that differ (a page number). */
  const constant: string[] = [];
  const varying: string[] = [];
  for (const name of names) {
    const asked = requested.searchParams.get(name);
    const inNext = next.searchParams.get(name);
    const inLast = last.searchParams.get(name);
    if (asked !== null && inNext === asked && inLast === asked) continue;
    const nextValue = integerOf(inNext);
    const lastValue = integerOf(inLast);
    if (nextValue === undefined || lastValue === undefined) return undefined;
    if (asked !== null && name !== known?.sizeParam) return undefined;
    (nextValue === lastValue ? constant : varying).push(name);
  }
  let pageParam: string | undefined;
  let sizeParam: string | undefined;
  if (varying.length === 1) {
    pageParam = varying[0];
    if (constant.length > 1) return undefined;
    sizeParam = constant[0];
  } else if (varying.length === 0 && constant.length === 1) {
    pageParam = constant[0];
  } else if (varying.length === 0 && constant.length === 2) {
    // A two-page list: the size is the parameter that says how many the full first page holds.
    const [one, other] = constant as [string, string];
    const holds = (name: string) => integerOf(next.searchParams.get(name)) === served;
    if (holds(one) === holds(other)) return undefined;
    [sizeParam, pageParam] = holds(one) ? [one, other] : [other, one];
  } else {
    return undefined;
  }
  if (pageParam === undefined) return undefined;
  if (sizeParam === undefined && known?.sizeParam !== undefined && requested.searchParams.has(known.sizeParam)) sizeParam = known.sizeParam;
  if (known !== undefined && (known.pageParam !== pageParam || known.sizeParam !== sizeParam)) return undefined;
  const nextPage = integerOf(next.searchParams.get(pageParam)) as number;
  const lastPage = integerOf(last.searchParams.get(pageParam)) as number;
  const firstPage = nextPage - 1;
  if ((firstPage !== 0 && firstPage !== 1) || lastPage < nextPage) return undefined;
  return { scheme: { pageParam, sizeParam, firstPage }, lastPage };
}
