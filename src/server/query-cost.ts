import { cursorToOffset } from '@pothos/plugin-relay';
import {
  getArgumentValues,
  getDirectiveValues,
  getNamedType,
  getOperationAST,
  getVariableValues,
  GraphQLIncludeDirective,
  GraphQLSkipDirective,
  isAbstractType,
  isCompositeType,
  isObjectType,
  Kind,
  typeFromAST,
  type DocumentNode,
  type FieldNode,
  type FragmentDefinitionNode,
  type GraphQLCompositeType,
  type GraphQLObjectType,
  type GraphQLSchema,
  type SelectionSetNode,
} from 'graphql';
import { DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE } from '../schema/pagination.ts';
import { GATE_MAX_PAGE_SIZE } from '../upstreams/gate/client.ts';
import { SWITCH_PAGE_SIZE } from '../upstreams/switch/client.ts';

/**
 * The worst-case number of upstream calls (HTTP requests to gate, edge or switch) an operation can
 * make, worked out from the document and its variables before anything runs. It follows what the
 * resolvers do: one call per record lookup, one per upstream page of a connection, and whatever is
 * selected under a connection's `edges.node` once per item of the page asked for (as if every page
 * were full). Lookups that the request's DataLoaders share are counted once per parent record;
 * lookups repeated across records (the same person twice in a list) are counted each time.
 *
 * `@skip`/`@include` are honoured, with literal and variable values alike: the estimate is made
 * with the variables the operation will run with, so a skipped field costs what it will cost:
 * nothing. Fragments and inline fragments count for the types they apply to; where a field returns
 * an interface or a union (`node`, `nodes`, mutation results) the costliest possible type counts.
 * An operation that cannot run (unknown operation name, variables that do not coerce) makes no
 * call and is estimated at 0: graphql-js refuses it before any resolver runs.
 *
 * Nothing here knows Yoga: `useQueryCost` refuses what costs too much, and anything else that
 * weighs requests (admission control, say) can call `estimateUpstreamCalls` the same way.
 */

/** What the estimate assumes of the upstreams, and who asks. */
export interface CostModel {
  /** gate's limit/offset pages (the gateway asks for at most this many a call). */
  gatePageSize: number;
  /** switch's page/per_page pages, as the gateway asks for them. */
  switchPageSize: number;
  /**
   * edge's `Link`-header pages. edge's docs name no page size: 25 is what the simulators serve
   * (and what the benchmark's edge answers hold); an edge serving smaller pages costs more calls.
   */
  edgePageSize: number;
  /**
   * How many pages one account's edge list (access tokens, login history) read whole is taken to
   * hold (`totalCount`, `last` without `before`, a login history loaded by id): its length is
   * unknown before it is read, and only `EDGE_MAX_PAGES` bounds it. 2 pages (50 items) covers the
   * simulated accounts' access tokens (0–4) and histories (0–30 attempts; one outlier has 130).
   */
  edgeAccountListPages: number;
  /** Likewise for edge's user directory (`edgeUsers`) read whole: 40 pages, 1000 users. */
  edgeDirectoryPages: number;
  /** The most pages read of one edge list (`EDGE_MAX_PAGES`'s default); past it the list fails. */
  edgeMaxPages: number;
  /**
   * Whether the caller is bound to one organization. Its reads are then filtered at the gateway:
   * switch's user list and gate's user extras are read whole, and so, once per request, are the
   * organization's people; edge's directory is read on until the page is filled with them.
   */
  organizationBound: boolean;
  /** The most gate or switch calls one whole-list read for an organization makes (`TENANT_SCAN_MAX_ITEMS`'s default, 20 000, in pages of 100). */
  tenantScanPages: number;
  /**
   * How many members an organization is taken to have where something is read of each one (its
   * edge account and access tokens, for `Organization.activeAccessTokens`): its length is unknown
   * before its members are read. 100 covers the simulated organizations (4 to 130 people).
   */
  organizationMembers: number;
}

export const DEFAULT_COST_MODEL: CostModel = {
  gatePageSize: GATE_MAX_PAGE_SIZE,
  switchPageSize: SWITCH_PAGE_SIZE,
  edgePageSize: 25,
  edgeAccountListPages: 2,
  edgeDirectoryPages: 40,
  edgeMaxPages: 1000,
  organizationBound: false,
  tenantScanPages: 200,
  organizationMembers: 100,
};

