import { useDeferStream } from '@graphql-yoga/plugin-defer-stream';
import { BREAK, GraphQLError, visit, type DocumentNode, type ExecutionResult } from 'graphql';
import { finalAsyncIterator, isAsyncIterable, mapAsyncIterator, type MaskError, type Plugin } from 'graphql-yoga';

/** What one execution answers: one result, or (with `@defer` or `@stream`) its parts as they come. */
export type ExecutionAnswer = ExecutionResult | AsyncIterableIterator<ExecutionResult>;

/** The media types an answer in parts is sent as: GraphQL's incremental delivery over HTTP, and server-sent events. */
const STREAMED_MEDIA_TYPES = ['multipart/mixed', 'text/event-stream'];

const INCREMENTAL_DIRECTIVES = new Set(['defer', 'stream']);
const carriesDirectives = new WeakMap<DocumentNode, boolean>();

/** Whether the document uses `@defer` or `@stream` anywhere (whatever their `if`): its answer may come in parts. */
export function asksForIncrementalDelivery(document: DocumentNode): boolean {
  let found = carriesDirectives.get(document);
  if (found === undefined) {
    found = false;
    visit(document, {
      Directive(node) {
        if (!INCREMENTAL_DIRECTIVES.has(node.name.value)) return undefined;
        found = true;
        return BREAK;
      },
    });
    carriesDirectives.set(document, found);
  }
  return found;
}

/** Whether the request's `Accept` lets an answer come in parts (a wildcard does; no `Accept` at all is `*\/*`). */
function acceptsParts(request: Request): boolean {
  const accepted = (request.headers.get('accept') ?? '*/*').split(',').map((each) => (each.split(';')[0] ?? '').trim().toLowerCase());
  return accepted.some((mediaType) => {
    const [type, subtype] = mediaType.split('/');
    return STREAMED_MEDIA_TYPES.some((streamed) => {
      const [streamedType, streamedSubtype] = streamed.split('/');
      return (type === '*' || type === streamedType) && (subtype === '*' || subtype === streamedSubtype);
    });
  });
}

/**
 * Calls `ended` once the answer has ended, however it ends: at once for one result; for an answer
 * in parts, after its last part is taken, or when its reader stops early (the client went away).
 */
export function whenAnswered<T extends object>(answer: T, ended: () => void): T {
  if (!isAsyncIterable(answer)) {
    ended();
    return answer;
  }
  // The same parts, in the same order: only their end is heard.
  return finalAsyncIterator(answer, ended) as unknown as T;
}

/** A result, or one piece of a later part of an answer in parts: what has errors. */
export interface WithErrors {
  errors?: readonly GraphQLError[];
}

/** A part of an answer in parts: the initial one has `data` and `errors`, each later one its pieces, with their own. */
interface Part extends WithErrors {
  incremental?: readonly WithErrors[];
}

type ResultProcessing = Parameters<NonNullable<Plugin['onResultProcess']>>[0];

/**
 * Hands `visit` every result of the answer that `onResultProcess` is about to send, to read or
 * change its errors in place: one result, each of a batch, or, for an answer in parts, its
 * initial part and every piece of the later parts, each as it comes. Returns the answer as it now
 * is (`setResult` does not change `processing.result`).
 */
export function forEachResult(processing: Pick<ResultProcessing, 'result' | 'setResult'>, visit: (result: WithErrors) => void): ResultProcessing['result'] {
  const { result } = processing;
  if (Array.isArray(result)) for (const each of result) visit(each as WithErrors);
  else if (!isAsyncIterable(result)) visit(result as WithErrors);
  else {
    const visited = mapAsyncIterator(result, (part: Part) => {
      visit(part);
      for (const piece of part.incremental ?? []) visit(piece);
      return part;
    });
    processing.setResult(visited);
    return visited;
  }
  return result;
}

/**
 * Changes what an answer says up front: a single result, or the initial part of an answer in parts
 * (the one with `data`; the later parts each carry a piece in `incremental`). For `onExecuteDone`.
 */
export function changeInitialResult(
  done: { result: ExecutionAnswer; setResult: (result: ExecutionAnswer) => void },
  change: (result: ExecutionResult) => ExecutionResult,
): { onNext: (part: { result: ExecutionResult; setResult: (result: ExecutionResult) => void }) => void } | undefined {
  if (!isAsyncIterable(done.result)) {
    done.setResult(change(done.result));
    return undefined;
  }
  let initial = true;
  return {
    onNext({ result, setResult }) {
      if (!initial) return;
      initial = false;
      setResult(change(result));
    },
  };
}

/**
 * `@defer` and `@stream` (Yoga's plugin: the directives, their validation rules; the standard
 * executor runs such documents, see `useCompiledExecution`), answered as `multipart/mixed` or
 * `text/event-stream`, whichever the client accepts. A client that accepts neither is refused
 * before anything runs: 406 with one `INCREMENTAL_DELIVERY_NOT_ACCEPTED` error that says what to
 * accept (Yoga would answer a bare 406 after the operation had run, its deferred parts unread).
 */
export interface IncrementalDeliveryOptions {
  /** Yoga's masking (`maskedErrors`), which leaves the errors of the later parts' pieces as they were: they are masked here. */
  maskError: MaskError;
  /** What a masked unexpected error says. */
  errorMessage: string;
}

export function useIncrementalDelivery(options: IncrementalDeliveryOptions): Plugin<Record<string, unknown>> {
  const { maskError, errorMessage } = options;
  const masked = (piece: WithErrors): WithErrors => (piece.errors ? { ...piece, errors: piece.errors.map((error) => maskError(error, errorMessage) as GraphQLError) } : piece);
  return {
    onPluginInit({ addPlugin }) {
      addPlugin(useDeferStream());
    },
    onExecute({ args, setResultAndStopExecution }) {
      const { request } = args.contextValue as { request?: Request };
      if (!request || !asksForIncrementalDelivery(args.document)) return undefined;
      if (acceptsParts(request)) {
        return {
          onExecuteDone: ({ result }) => {
            if (!isAsyncIterable(result)) return undefined;
            return {
              onNext: ({ result: part, setResult }) => {
                const { incremental } = part as Part;
                if (!incremental) return;
                const maskedPart: Part = { ...part, incremental: incremental.map(masked) };
                setResult(maskedPart as ExecutionResult);
              },
            };
          },
        };
      }
      setResultAndStopExecution({
        errors: [
          new GraphQLError(
            `This operation uses @defer or @stream: its answer comes in parts, as ${STREAMED_MEDIA_TYPES.join(' or ')}. Accept one of them (Accept: multipart/mixed, application/json), or leave the directives out.`,
            { extensions: { code: 'INCREMENTAL_DELIVERY_NOT_ACCEPTED', accept: STREAMED_MEDIA_TYPES, http: { status: 406 } } },
          ),
        ],
      });
      return undefined;
    },
  };
}
