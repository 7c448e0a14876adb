import { offsetToCursor } from '@pothos/plugin-relay';
import { getIntrospectionQuery, isInterfaceType, isObjectType, parse } from 'graphql';
import { once } from 'node:events';
import { Agent, request, type IncomingMessage } from 'node:http';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { schema } from '../src/schema/index.ts';
import { encodeGlobalId } from '../src/schema/global-ids.ts';
import { loadConfig } from '../src/server/config.ts';
import { startGateway, type RunningGateway } from '../src/server/gateway.ts';
import { CSRF_HEADER } from '../src/server/plugins/use-csrf-prevention.ts';
import { REFUSED_BODY_READ_BYTES } from '../src/server/plugins/use-request-body-limit.ts';
import { estimateUpstreamCalls, UPSTREAM_COSTS } from '../src/server/query-cost.ts';
import { EVERYWHERE_USERNAME, LONG_HISTORY_USERNAME } from '../src/simulators/index.ts';
import { apiKey } from './support/credentials.ts';
import { harnessPerTest, startHarness, type GraphQLResult, type Harness } from './support/harness.ts';

type Loose = GraphQLResult<Record<string, any>> & { extensions?: Record<string, any> };

const estimate = (query: string, variables?: Record<string, unknown>) => estimateUpstreamCalls({ schema, document: parse(query), variables });

/** The benchmark's query (bench/README.md): some 250 real upstream calls. */
const BENCHMARK_QUERY =
  'query Nested { users(first: 50) { edges { node { token { isActive } balance { seconds } extra { preferences } edgeAccount { id } loginHistory(first: 3) { totalCount } switchAccount { userId } } } } }';

/** Two lists of 500 under each of 500 people: some 20 000 calls. */
const TWO_LISTS_OF_500 =
  '{ users(first: 500) { edges { node { accessTokens(first: 500) { edges { node { id } } } loginHistory(first: 500) { edges { node { id } } } } } } }';

const DEFAULT_LIMIT = 1000;