/** What a field's parent record knows, handed to the rules of its fields. */
export interface ParentRecord {
  /** For a connection: the page it serves (`edges` holds `items` edges; `totalCount` may cost `countCalls` more). */
  page?: { items: number; countCalls: number };
  /** Whether the record was read with the details its selection asks for (gate's `balance=true`, `device_info=true`). */
  readInDetail: boolean;
}

/** What one field costs for one parent record. */
export interface FieldCost {
  /** Upstream calls this field makes itself. */
  calls: number;
  /** A lookup the request's DataLoaders make once per record, whichever fields of it ask: counted once per parent. */
  sharedLookup?: { key: string; calls: number };
  /** A read made once per request, whichever fields ask for it: counted once per operation. */
  oncePerRequest?: { key: string; calls: number };
  /** For a connection: the page it serves. */
  page?: { items: number; countCalls: number };
  /** How many values the field holds: what is selected below it costs that many times (1 when not said). */
  items?: number;
  /** See `ParentRecord.readInDetail`; inherited from the parent when not said. */
  readInDetail?: boolean;
}

export interface CostRule {
  /** What the rule charges, in a few words (for people: tests, docs). */
  readonly summary: string;
  cost(args: Readonly<Record<string, unknown>>, parent: ParentRecord, model: CostModel): FieldCost;
}

// ---- the rules ----

/** A fixed number of calls per parent record. */
const calls = (count: number, what: string): CostRule => ({ summary: `${count} (${what})`, cost: () => ({ calls: count }) });

/** One lookup shared by every field of the same record that needs it (through one DataLoader key). */
const sharedLookup = (key: string, options: { detailed?: boolean } = {}): CostRule => ({
  summary: `1, shared per record with the other fields that need ${key}`,
  cost: () => ({ calls: 0, sharedLookup: { key, calls: 1 }, ...(options.detailed !== undefined && { readInDetail: options.detailed }) }),
});

/** A detail a record read plainly reads again (gate's `balance=true`, `device_info=true`); free when its parent asked for it up front. */
const detail = (what: string): CostRule => ({
  summary: `0 when its parent was read in detail, else 1 (${what})`,
  cost: (_args, parent) => ({ calls: parent.readInDetail ? 0 : 1, readInDetail: true }),
});

/** A write: its checks, the write itself, and a read-back should its answer be lost. */
const write = (count: number): CostRule => ({ summary: `${count} (checks, the write, a read-back)`, cost: () => ({ calls: count, readInDetail: false }) });

type Upstream = 'gate' | 'switch' | 'edge';

/** Which edge list: one account's (access tokens, login history), or the user directory. */
type EdgeList = 'account' | 'directory';

interface PageWindow {
  /** The items the page serves at most. */
  items: number;
  /** Where it starts in the list, when known (after a cursor). */
  start: number;
  /** The `before` cursor's position, if any. */
  before: number | undefined;
  /** `last` without `before`: the list's length is read first. */
  fromEnd: boolean;
}

function pageSizeArgument(value: unknown): number | undefined {
  if (typeof value !== 'number' || !Number.isFinite(value)) return undefined;
  // The resolver refuses a page above MAX_PAGE_SIZE before any call: counting the largest it serves errs high.
  return Math.min(Math.max(0, Math.trunc(value)), MAX_PAGE_SIZE);
}

function cursorPosition(value: unknown): number | undefined {
  if (typeof value !== 'string') return undefined;
  try {
    const offset = cursorToOffset(value);
    return Number.isSafeInteger(offset) && offset >= 0 ? offset : undefined;
  } catch {
    return undefined;
  }
}

/** The window a connection's arguments ask for, as `resolveConnection` reads it. */
function pageWindow(args: Readonly<Record<string, unknown>>): PageWindow {
  let first = pageSizeArgument(args['first']);
  const last = pageSizeArgument(args['last']);
  if (first === undefined && last === undefined) first = DEFAULT_PAGE_SIZE;
  const after = cursorPosition(args['after']);
  const before = cursorPosition(args['before']);
  const items = Math.min(first ?? Number.POSITIVE_INFINITY, last ?? Number.POSITIVE_INFINITY);
  return { items, start: after === undefined ? 0 : after + 1, before, fromEnd: last !== undefined && before === undefined };
}

