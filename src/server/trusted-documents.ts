import {
  getOperationAST,
  Kind,
  NoSchemaIntrospectionCustomRule,
  specifiedRules,
  validate,
  type DocumentNode,
  type GraphQLSchema,
  type OperationDefinitionNode,
} from 'graphql';
import { compileQuery, isCompiledQuery, type CompiledQuery } from 'graphql-jit';
import { ConfigError, type QueryLimits } from './config.ts';
import { parseWithinTokenLimit, shapeRules } from './plugins/use-query-limits.ts';
import { estimateUpstreamCalls } from './query-cost.ts';
import { documentIdFor, sha256Of, type TrustedManifest } from './trusted-manifests.ts';

/** One operation of a trusted document, ready to run. */
interface TrustedOperation {
  compiled: CompiledQuery;
  /**
   * Its worst-case upstream calls, for a caller bound to no organization and one bound to one;
   * only for an operation without variables, whose estimate no request can change.
   */
  fixedEstimate: { open: number; organizationBound: number } | undefined;
}

interface TrustedDocument {
  document: DocumentNode;
  /** By operation name (`undefined`: the document's only operation, run without a name). */
  operations: ReadonlyMap<string | undefined, TrustedOperation>;
}

/** What a trusted document must pass at load: what a request's document passes before it runs. */
export interface TrustedDocumentChecks {
  schema: GraphQLSchema;
  limits: QueryLimits;
  /** Whether clients may introspect the schema: a document that does is refused where they may not. */
  introspection: boolean;
}

/**
 * The trusted documents, each parsed, validated (by the rules and limits a request's document
 * meets), estimated and compiled once, here; a request that names one reuses all of it.
 */
export class TrustedDocuments {
  readonly #byHex = new Map<string, TrustedDocument>();
  readonly #byDocument = new WeakMap<DocumentNode, TrustedDocument>();

  /** Refuses (ConfigError) a manifest whose documents do not all pass, naming each one's hash and its first error. */
  constructor(manifest: TrustedManifest, checks: TrustedDocumentChecks) {
    const problems: string[] = [];
    for (const [hex, { text, manifest: path }] of manifest) {
      const prepared = prepare(text, checks);
      if ('problem' in prepared) {
        problems.push(`TRUSTED_DOCUMENTS ${path}: document ${documentIdFor(hex)} ${prepared.problem}`);
        continue;
      }
      this.#byHex.set(hex, prepared);
      this.#byDocument.set(prepared.document, prepared);
    }
    if (problems.length) throw new ConfigError(`Invalid configuration:\n  ${problems.join('\n  ')}`);
  }

  /** The parsed document an id names, as a client sends it (`sha256:<hex>` or `<hex>`). */
  get(id: string): DocumentNode | undefined {
    const hex = sha256Of(id);
    return hex === undefined ? undefined : this.#byHex.get(hex)?.document;
  }

  /** The operation compiled at load, when the document a request runs is a trusted one (the very object `get` gave). */
  compiledQuery(document: DocumentNode, operationName: string | null | undefined): CompiledQuery | undefined {
    return this.#operation(document, operationName)?.compiled;
  }

  /** The estimate made at load, for an operation of a trusted document whose estimate no request's variables can change. */
  fixedEstimate(document: DocumentNode, operationName: string | null | undefined, organizationBound: boolean): number | undefined {
    const fixed = this.#operation(document, operationName)?.fixedEstimate;
    return fixed && (organizationBound ? fixed.organizationBound : fixed.open);
  }

  /** As graphql-js picks it: the one named, or the document's only one when none is named. */
  #operation(document: DocumentNode, operationName: string | null | undefined): TrustedOperation | undefined {
    const operations = this.#byDocument.get(document)?.operations;
    if (!operations) return undefined;
    if (operationName != null) return operations.get(operationName);
    return operations.size === 1 ? [...operations.values()][0] : undefined;
  }
}

function prepare(text: string, checks: TrustedDocumentChecks): TrustedDocument | { problem: string } {
  const { schema, limits } = checks;
  let document: DocumentNode;
  try {
    document = parseWithinTokenLimit(text, limits);
  } catch (error) {
    return { problem: `does not parse: ${(error as Error).message}` };
  }
  const rules = [...specifiedRules, ...shapeRules(limits), ...(checks.introspection ? [] : [NoSchemaIntrospectionCustomRule])];
  const errors = validate(schema, document, rules);
  if (errors.length) return { problem: `does not validate: ${errors[0]?.message}` };
  const definitions = document.definitions.filter((definition): definition is OperationDefinitionNode => definition.kind === Kind.OPERATION_DEFINITION);
  const operations = new Map<string | undefined, TrustedOperation>();
  for (const definition of definitions) {
    const name = definition.name?.value;
    const operation = prepareOperation(document, name, checks);
    if ('problem' in operation) return { problem: `operation ${name ?? '(anonymous)'} ${operation.problem}` };
    operations.set(name, operation);
  }
  return { document, operations };
}

function prepareOperation(document: DocumentNode, operationName: string | undefined, checks: TrustedDocumentChecks): TrustedOperation | { problem: string } {
  const estimate = (organizationBound: boolean) =>
    estimateUpstreamCalls({ schema: checks.schema, document, operationName, leaveOutVariables: true, model: { organizationBound } });
  const open = estimate(false);
  const limit = checks.limits.maxUpstreamCalls;
  if (open > limit) return { problem: `could make up to ${open} upstream calls with its variables left out, more than the ${limit} one query may make (MAX_UPSTREAM_CALLS)` };
  const compiled = compileQuery(checks.schema, document, operationName);
  if (!isCompiledQuery(compiled)) return { problem: `cannot be compiled: ${compiled.errors?.[0]?.message}` };
  const hasVariables = (getOperationAST(document, operationName)?.variableDefinitions?.length ?? 0) > 0;
  return { compiled, fixedEstimate: hasVariables ? undefined : { open, organizationBound: estimate(true) } };
}