describe('the upstream cost estimate', () => {
  it('has a rule for every field that can reach an upstream, and none for a field that is gone', () => {
    // Every upstream is reached through the request's context: a field whose resolver takes it
    // (its third parameter) may call one. A connection's totalCount reads through the list it was
    // given. The Node `id` fields take it only to encode the id of the record already loaded.
    const reaching: string[] = [];
    for (const type of Object.values(schema.getTypeMap())) {
      if (!isObjectType(type) || type.name.startsWith('__')) continue;
      const implementsNode = type.getInterfaces().some((node) => node.name === 'Node');
      for (const field of Object.values(type.getFields())) {
        const resolve = (field.extensions['pothosOptions'] as { resolve?: (...args: never[]) => unknown } | undefined)?.resolve;
        const takesContext = (resolve?.length ?? 0) >= 3;
        if (implementsNode && field.name === 'id') continue;
        if (takesContext || field.name === 'totalCount') reaching.push(`${type.name}.${field.name}`);
      }
    }
    expect(reaching.length).toBeGreaterThan(50);
    expect(reaching.filter((field) => !(field in UPSTREAM_COSTS))).toEqual([]);
    const stale = Object.keys(UPSTREAM_COSTS).filter((entry) => {
      const [typeName = '', fieldName = ''] = entry.split('.');
      const type = schema.getType(typeName);
      return !((isObjectType(type) || isInterfaceType(type)) && fieldName in type.getFields());
    });
    expect(stale).toEqual([]);
  });

  it('puts the benchmark query at about its 250 real calls, under the default limit', () => {
    const cost = estimate(BENCHMARK_QUERY);
    expect(cost).toBeGreaterThanOrEqual(250);
    expect(cost).toBeLessThanOrEqual(350);
    expect(cost).toBe(301);
  });

  it('puts two lists of 500 under 500 people far above the default limit', () => {
    expect(estimate(TWO_LISTS_OF_500)).toBeGreaterThan(20 * DEFAULT_LIMIT);
  });

  it('counts gate pages of 100 (20 items without first or last), and multiplies what is selected under edges.node', () => {
    expect(estimate('{ users { edges { node { username } } } }')).toBe(1);
    expect(estimate('{ users(first: 250) { totalCount edges { node { username } } } }')).toBe(3);
    expect(estimate('{ users { edges { node { extra { preferences } } } } }')).toBe(1 + 20);
    expect(estimate('{ users(first: 100) { edges { node { switchAccount { name } } } } }')).toBe(1 + 100);
    // `last` without `before` reads the count first.
    expect(estimate('{ users(last: 10) { edges { node { username } } } }')).toBe(2);
  });

  it('counts a person’s token and balance as one lookup, and their edge account once for every edge field', () => {
    expect(estimate('{ user(username: "bob") { token { isActive } balance { seconds } } }')).toBe(2);
    expect(estimate('{ user(username: "bob") { token { balance { seconds } } } }')).toBe(2);
    expect(estimate('{ user(username: "bob") { edgeAccount { id } accessTokens(first: 5) { edges { node { id } } } } }')).toBe(1 + 1 + 1);
    // edge pages of 25, read one after another: 60 items are 3 pages; a total reads the whole list.
    expect(estimate('{ user(username: "bob") { loginHistory(first: 60) { edges { node { id } } } } }')).toBe(1 + 1 + 3);
    expect(estimate('{ user(username: "bob") { loginHistory(first: 3) { totalCount } } }')).toBe(1 + 1 + 2);
  });

  it('multiplies nested connections', () => {
    expect(estimate('{ edgeUsers(first: 50) { edges { node { accessTokens(first: 50) { edges { node { owner { username } } } } } } } }')).toBe(
      2 + 50 * (2 + 50),
    );
  });

  it('counts fragments and inline fragments, for the types they apply to', () => {
    const viaFragments = `
      { users(first: 10) { edges { node { ...Person } } } }
      fragment Person on User { ... on User { balance { seconds } } ...Accounts }
      fragment Accounts on User { switchAccount { name } ... on Node { id } }`;
    expect(estimate(viaFragments)).toBe(1 + 10 * 2);
    // A fragment on another type never applies to a User.
    expect(estimate('{ users(first: 10) { edges { node { ... on EdgeUser { user { id } } } } } }')).toBe(1);
  });

  it('honours @skip and @include, with literals and variables', () => {
    const query = 'query ($skip: Boolean!) { users(first: 50) { edges { node { balance @skip(if: $skip) { seconds } extra @include(if: false) { preferences } } } } }';
    expect(estimate(query, { skip: true })).toBe(1);
    expect(estimate(query, { skip: false })).toBe(1 + 50);
  });

  it('reads page sizes and cursors from the variables', () => {
    const query = 'query ($n: Int, $after: String) { edgeUsers(first: $n, after: $after) { edges { node { id } } } }';
    expect(estimate(query, { n: 10 })).toBe(1);
    // 10 items after the 99th: pages 1 to 5 are read to reach them.
    expect(estimate(query, { n: 10, after: offsetToCursor(99) })).toBe(5);
  });

  it('counts node and nodes by their ids, and what is selected on them for each id', () => {
    expect(estimate('{ node(id: "x") { id } }')).toBe(2);
    const ids = Array.from({ length: 10 }, (_, index) => encodeGlobalId('User', `user${index}`));
    expect(estimate('query ($ids: [ID!]!) { nodes(ids: $ids) { ... on User { switchAccount { name } } } }', { ids })).toBe(10 * (2 + 1));
  });

  it('gives each mutation a small fixed cost, provisionUser a few more, plus what its payload selects', () => {
    expect(estimate('mutation { deleteUser(input: { username: "x" }) { __typename } }')).toBe(4);
    expect(
      estimate(
        'mutation { provisionUser(input: { idempotencyKey: "k", username: "x", email: "x@y.z", password: "long-enough", organization: "acme" }) { __typename } }',
      ),
    ).toBe(13);
  });

  it('counts what filtering for an organization reads: whole lists, and its people once a request', () => {
    const bound = (query: string) => estimateUpstreamCalls({ schema, document: parse(query), model: { organizationBound: true } });
    expect(estimate('{ switchUsers(first: 10) { totalCount } }')).toBe(1);
    expect(bound('{ switchUsers(first: 10) { totalCount } }')).toBe(200 + 200);
    expect(bound('{ switchUsers(first: 1) { totalCount } extras(first: 1) { totalCount } }')).toBe(200 + 200 + 200);
    expect(bound('{ edgeUsers(first: 10) { edges { node { id } } } }')).toBe(40 + 200);
    expect(bound('{ users(first: 10) { totalCount } }')).toBe(1);
    expect(bound('{ node(id: "x") { id } }')).toBe(4);
  });

  it('costs nothing for an operation that cannot run, nor for introspection', () => {
    expect(estimate('query ($n: Int!) { users(first: $n) { totalCount } }', {})).toBe(0);
    expect(estimate(getIntrospectionQuery())).toBe(0);
  });

  it('works out fragments reached along many paths once: linear in the document, not in its expansion', () => {
    // Expanded, this is some 2^40 fields: walking it field by field would never end.
    const levels = Array.from(
      { length: 40 },
      (_, level) => `fragment F${level} on User { edgeAccount { user { ...F${level + 1} } } token { user { ...F${level + 1} } } }`,
    );
    const query = `{ user(username: "bob") { ...F0 } } ${levels.join(' ')} fragment F40 on User { id }`;
    expect(estimate(query)).toBeGreaterThan(2 ** 40);
  });
});