/** Upstream calls to serve one window of a list, and those a `totalCount` then adds. */
function listCalls(upstream: Upstream, edgeList: EdgeList, window: PageWindow, model: CostModel): { calls: number; countCalls: number } {
  const { items, start, before, fromEnd } = window;
  if (upstream === 'gate') {
    // Slices of 100 go out concurrently; `last` without `before` reads the count first. Every
    // slice answers the list's total, so `totalCount` and `hasNextPage` cost nothing more.
    return { calls: Math.max(1, Math.ceil(items / model.gatePageSize)) + (fromEnd ? 1 : 0), countCalls: 0 };
  }
  if (upstream === 'switch') {
    // The pages covering the window; where it starts is unknown from the end, and it may straddle one page more.
    const pages = fromEnd
      ? Math.ceil(items / model.switchPageSize) + 1
      : Math.floor((start + Math.max(items, 1) - 1) / model.switchPageSize) - Math.floor(start / model.switchPageSize) + 1;
    return { calls: pages + (fromEnd ? 1 : 0), countCalls: 0 };
  }
  // edge: pages are read one after another from the first, as far as the window's end (and
  // `before`); the whole list for `last` without `before`, and again whole for `totalCount`.
  const assumed = edgeList === 'account' ? model.edgeAccountListPages : model.edgeDirectoryPages;
  const wholeList = Math.max(assumed, Math.ceil(items / model.edgePageSize));
  const readTo = Math.max(start + items, before ?? 0);
  const pages = Math.min(model.edgeMaxPages, fromEnd ? wholeList : Math.max(1, Math.ceil(readTo / model.edgePageSize)));
  return { calls: pages, countCalls: Math.max(0, Math.min(model.edgeMaxPages, wholeList) - pages) };
}

/** A Relay connection over an upstream list; `lookup`: a shared lookup made first (the person's edge account). */
const connection = (upstream: Upstream, options: { detailed?: boolean; lookup?: string; edgeList?: EdgeList } = {}): CostRule => ({
  summary:
    upstream === 'edge'
      ? `${options.lookup ? `1 shared (${options.lookup}) + ` : ''}edge pages of 25 up to the window's end (the whole list, assumed ${options.edgeList === 'directory' ? '40 pages' : '2 pages'}, for totalCount or last); edges.node × page size`
      : `${upstream} pages of 100 covering the window (+1 for last without before); edges.node × page size`,
  cost: (args, _parent, model) => {
    const window = pageWindow(args);
    const { calls, countCalls } = listCalls(upstream, options.edgeList ?? 'account', window, model);
    return {
      calls,
      ...(options.lookup && { sharedLookup: { key: options.lookup, calls: 1 } }),
      page: { items: window.items, countCalls },
      readInDetail: options.detailed ?? false,
    };
  },
});

/** The organization's people, read whole once per request for the lists filtered at the gateway. */
const PEOPLE = 'the organization’s people';

/**
 * A root list an upstream cannot filter by organization (switch's users, gate's user extras):
 * for a caller bound to one, read whole and filtered at the gateway, next to the organization's
 * people; otherwise as `connection`.
 */
const filteredForOrganization = (upstream: 'gate' | 'switch', options: { detailed?: boolean } = {}): CostRule => {
  const plain = connection(upstream, options);
  return {
    summary: `${plain.summary}; for a caller bound to an organization the whole list (≤ 200 calls) and, once a request, its people (≤ 200)`,
    cost: (args, parent, model) => {
      const cost = plain.cost(args, parent, model);
      if (!model.organizationBound) return cost;
      return { ...cost, calls: model.tenantScanPages, oncePerRequest: { key: PEOPLE, calls: model.tenantScanPages } };
    },
  };
};

