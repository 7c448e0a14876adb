// Mesh compose config (run by bench/peers.ts with @graphql-mesh/compose-cli from bench/peers/.tools):
// the three REST upstreams as JSON-schema sources, joined by `@resolveTo` where Mesh can say the
// join without code. The env placeholders are read by Hive Gateway at run time.
//
// Declarative joins take `result` paths into one answer (`results.0`, `payload.items.0`): they
// take the first record, so gate's exact filters come out right, while switch's `name` (a
// substring filter) may give another person's account. edge answers bare arrays, and a `result`
// path cannot index into those (Mesh maps a path over each element of an array), so edge's joins
// are in gateway.config.mjs.
//
// Query strings are given as arguments (`queryParamArgMap`), never in `path`: Mesh joins endpoint
// and path with url-join, which turns `/user/?limit=` into `/user?limit=`, and gate (Django-like)
// may not serve paths without their trailing slash. Static values (`balance=true`, the page size)
// are passed as arguments by the joins and the query; the ones `@resolveTo` passes are strings,
// as its `sourceArgs` drop any other literal (Mesh only sets string values).
import { defineConfig } from '@graphql-mesh/compose-cli';
import { loadJSONSchemaSubgraph } from '@omnigraph/json-schema';

const string = { type: 'string' };
const integer = { type: 'integer' };
const boolean = { type: 'boolean' };

/** Only the fields the nested query reads. */
const gateUser = { type: 'object', title: 'GateUser', properties: { id: string, username: string } };
const token = { type: 'object', title: 'GateUserToken', properties: { username: string, is_active: boolean, balance_seconds: integer } };
const extra = { type: 'object', title: 'GateUserExtra', properties: { parent: integer, preferences: { type: 'object', additionalProperties: true } } };
const edgeUser = { type: 'object', title: 'EdgeUser', properties: { id: string, username: string } };
const login = { type: 'object', title: 'EdgeLogin', properties: { id: string } };
const switchUser = { type: 'object', title: 'SwitchUser', properties: { user_id: integer, name: string } };
const gateList = (title, item) => ({ type: 'object', title, properties: { count: integer, results: { type: 'array', items: item } } });

/** A GET whose arguments are all query parameters, named as the upstream names them. */
function get(field, path, queryArgs, responseSchema, pathArgs = {}) {
  return {
    type: 'Query',
    field,
    path,
    method: 'GET',
    argTypeMap: { ...pathArgs, ...Object.fromEntries(Object.entries(queryArgs).map(([, [arg, schema]]) => [arg, schema])) },
    queryParamArgMap: Object.fromEntries(Object.entries(queryArgs).map(([param, [arg]]) => [param, arg])),
    responseSchema,
  };
}

export const composeConfig = defineConfig({
  subgraphs: [
    {
      sourceHandler: loadJSONSchemaSubgraph('gate', {
        endpoint: '{env.GATE_URL}',
        operationHeaders: { Authorization: 'Bearer {env.GATE_TOKEN}' },
        operations: [
          get('gateUsers', '/user/', { limit: ['limit', integer], offset: ['offset', integer] }, gateList('GateUserList', gateUser)),
          get('gateTokens', '/user_token/', { username: ['username', string], balance: ['balance', string] }, gateList('GateUserTokenList', token)),
          get('gateExtras', '/user_extra/', { parent: ['parent', string] }, gateList('GateUserExtraList', extra)),
        ],
      }),
    },
    {
      sourceHandler: loadJSONSchemaSubgraph('edge', {
        endpoint: '{env.EDGE_URL}',
        operationHeaders: { Authorization: 'Basic {env.EDGE_BASIC}' },
        operations: [
          // edge's docs name no page parameters: bench/peers.ts fills in the one its links show.
          get('edgeUsers', '/users/', { username: ['username', string], EDGE_PAGE_SIZE_PARAM: ['pageSize', integer] }, { type: 'array', items: edgeUser }),
          get('edgeLoginHistory', '/users/{args.id}/history/', { EDGE_PAGE_SIZE_PARAM: ['pageSize', integer] }, { type: 'array', items: login }, { id: string }),
        ],
      }),
    },
    {
      sourceHandler: loadJSONSchemaSubgraph('switch', {
        endpoint: '{env.SWITCH_URL}',
        operationHeaders: { 'X-Auth-Token': '{env.SWITCH_TOKEN}' },
        operations: [
          get(
            'switchUsers',
            '/user/list',
            { name: ['name', string], page: ['page', string], per_page: ['perPage', string] },
            { type: 'object', title: 'SwitchUserList', properties: { success: boolean, payload: { type: 'object', title: 'SwitchPage', properties: { items: { type: 'array', items: switchUser } } } } },
          ),
        ],
      }),
    },
  ],
  additionalTypeDefs: /* GraphQL */ `
    extend type GateUser {
      token: GateUserToken
        @resolveTo(sourceName: "gate", sourceTypeName: "Query", sourceFieldName: "gateTokens", requiredSelectionSet: "{ username }", sourceArgs: { username: "{root.username}", balance: "true" }, result: "results.0")
      extra: GateUserExtra
        @resolveTo(sourceName: "gate", sourceTypeName: "Query", sourceFieldName: "gateExtras", requiredSelectionSet: "{ id }", sourceArgs: { parent: "{root.id}" }, result: "results.0")
      switchAccount: SwitchUser
        @resolveTo(sourceName: "switch", sourceTypeName: "Query", sourceFieldName: "switchUsers", requiredSelectionSet: "{ username }", sourceArgs: { name: "{root.username}", page: "0", perPage: "100" }, result: "payload.items.0")
    }
  `,
});