describe('the estimate bounds what a query really asks of the upstreams', () => {
  let harness: Harness;
  beforeAll(async () => {
    harness = await startHarness();
  });
  afterAll(() => harness.close());
  beforeEach(() => harness.simulators.resetRequests());

  const queries = {
    benchmark: BENCHMARK_QUERY,
    'one person, everything': `{ user(username: "${EVERYWHERE_USERNAME}") {
      token { isActive balance { seconds } } balance { seconds } extra { preferences devices { model } }
      edgeAccount { id accessTokens { totalCount edges { node { title owner { username } } } } }
      accessTokens(first: 5) { totalCount edges { node { title } } } loginHistory(last: 3) { edges { node { success account { id } } } }
      switchAccount { userId user { username } } } }`,
    'lists with totals': '{ edgeUsers(first: 30) { totalCount edges { node { username } } } switchUsers(first: 150) { totalCount } tokens(first: 120) { edges { node { balance { seconds } } } } }',
    'people by id': `{ nodes(ids: ["${encodeGlobalId('User', EVERYWHERE_USERNAME)}", "${encodeGlobalId('User', LONG_HISTORY_USERNAME)}"]) { ... on User { balance { seconds } edgeAccount { username } } } }`,
    'a long history': `{ user(username: "${LONG_HISTORY_USERNAME}") { loginHistory(first: 60) { edges { node { id } } } } }`,
  };

  for (const [name, query] of Object.entries(queries)) {
    it(`${name}`, async () => {
      const result: Loose = await harness.execute(query, undefined, { 'X-Query-Cost': 'true' });
      expect(result.errors).toBeUndefined();
      const estimated = result.extensions?.['queryCost']?.upstreamCalls as number;
      expect(estimated).toBe(estimate(query));
      expect(harness.requests().length).toBeGreaterThan(0);
      expect(harness.requests().length).toBeLessThanOrEqual(estimated);
    });
  }
});