/** edge's directory: for a caller bound to an organization, filtered page by page for its people, read on until the page is full. */
const edgeDirectory = (): CostRule => {
  const plain = connection('edge', { edgeList: 'directory' });
  return {
    summary: `${plain.summary}; for a caller bound to an organization the whole directory (assumed 40 pages) and, once a request, its people (≤ 200)`,
    cost: (args, parent, model) => {
      const cost = plain.cost(args, parent, model);
      if (!model.organizationBound) return cost;
      const calls = Math.min(model.edgeMaxPages, Math.max(cost.calls, model.edgeDirectoryPages));
      return { ...cost, calls, page: { items: cost.page?.items ?? 0, countCalls: 0 }, oncePerRequest: { key: PEOPLE, calls: model.tenantScanPages } };
    },
  };
};

/** A connection's `totalCount`: on edge, the rest of the whole list; elsewhere the total comes with every page. */
const totalCount = (upstream: Upstream): CostRule => ({
  summary: upstream === 'edge' ? 'the rest of the whole edge list (see its connection)' : `0 (every ${upstream} page tells the total)`,
  cost: (_args, parent) => ({ calls: parent.page?.countCalls ?? 0 }),
});

// ---- organizations: gate's lists read whole for one organization ----

const MEMBERS = 'the organization’s members';
const ORGANIZATION_TOKENS = 'the organization’s user tokens';

/** A list of one organization read whole, once for every field of the organization that needs it (≤ 200 calls). */
const wholeOrganizationList = (key: string, model: CostModel): FieldCost['sharedLookup'] => ({ key, calls: model.tenantScanPages });

/** A connection over a list held whole: it costs only what it is read from. */
const heldConnection = (summary: string, cost: (model: CostModel) => Omit<FieldCost, 'page'>): CostRule => ({
  summary: `${summary}; edges.node × page size`,
  cost: (args, _parent, model) => ({ ...cost(model), page: { items: pageWindow(args).items, countCalls: 0 }, readInDetail: false }),
});

/**
 * Every organization, from gate's whole user list (≤ 200 calls; for a caller bound to one, its
 * people, once a request). There are as many as there are users at most: what is selected under
 * them counts that many times, so what costs calls belongs on `organization(name:)`.
 */
const organizationList: CostRule = {
  summary: 'gate’s whole user list (≤ 200; a bound caller: its people once a request); what is selected × 20 000 (1 for a bound caller)',
  cost: (_args, _parent, model) =>
    model.organizationBound
      ? { calls: 0, oncePerRequest: { key: PEOPLE, calls: model.tenantScanPages }, items: 1, readInDetail: false }
      : { calls: model.tenantScanPages, items: model.tenantScanPages * model.gatePageSize, readInDetail: false },
};

/**
 * The members' usable access tokens: the members read whole (shared), then each member's edge
 * account (1) and its tokens (assumed 2 pages), for an organization taken to have 100 members.
 */
const organizationAccessTokens: CostRule = {
  summary: 'the members (shared, ≤ 200) + per member, assumed 100: edge account (1) and its tokens (assumed 2 pages); edges.node × page size',
  cost: (args, _parent, model) => {
    const fanOut = model.organizationMembers * (1 + model.edgeAccountListPages);
    return { calls: fanOut, sharedLookup: wholeOrganizationList(MEMBERS, model), page: { items: pageWindow(args).items, countCalls: 0 }, readInDetail: false };
  },
};

/**
 * Records loaded by global id. Most types load with one call; a LoginHistory reads its account's
 * whole history (edge has no attempt by id): the costliest, counted for every id. For a caller
 * bound to an organization, that account is first checked to be one of its people (edge's account
 * by id, then gate's user of its username): 2 more.
 */
const nodeLoads = (idsOf: (args: Readonly<Record<string, unknown>>) => number): CostRule => ({
  summary: 'per id: the whole-list read of a LoginHistory (2; 4 for a caller bound to an organization), the costliest type to load; what is selected × ids',
  cost: (args, _parent, model) => {
    const ids = idsOf(args);
    const perId = model.edgeAccountListPages + (model.organizationBound ? 2 : 0);
    return { calls: ids * perId, items: ids, readInDetail: false };
  },
});

/**
 * The cost of every field that can reach an upstream, by `Type.field`: the ONE place the model
 * lives. A field of the schema whose resolver takes the request's context (through which every
 * upstream is reached), and every `totalCount`, must be listed here (a test checks it), so that a
 * new field cannot silently cost nothing. Fields not listed are plain reads of their parent record.
 */
