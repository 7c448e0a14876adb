import { usePersistedOperations } from '@graphql-yoga/plugin-persisted-operations';
import { createGraphQLError, type GraphQLParams, type Plugin } from 'graphql-yoga';
import type { TrustedDocuments } from '../trusted-documents.ts';
import { documentIdFor, sha256Of } from '../trusted-manifests.ts';

export interface TrustedDocumentsOptions {
  documents: TrustedDocuments;
  /** Whether every document not among them is refused (`TRUSTED_DOCUMENTS_ONLY`). */
  only: boolean;
}

/** The document a request named: its id (`sha256:<hex>`, when it is a sha256 at all) and whether it is a trusted one. */
export interface NamedDocument {
  id: string | undefined;
  trusted: boolean;
}

const named = new WeakMap<Request, NamedDocument>();

/** The document this request named by id, if it named one; its id only when well-formed, so logs carry nothing else a client sent. */
export function namedDocumentOf(request: Request): NamedDocument | undefined {
  return named.get(request);
}

/** `documentId`, GraphQL over HTTP's persisted documents: in a POST body or a GET's query string. */
function documentIdParam(params: GraphQLParams, request: Request): unknown {
  return (params as { documentId?: unknown }).documentId ?? (request.method === 'GET' ? new URL(request.url).searchParams.get('documentId') ?? undefined : undefined);
}

/** The id a request names its document by: `documentId`, or Apollo's `extensions.persistedQuery.sha256Hash`. */
function requestedIdOf(params: GraphQLParams, request: Request): string | undefined {
  const documentId = documentIdParam(params, request);
  if (typeof documentId === 'string') return documentId;
  const persistedQuery = (params.extensions as { persistedQuery?: { sha256Hash?: unknown } } | undefined)?.persistedQuery;
  return typeof persistedQuery?.sha256Hash === 'string' ? persistedQuery.sha256Hash : undefined;
}

/**
 * Trusted documents (graphql-codegen's persisted documents): a request names one by its id, and
 * runs it as it was parsed, validated, estimated and compiled at load (see `TrustedDocuments`).
 * An unknown id is PERSISTED_QUERY_NOT_FOUND (404); with `only`, a document sent as text is
 * PERSISTED_QUERY_ONLY (400) — the codes Apollo's clients and Yoga's persisted operations know.
 * Both statuses are GraphQL over HTTP's for `application/graphql-response+json`; `application/json`
 * gets 200, as for a document that does not validate.
 */
export function useTrustedDocuments(options: TrustedDocumentsOptions): Plugin<Record<string, unknown>> {
  const { documents, only } = options;
  const persisted = usePersistedOperations<Record<string, unknown>>({
    allowArbitraryOperations: !only,
    extractPersistedOperationId: (params, request) => requestedIdOf(params, request) ?? null,
    getPersistedOperation: (id) => documents.get(id) ?? null,
    // Validated at load, by the rules and limits a request's document meets.
    skipDocumentValidation: true,
    customErrors: {
      notFound: {
        message: 'PersistedQueryNotFound: no trusted document has this id.',
        extensions: { code: 'PERSISTED_QUERY_NOT_FOUND', http: { spec: true, status: 404 } },
      },
      persistedQueryOnly: {
        message: 'PersistedQueryOnly: this gateway runs trusted documents only; send the documentId of one.',
        extensions: { code: 'PERSISTED_QUERY_ONLY', http: { spec: true, status: 400 } },
      },
      keyNotFound: {
        message: only ? 'Must provide a documentId.' : 'Must provide a query or a documentId.',
        extensions: { code: 'BAD_REQUEST', http: { spec: true, status: 400 } },
      },
    },
  });
  return {
    ...persisted,
    onParams(payload) {
      const { params, request } = payload;
      if (params.query) {
        // Apollo's clients send the text with its hash after a PERSISTED_QUERY_NOT_FOUND: the text is what runs.
        if (documentIdParam(params, request) !== undefined) {
          throw createGraphQLError('Send a query or a documentId, not both.', { extensions: { code: 'BAD_REQUEST', http: { spec: true, status: 400 } } });
        }
      } else {
        const id = requestedIdOf(params, request);
        const hex = id === undefined ? undefined : sha256Of(id);
        if (id !== undefined) named.set(request, { id: hex && documentIdFor(hex), trusted: documents.get(id) !== undefined });
      }
      return persisted.onParams?.(payload);
    },
  };
}
