import { createHash } from 'node:crypto';
import { promisify } from 'node:util';
import { brotliCompress, constants, gzip } from 'node:zlib';
import { shouldRenderGraphiQL, type GraphiQLOptions, type Plugin } from 'graphql-yoga';

/** GraphiQL 5's own props that Yoga's options type does not name; Yoga hands every option on to GraphiQL. */
export interface GraphiQLPageOptions extends GraphiQLOptions {
  /** Shows the settings' "persist headers" toggle even where `shouldPersistHeaders` is false. */
  showPersistHeadersSettings?: boolean;
}

export interface GraphiQLPagePluginOptions {
  graphqlEndpoint: string;
  page: GraphiQLPageOptions;
}

type Coding = 'br' | 'gzip' | 'identity';

/** The page, rendered once, in each coding it is sent in, and the tag of its content. */
interface EncodedPage {
  etag: string;
  bodies: Readonly<Record<Coding, Uint8Array<ArrayBuffer>>>;
}

/** The codings offered, best first: where a client weighs two alike, the smaller wins. */
const CODINGS: readonly Coding[] = ['br', 'gzip', 'identity'];

const compressWithBrotli = promisify(brotliCompress);
const compressWithGzip = promisify(gzip);

/**
 * Rendered and compressed once per process and set of options, on first use, however many
 * gateways ask: brotli at quality 6 with a 16 MiB window takes about half a second for GraphiQL's
 * 9 MB (quality 11 would take fifteen, for a tenth less).
 */
const pages = new Map<string, Promise<EncodedPage>>();

async function renderAndCompress(options: GraphiQLPageOptions): Promise<EncodedPage> {
  const { renderGraphiQL } = await import('@graphql-yoga/render-graphiql');
  const identity = Buffer.from(renderGraphiQL(options));
  const [br, gzipped] = await Promise.all([
    compressWithBrotli(identity, {
      params: {
        [constants.BROTLI_PARAM_MODE]: constants.BROTLI_MODE_TEXT,
        [constants.BROTLI_PARAM_QUALITY]: 6,
        [constants.BROTLI_PARAM_LGWIN]: 24,
        [constants.BROTLI_PARAM_SIZE_HINT]: identity.length,
      },
    }),
    compressWithGzip(identity),
  ]);
  const etag = `"${createHash('sha256').update(identity).digest('base64url')}"`;
  return { etag, bodies: { br, gzip: gzipped, identity } };
}

function encodedPage(options: GraphiQLPageOptions): Promise<EncodedPage> {
  const key = JSON.stringify(options);
  let page = pages.get(key);
  if (!page) {
    page = renderAndCompress(options);
    pages.set(key, page);
  }
  return page;
}

/**
 * The coding to send, by the client's `Accept-Encoding` (RFC 9110, 12.5.3): the highest weight
 * wins, `CODINGS`' order breaks ties; a coding not listed is refused unless `*` weighs it, and
 * identity is acceptable unless refused; undefined when the client refuses all three.
 */
export function negotiatedCoding(acceptEncoding: string | null): Coding | undefined {
  const weights = new Map<string, number>();
  for (const entry of (acceptEncoding ?? '').split(',')) {
    const [name, ...parameters] = entry.split(';').map((part) => part.trim().toLowerCase());
    if (!name) continue;
    const q = parameters.find((parameter) => parameter.startsWith('q='))?.slice(2);
    const weight = q === undefined ? 1 : Number(q);
    weights.set(name, Number.isFinite(weight) ? weight : 0);
  }
  // Identity unnamed (by itself or by `*`) is acceptable, but only where nothing else is.
  const weightOf = (coding: Coding) => weights.get(coding) ?? weights.get('*') ?? (coding === 'identity' ? Number.MIN_VALUE : 0);
  let best: Coding | undefined;
  for (const coding of CODINGS) {
    if (weightOf(coding) > 0 && (best === undefined || weightOf(coding) > weightOf(best))) best = coding;
  }
  return best;
}

/** Whether `If-None-Match` names the tag (weak or strong, as a GET compares them), or is `*`. */
function matches(ifNoneMatch: string | null, etag: string): boolean {
  if (!ifNoneMatch) return false;
  return ifNoneMatch.split(',').some((tag) => {
    const trimmed = tag.trim();
    return trimmed === '*' || trimmed.replace(/^W\//, '') === etag;
  });
}

/**
 * Serves GraphiQL (self-contained: no CDN) in place of Yoga's own rendering, where Yoga would (a
 * GET to the endpoint that accepts HTML): rendered and compressed once, sent brotli- or
 * gzip-encoded by `Accept-Encoding` (about 1.9 MB or 2.4 MB on the wire instead of 9), with an
 * `ETag`; a browser revalidates each visit (`Cache-Control: no-cache`) and gets 304 with no body
 * while the page is unchanged. Put it first among the plugins: the page needs no credential.
 */
export function useGraphiQLPage(options: GraphiQLPagePluginOptions): Plugin {
  return {
    onRequest({ request, url, fetchAPI, endResponse }) {
      if (url.pathname !== options.graphqlEndpoint || !shouldRenderGraphiQL(request)) return undefined;
      return encodedPage(options.page).then(({ etag, bodies }) => {
        const headers = { etag, 'cache-control': 'no-cache', vary: 'accept-encoding' };
        if (matches(request.headers.get('if-none-match'), etag)) {
          endResponse(new fetchAPI.Response(null, { status: 304, headers }));
          return;
        }
        const coding = negotiatedCoding(request.headers.get('accept-encoding'));
        if (!coding) {
          endResponse(new fetchAPI.Response(null, { status: 406, headers: { vary: 'accept-encoding' } }));
          return;
        }
        const body = bodies[coding];
        endResponse(
          new fetchAPI.Response(body, {
            status: 200,
            headers: {
              ...headers,
              'content-type': 'text/html; charset=utf-8',
              'content-length': String(body.byteLength),
              ...(coding !== 'identity' && { 'content-encoding': coding }),
            },
          }),
        );
      });
    },
  };
}