export const UPSTREAM_COSTS: Readonly<Record<string, CostRule>> = {
  // ---- roots ----
  'Query.user': calls(1, 'gate user by username'),
  'Query.users': connection('gate'),
  'Query.tokens': connection('gate', { detailed: true }),
  'Query.extras': filteredForOrganization('gate', { detailed: true }),
  'Query.switchUsers': filteredForOrganization('switch'),
  'Query.edgeUsers': edgeDirectory(),
  'Query.organizations': organizationList,
  'Query.organization': calls(1, 'gate user count of the organization'),
  'Query.node': nodeLoads(() => 1),
  'Query.nodes': nodeLoads((args) => (Array.isArray(args['ids']) ? args['ids'].length : 0)),

  // ---- totals ----
  'UserConnection.totalCount': totalCount('gate'),
  'TokenConnection.totalCount': totalCount('gate'),
  'ExtraConnection.totalCount': totalCount('gate'),
  'SwitchUserConnection.totalCount': totalCount('switch'),
  'EdgeUserConnection.totalCount': totalCount('edge'),
  'AccessTokenConnection.totalCount': totalCount('edge'),
  'LoginHistoryConnection.totalCount': totalCount('edge'),

  // ---- a person's relations ----
  // token and balance share one user token lookup (read with the balance when either needs it).
  'User.token': sharedLookup('gate user token', { detailed: true }),
  'User.balance': sharedLookup('gate user token', { detailed: true }),
  'User.extra': { summary: '1 (gate user extra, with devices when selected)', cost: () => ({ calls: 1, readInDetail: true }) },
  // edgeAccount, accessTokens and loginHistory share the fuzzy search for the exact username
  // (counted as one page: a name that many others contain takes more, up to EDGE_NAME_SEARCH_MAX_MATCHES).
  'User.edgeAccount': sharedLookup('edge account'),
  'User.accessTokens': connection('edge', { lookup: 'edge account' }),
  'User.loginHistory': connection('edge', { lookup: 'edge account' }),
  // switch's name search: one page of 100 matches (more only for a name that many others contain).
  'User.switchAccount': calls(1, 'switch user by name'),

  // ---- links between records ----
  'Token.user': calls(1, 'gate user by username'),
  'Token.balance': detail('the user token with balance=true'),
  'Extra.user': calls(1, 'gate user by id'),
  'Extra.devices': detail('the user extra with device_info=true'),
  'EdgeUser.user': calls(1, 'gate user by username'),
  'EdgeUser.accessTokens': connection('edge'),
  'EdgeUser.loginHistory': connection('edge'),
  'AccessToken.owner': calls(1, 'edge user by id'),
  'LoginHistory.account': calls(1, 'edge user by id'),
  'SwitchUser.user': calls(1, 'gate user by username'),

  // ---- an organization ----
  'Organization.members': connection('gate'),
  'Organization.balanceTotals': {
    summary: 'its user tokens read whole, with balances (shared, ≤ 200)',
    cost: (_args, _parent, model) => ({ calls: 0, sharedLookup: wholeOrganizationList(ORGANIZATION_TOKENS, model), readInDetail: true }),
  },
  // Its user tokens (shared with balanceTotals) and its members (≤ 200), joined by username.
  'Organization.membersBelowBalance': heldConnection('its members (≤ 200) + its user tokens (shared, ≤ 200)', (model) => ({
    calls: model.tenantScanPages,
    sharedLookup: wholeOrganizationList(ORGANIZATION_TOKENS, model),
  })),
  'Organization.activeAccessTokens': organizationAccessTokens,
  // switch's online users read whole (≤ 200; for a bound caller filtered by its people, once a request) and the members (shared).
  'Organization.onlineSwitchUsers': heldConnection('switch’s online users read whole (≤ 200) + the members (shared, ≤ 200)', (model) => ({
    calls: model.tenantScanPages,
    sharedLookup: wholeOrganizationList(MEMBERS, model),
    ...(model.organizationBound && { oncePerRequest: { key: PEOPLE, calls: model.tenantScanPages } }),
  })),

  // ---- mutations: what is selected on their payloads counts on top ----
  'Mutation.createUser': write(3),
  'Mutation.updateUser': write(3),
  'Mutation.replaceUser': write(3),
  'Mutation.deleteUser': write(4),
  'Mutation.createToken': write(3),
  'Mutation.updateToken': write(4),
  'Mutation.deleteToken': write(3),
  'Mutation.setBalance': write(3),
  'Mutation.addBalance': write(3),
  'Mutation.createExtra': write(3),
  'Mutation.updateExtra': write(4),
  'Mutation.replaceExtra': write(4),
  'Mutation.deleteExtra': write(3),
  'Mutation.createEdgeUser': write(3),
  'Mutation.updateEdgeUser': write(4),
  'Mutation.deleteEdgeUser': write(3),
  'Mutation.createAccessToken': write(5),
  'Mutation.revokeAccessToken': write(3),
  'Mutation.deleteAccessToken': write(3),
  // Checks on every upstream, five records, and their undoing when a step fails.
  // And whether gate has members of its organization (1). A refused organization reads the
  // organizations for a suggestion, once a request: not counted, as only a refusal pays it.
  'Mutation.provisionUser': write(13),
  'Mutation.deprovisionUser': write(12),
};