describe('hostile queries are refused before any upstream call', () => {
  let harness: Harness;
  beforeAll(async () => {
    harness = await startHarness();
  });
  afterAll(() => harness.close());
  beforeEach(() => harness.simulators.resetRequests());

  const refused = async (query: string, code: string, variables?: Record<string, unknown>) => {
    const result: Loose = await harness.execute(query, variables);
    expect(result.data ?? null).toBeNull();
    expect(result.errors?.map((error) => error.extensions?.['code'])).toContain(code);
    expect(harness.requests()).toEqual([]);
    return result.errors?.find((error) => error.extensions?.['code'] === code);
  };

  it('too deep: QUERY_TOO_DEEP, naming the limit', async () => {
    const nested = (depth: number): string => (depth === 0 ? 'id' : `user { edgeAccount { ${nested(depth - 1)} } }`);
    const error = await refused(`{ user(username: "bob") { edgeAccount { ${nested(6)} } } }`, 'QUERY_TOO_DEEP');
    expect(error?.message).toMatch(/^Query depth limit of 12 exceeded, found \d+\.$/);
    expect(error?.extensions).toMatchObject({ limit: 12 });
  });

  it('fragments add no depth of their own', async () => {
    const result = await harness.execute(
      '{ user(username: "bob") { ...A } } fragment A on User { ...B } fragment B on User { ...C } fragment C on User { ... on User { username } }',
    );
    expect(result.errors).toBeUndefined();
  });

  it('too many aliases: TOO_MANY_ALIASES, naming the limit', async () => {
    const aliases = Array.from({ length: 31 }, (_, index) => `a${index}: user(username: "bob") { id }`).join(' ');
    const error = await refused(`{ ${aliases} }`, 'TOO_MANY_ALIASES');
    expect(error?.message).toBe('Aliases limit of 30 exceeded, found 31.');
  });

  it('too many tokens: QUERY_TOO_LARGE, naming the limit', async () => {
    const error = await refused(`{ ${'__typename '.repeat(5001)}}`, 'QUERY_TOO_LARGE');
    expect(error?.message).toBe('Token limit of 5000 exceeded.');
  });

  it('too many directives: TOO_MANY_DIRECTIVES, naming the limit', async () => {
    const fields = Array.from({ length: 21 }, (_, index) => `t${index}: __typename @include(if: true)`).join(' ');
    const error = await refused(`{ ${fields} }`, 'TOO_MANY_DIRECTIVES');
    expect(error?.message).toBe('Directives limit of 20 exceeded, found 21.');
  });

  it('counts the directives on fragment spreads, each spread of a fragment with the fragment`s own', async () => {
    const onSpreads = await refused(`{ ${'...F @include(if: true) '.repeat(100)}} fragment F on Query { __typename }`, 'TOO_MANY_DIRECTIVES');
    expect(onSpreads?.message).toBe('Directives limit of 20 exceeded, found 100.');
    // 7 spreads of a fragment with 2 directives of its own, each spread with 1 more: 21.
    const inFragment = await refused(`{ ${'...G @skip(if: false) '.repeat(7)}} fragment G on Query { a: __typename @include(if: true) b: __typename @include(if: true) }`, 'TOO_MANY_DIRECTIVES');
    expect(inFragment?.message).toBe('Directives limit of 20 exceeded, found 21.');
    // Inline fragments and the operation's own count too; 20 in all pass.
    const inline = `{ ${'... on Query @include(if: true) { __typename } '.repeat(10)}${'...G '.repeat(5)}}`;
    expect((await harness.execute(`${inline} fragment G on Query { a: __typename @include(if: true) b: __typename @include(if: true) }`)).errors).toBeUndefined();
  });

  it('too costly: QUERY_TOO_COSTLY, with the estimate and the limit, answered like a validation error', async () => {
    const error = await refused(TWO_LISTS_OF_500, 'QUERY_TOO_COSTLY');
    const status = async (accept: string) =>
      (await harness.yoga.fetch('http://gateway.test/graphql', { method: 'POST', headers: { 'content-type': 'application/json', accept }, body: JSON.stringify({ query: TWO_LISTS_OF_500 }) })).status;
    expect(await status('application/graphql-response+json')).toBe(400);
    expect(await status('application/json')).toBe(200);
    expect(error?.extensions).toEqual({ code: 'QUERY_TOO_COSTLY', cost: estimate(TWO_LISTS_OF_500), limit: DEFAULT_LIMIT, requestId: expect.any(String) });
    expect(error?.message).toContain(`more than the ${DEFAULT_LIMIT}`);
  });

  it('too costly once the variables are known', async () => {
    const query = 'query ($n: Int) { users(first: $n) { edges { node { loginHistory(first: $n) { edges { node { id } } } } } } }';
    await refused(query, 'QUERY_TOO_COSTLY', { n: 500 });
    const fine = await harness.execute(query, { n: 2 });
    expect(fine.errors).toBeUndefined();
  });

  it('a fan-out through aliases: QUERY_TOO_COSTLY', async () => {
    const lists = Array.from({ length: 10 }, (_, index) => `l${index}: users(first: 100) { edges { node { token { isActive } extra { preferences } } } }`);
    await refused(`{ ${lists.join(' ')} }`, 'QUERY_TOO_COSTLY');
  });

  it('a fan-out through node ids: QUERY_TOO_COSTLY', async () => {
    const ids = Array.from({ length: 100 }, (_, index) => encodeGlobalId('User', `user${index}`));
    await refused('query ($ids: [ID!]!) { nodes(ids: $ids) { ... on User { loginHistory(first: 500) { edges { node { id } } } } } }', 'QUERY_TOO_COSTLY', { ids });
  });

  it('a fan-out through nested lists: QUERY_TOO_COSTLY', async () => {
    await refused(
      '{ edgeUsers(first: 100) { edges { node { accessTokens(first: 100) { edges { node { owner { user { balance { seconds } } } } } } } } } }',
      'QUERY_TOO_COSTLY',
    );
  });
});

