import { getOperationAST, type DocumentNode, type GraphQLError, type OperationTypeNode } from 'graphql';
import { isAsyncIterable, type Plugin } from 'graphql-yoga';
import type { AnsweredMutation, GatewayContext } from '../../schema/context.ts';
import { asksForGraphiQL, callerOf } from './use-authentication.ts';
import { forEachResult, whenAnswered } from './use-incremental-delivery.ts';
import { requestIdOf } from './use-request-id.ts';
import { namedDocumentOf, type NamedDocument } from './use-trusted-documents.ts';

/**
 * How a GraphQL request ended, for logs, metrics and traces:
 * - `ok`: it ran, no errors, and every mutation succeeded;
 * - `errors`: it ran, with errors (some fields null: an upstream failed, a field was forbidden, …),
 *   or a mutation answered an upstream's failure (`UpstreamFailure`, `OutcomeUnknown`,
 *   `ProvisioningFailed`);
 * - `refused`: it did not run, answered 4xx or with errors only (no credential, rate limited, a
 *   query too large, deep or costly, a syntax or validation error, shed under load); or it ran and
 *   a mutation answered a refusal, writing nothing (`ValidationError`, `NotFoundError`, …);
 * - `failed`: answered 5xx.
 */
export type RequestOutcome = 'ok' | 'errors' | 'refused' | 'failed';

/**
 * The failures a mutation answers as a member of its result union, by what they make of the
 * request: refused (nothing written, for the input, the records' state or a key or lock in use),
 * or errors (an upstream failed the write, as a failed upstream read makes a query's errors).
 */
const MUTATION_FAILURES: Readonly<Record<string, 'refused' | 'errors'>> = {
  ValidationError: 'refused',
  NotFoundError: 'refused',
  ConflictError: 'refused',
  IdempotencyKeyReused: 'refused',
  IdempotencyKeyBusy: 'refused',
  LockTimeout: 'refused',
  ForbiddenError: 'refused',
  UpstreamFailure: 'errors',
  OutcomeUnknown: 'errors',
  ProvisioningFailed: 'errors',
};

/** How a mutation field ended, as a bounded label: `ok`, the typename of the failure answered, or `error` (a GraphQL error). */
function mutationOutcomeOf(outcome: string): string {
  return outcome === 'ok' || Object.hasOwn(MUTATION_FAILURES, outcome) ? outcome : 'error';
}

/** One mutation field of the request and how it ended. */
export interface MutationSummary {
  mutation: string;
  /** `ok`, the typename of the failure it answered (`ValidationError`, `UpstreamFailure`, …), or `error`. */
  outcome: string;
}

export interface RequestSummary {
  requestId: string;
  /** As the document names the operation run (or, when none ran, as the client named it); undefined: anonymous. */
  operationName: string | undefined;
  operationType: OperationTypeNode | undefined;
  /** The document it named by id (`documentId`, Apollo's persisted query), if it named one: see `useTrustedDocuments`. */
  document: NamedDocument | undefined;
  outcome: RequestOutcome;
  /** The HTTP status answered. */
  status: number;
  /** The distinct `extensions.code`s of the errors answered (`UNKNOWN` for an error without one), at most 10. */
  errorCodes: string[];
  /** The distinct typenames of the failures its mutations answered (`ValidationError`, …). */
  failures: string[];
  /** Its mutation fields, in the order they ran. */
  mutations: MutationSummary[];
  /** From the request's arrival to its answer being ready to send (an answer in parts: to its last part). */
  durationMs: number;
  /** The caller's key (`apikey:ops-console@acme`, never the credential), once authenticated; at most 128 characters. */
  caller: string | undefined;
}

interface Pending {
  startedAt: number;
  operationName: string | undefined;
  operationType: OperationTypeNode | undefined;
  executed: boolean;
  /** undefined until a GraphQL result is processed: an answer made before (401, 429) has none. */
  errorCodes: Set<string> | undefined;
  /** The context's list, filled as its mutations are answered. */
  answeredMutations: readonly AnsweredMutation[];
  /** For an answer in parts (@defer, @stream): settled after its last part (or when its reader left). */
  streamEnded: Promise<void> | undefined;
  summary: Promise<RequestSummary> | undefined;
}

const MAX_CODES = 10;
const MAX_NAME_LENGTH = 128;
const GRAPHQL_NAME = /^[_A-Za-z][_0-9A-Za-z]*$/;

const pending = new WeakMap<Request, Pending>();

function addCodes(codes: Set<string>, errors: readonly GraphQLError[] | undefined): void {
  for (const error of errors ?? []) {
    if (codes.size >= MAX_CODES) return;
    const code = error.extensions?.['code'];
    codes.add(typeof code === 'string' ? code.slice(0, 64) : 'UNKNOWN');
  }
}

/** The codes of an answer made without a GraphQL result (a refusal of our own plugins): read from its JSON body. */
async function codesOfBody(response: Response): Promise<Set<string>> {
  const codes = new Set<string>();
  if (!(response.headers.get('content-type') ?? '').includes('json')) return codes;
  try {
    const body = (await response.clone().json()) as { errors?: GraphQLError[] };
    if (Array.isArray(body.errors)) addCodes(codes, body.errors);
  } catch {
    // Not JSON after all: the status says enough.
  }
  return codes;
}