// ---- the walk ----

export interface CostEstimateInput {
  schema: GraphQLSchema;
  document: DocumentNode;
  operationName?: string | null | undefined;
  /** The variables as the client sent them (coerced here as graphql-js will). */
  variables?: Readonly<Record<string, unknown>> | null | undefined;
  /**
   * Estimates the operation before any request gives its variables (a trusted document, at load):
   * each is left out, its default or nothing, where a required one would stop the estimate at 0.
   */
  leaveOutVariables?: boolean;
  model?: Partial<CostModel>;
}

/** Estimates above this are reported as it: what matters is that they are far over any limit. */
const CEILING = Number.MAX_SAFE_INTEGER;

/** The worst-case number of upstream calls the operation can make (0 for one that cannot run). */
export function estimateUpstreamCalls(input: CostEstimateInput): number {
  const { schema, document } = input;
  const model: CostModel = { ...DEFAULT_COST_MODEL, ...input.model };
  const operation = getOperationAST(document, input.operationName ?? undefined);
  if (!operation) return 0;
  const rootType = schema.getRootType(operation.operation);
  if (!rootType) return 0;
  const definitions = (operation.variableDefinitions ?? []).map((definition) =>
    input.leaveOutVariables && definition.type.kind === Kind.NON_NULL_TYPE ? { ...definition, type: definition.type.type } : definition,
  );
  const coerced = getVariableValues(schema, definitions, { ...input.variables }, { maxErrors: 1 });
  if (coerced.errors) return 0;
  const variables = coerced.coerced;

  const fragments: Record<string, FragmentDefinitionNode> = {};
  for (const definition of document.definitions) {
    if (definition.kind === Kind.FRAGMENT_DEFINITION) fragments[definition.name.value] = definition;
  }

  const included = (node: FieldNode | SelectionSetNode['selections'][number]): boolean => {
    try {
      if (getDirectiveValues(GraphQLSkipDirective, node, variables)?.['if'] === true) return false;
      if (getDirectiveValues(GraphQLIncludeDirective, node, variables)?.['if'] === false) return false;
    } catch {
      // graphql-js fails the whole operation on such a directive; counting the field errs high.
    }
    return true;
  };

  const applies = (condition: FragmentDefinitionNode['typeCondition'] | undefined, type: GraphQLObjectType): boolean => {
    if (!condition) return true;
    const conditionType = typeFromAST(schema, condition);
    if (!conditionType) return false;
    if (conditionType === type) return true;
    return isAbstractType(conditionType) && schema.isSubType(conditionType, type);
  };

  /** The fields a record of this type answers for these selection sets, by response key (graphql-js's CollectFields). */
  const collect = (type: GraphQLObjectType, selectionSets: readonly SelectionSetNode[]): Map<string, FieldNode[]> => {
    const fields = new Map<string, FieldNode[]>();
    const visited = new Set<string>();
    const walk = (selectionSet: SelectionSetNode) => {
      for (const selection of selectionSet.selections) {
        if (!included(selection)) continue;
        if (selection.kind === Kind.FIELD) {
          const key = selection.alias?.value ?? selection.name.value;
          const same = fields.get(key);
          if (same) same.push(selection);
          else fields.set(key, [selection]);
        } else if (selection.kind === Kind.INLINE_FRAGMENT) {
          if (applies(selection.typeCondition, type)) walk(selection.selectionSet);
        } else {
          const name = selection.name.value;
          if (visited.has(name)) continue;
          visited.add(name);
          const fragment = fragments[name];
          if (fragment && applies(fragment.typeCondition, type)) walk(fragment.selectionSet);
        }
      }
    };
    for (const selectionSet of selectionSets) walk(selectionSet);
    return fields;
  };

  // The same fragments reached along many paths are worked out once per type and parent: the
  // estimate stays linear in the document, however its fragments nest.
  const nodeIds = new Map<SelectionSetNode, number>();
  const idOf = (node: SelectionSetNode) => {
    let id = nodeIds.get(node);
    if (id === undefined) nodeIds.set(node, (id = nodeIds.size + 1));
    return id;
  };
  const memo = new Map<string, number>();
  // Kept apart from the memoised totals: a read made once per request counts once, wherever it is asked.
  const oncePerRequest = new Map<string, number>();

  /** The cost of one record of `type` answering these selection sets. */
  const recordCost = (type: GraphQLObjectType, selectionSets: readonly SelectionSetNode[], parent: ParentRecord): number => {
    const memoKey = `${type.name}|${parent.readInDetail}|${parent.page?.items}|${parent.page?.countCalls}|${selectionSets.map(idOf).join(',')}`;
    const known = memo.get(memoKey);
    if (known !== undefined) return known;
    let total = 0;
    const lookups = new Set<string>();
    for (const nodes of collect(type, selectionSets).values()) {
      const first = nodes[0] as FieldNode;
      const name = first.name.value;
      const field = type.getFields()[name];
      if (!field) continue; // __typename, and introspection fields: answered by graphql-js itself
      let args: Record<string, unknown> = {};
      try {
        args = getArgumentValues(field, first, variables);
      } catch {
        // graphql-js fails this field before its resolver runs; the defaults err high.
      }
      const rule = UPSTREAM_COSTS[`${type.name}.${name}`];
      // A connection's `edges` holds as many edges as its page; other fields are plain reads.
      const cost: FieldCost = rule ? rule.cost(args, parent, model) : { calls: 0, items: name === 'edges' && parent.page ? parent.page.items : 1 };
      let own = cost.calls;
      if (cost.oncePerRequest) oncePerRequest.set(cost.oncePerRequest.key, Math.max(oncePerRequest.get(cost.oncePerRequest.key) ?? 0, cost.oncePerRequest.calls));
      if (cost.sharedLookup && !lookups.has(cost.sharedLookup.key)) {
        lookups.add(cost.sharedLookup.key);
        own += cost.sharedLookup.calls;
      }
      const items = cost.items ?? 1;
      const named = getNamedType(field.type);
      const below = items > 0 && isCompositeType(named)
        ? valueCost(
            named,
            nodes.flatMap((node) => (node.selectionSet ? [node.selectionSet] : [])),
            { readInDetail: cost.readInDetail ?? parent.readInDetail, ...(cost.page && { page: cost.page }) },
          )
        : 0;
      total = Math.min(CEILING, total + own + items * below);
    }
    memo.set(memoKey, total);
    return total;
  };

  /** The cost of one value of a composite type: for an interface or a union, the costliest type it may be. */
  const valueCost = (type: GraphQLCompositeType, selectionSets: readonly SelectionSetNode[], parent: ParentRecord): number => {
    if (isObjectType(type)) return recordCost(type, selectionSets, parent);
    let worst = 0;
    for (const possible of schema.getPossibleTypes(type)) worst = Math.max(worst, recordCost(possible, selectionSets, parent));
    return worst;
  };

  const fields = recordCost(rootType, [operation.selectionSet], { readInDetail: false });
  let once = 0;
  for (const calls of oncePerRequest.values()) once += calls;
  return Math.ceil(Math.min(CEILING, fields + once));
}