describe('a caller bound to an organization', () => {
  const harnessWith = harnessPerTest();
  const bound = apiKey('acme-reader', ['users:read'], 'acme');

  it('is estimated as one: a few whole-list reads pass, more are refused before any call', async () => {
    const harness = await harnessWith({ env: { API_KEYS: JSON.stringify([bound.entry]) } });
    const lists = (count: number) => `{ ${Array.from({ length: count }, (_, index) => `l${index}: switchUsers(first: ${index + 1}) { totalCount }`).join(' ')} }`;
    const few: Loose = await harness.execute(lists(3), undefined, { 'x-api-key': bound.key, 'X-Query-Cost': 'true' });
    expect(few.errors).toBeUndefined();
    expect(few.extensions?.['queryCost']).toEqual({ upstreamCalls: 3 * 200 + 200, limit: DEFAULT_LIMIT });
    expect(harness.requests().length).toBeLessThanOrEqual(800);
    harness.simulators.resetRequests();
    const many: Loose = await harness.execute(lists(5), undefined, { 'x-api-key': bound.key });
    expect(many.errors?.[0]?.extensions).toEqual({ code: 'QUERY_TOO_COSTLY', cost: 5 * 200 + 200, limit: DEFAULT_LIMIT, requestId: expect.any(String) });
    expect(harness.requests()).toEqual([]);
  });

  it('is estimated apart from an unbound caller sending the same query, whichever asks first', async () => {
    const admin = apiKey('ops', ['users:read', 'admin']);
    const harness = await harnessWith({ env: { API_KEYS: JSON.stringify([bound.entry, admin.entry]) } });
    const query = '{ switchUsers(first: 1) { totalCount } }';
    const costFor = async (key: string) =>
      ((await harness.execute(query, undefined, { 'x-api-key': key, 'X-Query-Cost': 'true' })) as Loose).extensions?.['queryCost']?.upstreamCalls;
    expect(await costFor(admin.key)).toBe(1);
    expect(await costFor(bound.key)).toBe(1 * 200 + 200);
    expect(await costFor(admin.key)).toBe(1);
  });

  it('bounds what the benchmark query really asks', async () => {
    const harness = await harnessWith({ env: { API_KEYS: JSON.stringify([bound.entry]) } });
    const result: Loose = await harness.execute(BENCHMARK_QUERY, undefined, { 'x-api-key': bound.key, 'X-Query-Cost': 'true' });
    expect(result.errors).toBeUndefined();
    expect(harness.requests().length).toBeLessThanOrEqual(result.extensions?.['queryCost'].upstreamCalls);
  });
});

describe('the benchmark query', () => {
  let harness: Harness;
  beforeAll(async () => {
    harness = await startHarness();
  });
  afterAll(() => harness.close());

  it('passes the default limit, and reports its cost when asked by header', async () => {
    const result: Loose = await harness.execute(BENCHMARK_QUERY, undefined, { 'X-Query-Cost': 'true' });
    expect(result.errors).toBeUndefined();
    expect(result.data?.['users'].edges).toHaveLength(50);
    expect(result.extensions?.['queryCost']).toEqual({ upstreamCalls: estimate(BENCHMARK_QUERY), limit: DEFAULT_LIMIT });
  });

  it('reports its cost when asked in the request’s extensions, and not when not asked', async () => {
    const ask = async (body: Record<string, unknown>) => {
      const response = await harness.yoga.fetch('http://gateway.test/graphql', {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ query: '{ users(first: 2) { edges { node { username } } } }', ...body }),
      });
      return (await response.json()) as Loose;
    };
    expect((await ask({ extensions: { queryCost: true } })).extensions?.['queryCost']).toEqual({ upstreamCalls: 1, limit: DEFAULT_LIMIT });
    expect((await ask({})).extensions?.['queryCost']).toBeUndefined();
  });
});