function outcomeOf(status: number, executed: boolean, codes: ReadonlySet<string>, failures: readonly string[]): RequestOutcome {
  // Shed under load (503 OVERLOADED) is a refusal the gateway chose, not a failure.
  if (status >= 500 && !codes.has('OVERLOADED')) return 'failed';
  if (!executed) return status >= 400 || codes.size ? 'refused' : 'ok';
  if (codes.size || failures.some((failure) => MUTATION_FAILURES[failure] === 'errors')) return 'errors';
  return failures.length ? 'refused' : 'ok';
}

function callerKeyOf(request: Request): string | undefined {
  try {
    return callerOf(request).key.slice(0, MAX_NAME_LENGTH);
  } catch {
    return undefined;
  }
}

async function summarize(request: Request, response: Response, facts: Pending): Promise<RequestSummary> {
  const durationMs = performance.now() - facts.startedAt;
  const codes = facts.errorCodes ?? (response.status >= 400 ? await codesOfBody(response) : new Set<string>());
  const mutations = facts.answeredMutations.map(({ mutation, outcome }) => ({ mutation, outcome: mutationOutcomeOf(outcome) }));
  const failures = [...new Set(mutations.map(({ outcome }) => outcome).filter((outcome) => Object.hasOwn(MUTATION_FAILURES, outcome)))];
  return {
    requestId: requestIdOf(request),
    operationName: facts.operationName,
    operationType: facts.operationType,
    document: namedDocumentOf(request),
    outcome: outcomeOf(response.status, facts.executed, codes, failures),
    status: response.status,
    errorCodes: [...codes],
    failures,
    mutations,
    durationMs,
    caller: callerKeyOf(request),
  };
}

function noteOperation(facts: Pending, document: DocumentNode, operationName: string | null | undefined): void {
  const operation = getOperationAST(document, operationName);
  if (!operation) return;
  facts.operationType = operation.operation;
  facts.operationName = operation.name?.value.slice(0, MAX_NAME_LENGTH);
}

/**
 * How a GraphQL request to `graphqlEndpoint` ended, settled once however many ask; undefined for
 * what is no GraphQL request (`/healthz`, `/metrics`, GraphiQL's page, another path).
 */
export function summaryOf(request: Request, response: Response): Promise<RequestSummary> | undefined {
  const facts = pending.get(request);
  if (!facts) return undefined;
  facts.summary ??= (facts.streamEnded ?? Promise.resolve()).then(() => summarize(request, response, facts));
  return facts.summary;
}

/**
 * What an `onResponse` hook that reports the request's summary returns: the report, to be waited
 * for (its line is written before the answer leaves); or, for an answer in parts, nothing, since
 * its summary settles after the last part, which waiting here would hold back.
 */
export function unlessStreamed(request: Request, report: Promise<void>): Promise<void> | undefined {
  return pending.get(request)?.streamEnded ? undefined : report;
}

export interface RequestSummaryOptions {
  graphqlEndpoint: string;
  /** Whether GraphiQL is served: its page is not a GraphQL request. */
  graphiql: boolean;
}

/**
 * Notes what the request log, the metrics and the traces say of each GraphQL request: when it
 * came, which operation ran, which errors it answered. Put it before every plugin that may answer
 * a request early (authentication, rate limit), so that those answers are summarized too.
 */
export function useRequestSummary(options: RequestSummaryOptions): Plugin {
  return {
    onRequest({ request, url }) {
      if (url.pathname !== options.graphqlEndpoint || (options.graphiql && asksForGraphiQL(request))) return;
      pending.set(request, {
        startedAt: performance.now(),
        operationName: undefined,
        operationType: undefined,
        executed: false,
        errorCodes: undefined,
        answeredMutations: [],
        streamEnded: undefined,
        summary: undefined,
      });
    },
    onParams({ request, params }) {
      const facts = pending.get(request);
      const name = params.operationName;
      if (facts && typeof name === 'string' && name.length <= MAX_NAME_LENGTH && GRAPHQL_NAME.test(name)) facts.operationName = name;
    },
    onValidate({ params, context }) {
      const facts = pending.get((context as { request: Request }).request);
      if (facts) noteOperation(facts, params.documentAST, (context as { params?: { operationName?: string | null } }).params?.operationName);
    },
    onExecute({ args, executeFn, setExecuteFn }) {
      const context = args.contextValue as Partial<Pick<GatewayContext, 'answeredMutations'>> & { request?: Request };
      const facts = context.request && pending.get(context.request);
      if (!facts) return;
      noteOperation(facts, args.document, args.operationName);
      facts.answeredMutations = context.answeredMutations ?? [];
      // Run only when no later plugin answers in its place (the query cost's refusal, say).
      setExecuteFn((executed) => {
        facts.executed = true;
        return executeFn(executed);
      });
    },
    onResultProcess(processing) {
      const facts = pending.get(processing.request);
      if (!facts) return;
      const codes = (facts.errorCodes ??= new Set());
      const answer = forEachResult(processing, (result) => addCodes(codes, result.errors));
      // An answer in parts is summarized once, when its last part has gone, with the codes of every part.
      if (isAsyncIterable(answer)) facts.streamEnded = new Promise((ended) => processing.setResult(whenAnswered(answer, ended)));
    },
  };
}