describe('limits follow their settings', () => {
  const harnessWith = harnessPerTest();

  it('MAX_UPSTREAM_CALLS: the benchmark query is refused under 300, and still reports its cost', async () => {
    const harness = await harnessWith({ env: { MAX_UPSTREAM_CALLS: '300' } });
    const result: Loose = await harness.execute(BENCHMARK_QUERY, undefined, { 'X-Query-Cost': 'true' });
    expect(result.errors?.[0]?.extensions).toEqual({ code: 'QUERY_TOO_COSTLY', cost: 301, limit: 300, requestId: expect.any(String) });
    expect(result.extensions?.['queryCost']).toEqual({ upstreamCalls: 301, limit: 300 });
    expect(harness.requests()).toEqual([]);
  });

  it('QUERY_MAX_DEPTH, QUERY_MAX_ALIASES, QUERY_MAX_TOKENS, QUERY_MAX_DIRECTIVES', async () => {
    const harness = await harnessWith({ env: { QUERY_MAX_DEPTH: '2', QUERY_MAX_ALIASES: '1', QUERY_MAX_TOKENS: '30', QUERY_MAX_DIRECTIVES: '0' } });
    const codeOf = async (query: string) => ((await harness.execute(query)) as Loose).errors?.map((error) => error.extensions?.['code']);
    expect(await codeOf('{ user(username: "bob") { edgeAccount { id } } }')).toEqual(['QUERY_TOO_DEEP']);
    expect(await codeOf('{ a: user(username: "bob") { id } b: user(username: "ann") { id } }')).toEqual(['TOO_MANY_ALIASES']);
    expect(await codeOf(`{ ${'__typename '.repeat(30)}}`)).toEqual(['QUERY_TOO_LARGE']);
    expect(await codeOf('{ __typename @skip(if: false) }')).toEqual(['TOO_MANY_DIRECTIVES']);
    expect(harness.requests()).toEqual([]);
  });

  it('depth limits leave GraphiQL’s introspection query alone', async () => {
    const harness = await harnessWith({ env: { QUERY_MAX_DEPTH: '2' } });
    const introspection = getIntrospectionQuery({
      descriptions: true,
      specifiedByUrl: true,
      directiveIsRepeatable: true,
      schemaDescription: true,
      inputValueDeprecation: true,
      oneOf: true,
    });
    const result: Loose = await harness.execute(introspection);
    expect(result.errors).toBeUndefined();
    expect(result.data?.['__schema'].types.length).toBeGreaterThan(50);
  });
});

describe('the request body', () => {
  const harnessWith = harnessPerTest();
  const post = (harness: Harness, init: RequestInit) =>
    harness.yoga.fetch('http://gateway.test/graphql', { method: 'POST', headers: { 'content-type': 'application/json' }, ...init });

  it('above MAX_REQUEST_BYTES: 413 REQUEST_TOO_LARGE, unparsed', async () => {
    const harness = await harnessWith({ env: { MAX_REQUEST_BYTES: '2048' } });
    const body = JSON.stringify({ query: '{ users { totalCount } }', variables: { padding: 'x'.repeat(2048) } });
    const response = await post(harness, { body });
    expect(response.status).toBe(413);
    const result = (await response.json()) as Loose;
    expect(result.errors?.[0]?.extensions).toEqual({ code: 'REQUEST_TOO_LARGE', limit: 2048, requestId: expect.any(String) });
    expect(harness.requests()).toEqual([]);
  });

  it('a chunked body that never ends is cut off once REFUSED_BODY_READ_BYTES past the limit', async () => {
    const harness = await harnessWith({ env: { MAX_REQUEST_BYTES: '2048' } });
    const chunk = new TextEncoder().encode(' '.repeat(1000));
    let sent = 0;
    const body = new ReadableStream<Uint8Array>({
      pull(controller) {
        if (sent === 0) controller.enqueue(new TextEncoder().encode('{"query":"{ users { totalCount } }"'));
        // Never-ending padding: only the limit stops the reading.
        controller.enqueue(chunk);
        sent++;
      },
    });
    const response = await post(harness, { body, duplex: 'half' } as RequestInit);
    expect(response.status).toBe(413);
    expect(((await response.json()) as Loose).errors?.[0]?.extensions?.['code']).toBe('REQUEST_TOO_LARGE');
    // Read past the limit (dropped) only as far as REFUSED_BODY_READ_BYTES, and a few chunks queued ahead.
    expect(sent * chunk.byteLength).toBeGreaterThan(REFUSED_BODY_READ_BYTES);
    expect(sent * chunk.byteLength).toBeLessThan(2048 + REFUSED_BODY_READ_BYTES + 10 * chunk.byteLength);
    expect(harness.requests()).toEqual([]);
  });

  it('a chunked body under the limit is answered', async () => {
    const harness = await harnessWith({ env: { MAX_REQUEST_BYTES: '2048' } });
    const bytes = new TextEncoder().encode(JSON.stringify({ query: '{ users(first: 1) { totalCount } }' }));
    const body = new ReadableStream<Uint8Array>({
      start(controller) {
        controller.enqueue(bytes);
        controller.close();
      },
    });
    const response = await post(harness, { body, duplex: 'half' } as RequestInit);
    expect(response.status).toBe(200);
    expect(((await response.json()) as Loose).data?.['users'].totalCount).toBeGreaterThan(0);
  });

  it('a batch (a JSON array of operations) is refused', async () => {
    const harness = await harnessWith({});
    const response = await post(harness, { body: JSON.stringify([{ query: '{ users { totalCount } }' }, { query: '{ users { totalCount } }' }]) });
    expect(response.status).toBe(400);
    expect(((await response.json()) as Loose).errors?.[0]?.message).toBe('Batching is not supported.');
    expect(harness.requests()).toEqual([]);
  });
});

describe('the request body over HTTP, from a client still sending it', () => {
  let gateway: RunningGateway;
  beforeAll(async () => {
    gateway = await startGateway(loadConfig({ PORT: '0', LOG_LEVEL: 'silent' }));
  });
  afterAll(() => gateway.close());

  /**
   * POSTs `bytes` of body in 64 KiB chunks, all written at once, without waiting for the server to
   * read them (more than the sockets' buffers hold), and tells how the exchange ended.
   */
  function sendLarge(bytes: number, options: { chunked: boolean; agent: Agent | false }) {
    return new Promise<{ status?: number; error?: Error; sentAll: boolean; body: string }>((resolve) => {
      const outcome: { status?: number; error?: Error; sentAll: boolean; body: string } = { sentAll: false, body: '' };
      const req = request(gateway.url, {
        method: 'POST',
        agent: options.agent,
        headers: { 'content-type': 'application/json', ...(options.chunked ? {} : { 'content-length': String(bytes) }) },
      });
      req.on('response', (response) => {
        outcome.status = response.statusCode;
        response.on('data', (chunk: Buffer) => (outcome.body += chunk.toString()));
      });
      req.on('finish', () => (outcome.sentAll = true));
      req.on('error', (error) => (outcome.error = error));
      req.on('close', () => resolve(outcome));
      // A JSON body of exactly `bytes`: the operation, then spaces.
      req.write('{"query": "{ __typename }"');
      const chunk = Buffer.alloc(64 * 1024, ' ');
      let left = bytes - '{"query": "{ __typename }"}'.length;
      for (; left > chunk.byteLength; left -= chunk.byteLength) req.write(chunk);
      req.end(`${' '.repeat(left)}}`);
    });
  }

  /** The whole body went out, the 413 came back, and nothing broke the connection on the way. */
  function expectRefusalReceived(outcome: Awaited<ReturnType<typeof sendLarge>>) {
    expect(outcome.error).toBeUndefined();
    expect(outcome.sentAll).toBe(true);
    expect(outcome.status).toBe(413);
    expect(JSON.parse(outcome.body)).toMatchObject({ errors: [{ extensions: { code: 'REQUEST_TOO_LARGE' } }] });
  }

  it.each([
    { body: 'with a Content-Length', chunked: false },
    { body: 'chunked', chunked: true },
  ])('gets the 413, $body, whether its connection is to close or be kept', async ({ chunked }) => {
    const eightMiB = 8 * 1024 ** 2;
    expectRefusalReceived(await sendLarge(eightMiB, { chunked, agent: false }));

    // Kept alive, the connection answers the next request, since the refused body was read to its end.
    const agent = new Agent({ keepAlive: true, maxSockets: 1 });
    try {
      expectRefusalReceived(await sendLarge(eightMiB, { chunked, agent }));
      const next = request(gateway.url, { method: 'POST', agent, headers: { 'content-type': 'application/json' } });
      next.end(JSON.stringify({ query: '{ __typename }' }));
      const [response] = (await once(next, 'response')) as [IncomingMessage];
      expect(response.statusCode).toBe(200);
      expect(next.reusedSocket).toBe(true);
      response.resume();
    } finally {
      agent.destroy();
    }
  });
});

describe('production hides the schema', () => {
  const harnessWith = harnessPerTest();
  const introspect = (harness: Harness) => harness.execute('{ __schema { queryType { name } } }') as Promise<Loose>;
  const misspelt = (harness: Harness) => harness.execute('{ usres { totalCount } }') as Promise<Loose>;
  const graphiql = (harness: Harness) => harness.yoga.fetch('http://gateway.test/graphql', { headers: { accept: 'text/html' } });

  it('by default in development: introspection, suggestions and GraphiQL', async () => {
    const harness = await harnessWith({});
    expect((await introspect(harness)).data?.['__schema'].queryType.name).toBe('Query');
    expect((await misspelt(harness)).errors?.[0]?.message).toMatch(/Did you mean "users"/);
    const page = await graphiql(harness);
    expect(page.status).toBe(200);
    expect(await page.text()).toContain('<title>User gateway</title>');
  });

  it('NODE_ENV=production: no introspection, no suggestions, no GraphiQL; queries still answer', async () => {
    const harness = await harnessWith({ env: { NODE_ENV: 'production' } });
    const refused = await introspect(harness);
    expect(refused.data ?? null).toBeNull();
    expect(refused.errors?.[0]?.message).toMatch(/introspection has been disabled/);
    const error = (await misspelt(harness)).errors?.[0];
    expect(error?.message).toBe('Cannot query field "usres" on type "Query".');
    const enumValue = (await harness.execute('{ switchUsers(orderBy: { field: NAM }) { totalCount } }')) as Loose;
    expect(enumValue.errors?.[0]?.message).not.toContain('Did you mean');
    const page = await graphiql(harness);
    expect(page.headers.get('content-type') ?? '').not.toContain('text/html');
    expect(await page.text()).not.toContain('<title>User gateway</title>');
    expect(harness.requests()).toEqual([]);
    expect((await harness.execute('{ __typename users(first: 1) { totalCount } }')).errors).toBeUndefined();
  });

  it('INTROSPECTION=true and GRAPHIQL=true bring them back in production', async () => {
    const harness = await harnessWith({ env: { NODE_ENV: 'production', INTROSPECTION: 'true', GRAPHIQL: 'true' } });
    expect((await introspect(harness)).data?.['__schema'].queryType.name).toBe('Query');
    expect((await misspelt(harness)).errors?.[0]?.message).toMatch(/Did you mean "users"/);
    expect(await (await graphiql(harness)).text()).toContain('<title>User gateway</title>');
  });
});

describe('CSRF prevention', () => {
  let harness: Harness;
  beforeAll(async () => {
    harness = await startHarness();
  });
  afterAll(() => harness.close());
  beforeEach(() => harness.simulators.resetRequests());

  const get = (query: string, headers: Record<string, string> = {}) =>
    harness.yoga.fetch(`http://gateway.test/graphql?query=${encodeURIComponent(query)}`, { headers: { accept: 'application/json', ...headers } });

  it('refuses a GET without the header: 403 CSRF_HEADER_REQUIRED', async () => {
    const response = await get('{ users(first: 1) { totalCount } }');
    expect(response.status).toBe(403);
    expect(((await response.json()) as Loose).errors?.[0]?.extensions?.['code']).toBe('CSRF_HEADER_REQUIRED');
    expect(harness.requests()).toEqual([]);
  });

  it('answers a GET with the header', async () => {
    const response = await get('{ users(first: 1) { totalCount } }', { [CSRF_HEADER]: '1' });
    expect(response.status).toBe(200);
    expect(((await response.json()) as Loose).data?.['users'].totalCount).toBeGreaterThan(0);
  });

  it('refuses a form-like POST without the header, and answers JSON POSTs (GraphiQL’s) without it', async () => {
    const plain = await harness.yoga.fetch('http://gateway.test/graphql', {
      method: 'POST',
      headers: { 'content-type': 'text/plain' },
      body: JSON.stringify({ query: '{ __typename }' }),
    });
    expect(plain.status).toBe(403);
    expect((await harness.execute('{ __typename }')).data).toEqual({ __typename: 'Query' });
  });

  it('still serves the GraphiQL page', async () => {
    const page = await harness.yoga.fetch('http://gateway.test/graphql', { headers: { accept: 'text/html' } });
    expect(page.status).toBe(200);
    expect(await page.text()).toContain('<title>User gateway</title>');
  });

  it('refuses a mutation over GET, header or not', async () => {
    const response = await get('mutation { deleteUser(input: { username: "bob" }) { __typename } }', { [CSRF_HEADER]: '1' });
    expect(response.status).toBe(405);
    expect(((await response.json()) as Loose).errors?.[0]?.message).toBe('Can only perform a mutation operation from a POST request.');
    expect(harness.requests()).toEqual([]);
  });
});
