// Mesh compose config (run by bench/peers.ts with @graphql-mesh/compose-cli from bench/peers/.tools):
// the three REST upstreams as JSON-schema sources, joined by `@resolveTo` where Mesh can say the
// join without code. The env placeholders are read by Hive Gateway at run time.
//
// Declarative joins take `result` paths into one answer (`results.0`, `payload.items.0`): they
// take the first record, so gate's exact filters come out right, while switch's `name` (a
// substring filter) may give another person's account. edge answers bare arrays, and a `result`
// path cannot index into those (Mesh maps a path over each element of an array), so edge's joins
// are in gateway.config.mjs.
import { defineConfig } from '@graphql-mesh/compose-cli';
import { loadJSONSchemaSubgraph } from '@omnigraph/json-schema';

const gateUser = { type: 'object', title: 'GateUser', properties: { id: { type: 'string' }, username: { type: 'string' } } };
const gateList = (title, item) => ({ type: 'object', title, properties: { count: { type: 'integer' }, results: { type: 'array', items: item } } });
const token = { type: 'object', title: 'GateUserToken', properties: { username: { type: 'string' }, is_active: { type: 'boolean' }, balance_seconds: { type: 'integer' } } };
const extra = { type: 'object', title: 'GateUserExtra', properties: { parent: { type: 'integer' }, preferences: { type: 'object', additionalProperties: true } } };
const edgeUser = { type: 'object', title: 'EdgeUser', properties: { id: { type: 'string' }, username: { type: 'string' } } };
const login = { type: 'object', title: 'EdgeLogin', properties: { id: { type: 'string' } } };
const switchUser = { type: 'object', title: 'SwitchUser', properties: { user_id: { type: 'integer' }, name: { type: 'string' } } };

export const composeConfig = defineConfig({
  subgraphs: [
    {
      sourceHandler: loadJSONSchemaSubgraph('gate', {
        endpoint: '{env.GATE_URL}',
        operationHeaders: { Authorization: 'Bearer {env.GATE_TOKEN}' },
        operations: [
          { type: 'Query', field: 'gateUsers', path: '/user/?limit={args.first}&offset=0', method: 'GET', argTypeMap: { first: { type: 'integer' } }, responseSchema: gateList('GateUserList', gateUser) },
          { type: 'Query', field: 'gateTokens', path: '/user_token/?username={args.username}&balance=true', method: 'GET', argTypeMap: { username: { type: 'string' } }, responseSchema: gateList('GateUserTokenList', token) },
          { type: 'Query', field: 'gateExtras', path: '/user_extra/?parent={args.parent}', method: 'GET', argTypeMap: { parent: { type: 'string' } }, responseSchema: gateList('GateUserExtraList', extra) },
        ],
      }),
    },
    {
      sourceHandler: loadJSONSchemaSubgraph('edge', {
        endpoint: '{env.EDGE_URL}',
        operationHeaders: { Authorization: 'Basic {env.EDGE_BASIC}' },
        operations: [
          { type: 'Query', field: 'edgeUsers', path: '/users/?username={args.username}&EDGE_PAGE_SIZE_PARAM=100', method: 'GET', argTypeMap: { username: { type: 'string' } }, responseSchema: { type: 'array', items: edgeUser } },
          { type: 'Query', field: 'edgeLoginHistory', path: '/users/{args.id}/history/?EDGE_PAGE_SIZE_PARAM=100', method: 'GET', argTypeMap: { id: { type: 'string' } }, responseSchema: { type: 'array', items: login } },
        ],
      }),
    },
    {
      sourceHandler: loadJSONSchemaSubgraph('switch', {
        endpoint: '{env.SWITCH_URL}',
        operationHeaders: { 'X-Auth-Token': '{env.SWITCH_TOKEN}' },
        operations: [
          {
            type: 'Query', field: 'switchUsers', path: '/user/list?name={args.name}&page=0&per_page=100', method: 'GET', argTypeMap: { name: { type: 'string' } },
            responseSchema: { type: 'object', title: 'SwitchUserList', properties: { success: { type: 'boolean' }, payload: { type: 'object', title: 'SwitchPage', properties: { items: { type: 'array', items: switchUser } } } } },
          },
        ],
      }),
    },
  ],
  additionalTypeDefs: /* GraphQL */ `
    extend type GateUser {
      token: GateUserToken @resolveTo(sourceName: "gate", sourceTypeName: "Query", sourceFieldName: "gateTokens", requiredSelectionSet: "{ username }", sourceArgs: { username: "{root.username}" }, result: "results.0")
      extra: GateUserExtra @resolveTo(sourceName: "gate", sourceTypeName: "Query", sourceFieldName: "gateExtras", requiredSelectionSet: "{ id }", sourceArgs: { parent: "{root.id}" }, result: "results.0")
      switchAccount: SwitchUser @resolveTo(sourceName: "switch", sourceTypeName: "Query", sourceFieldName: "switchUsers", requiredSelectionSet: "{ username }", sourceArgs: { name: "{root.username}" }, result: "payload.items.0")
    }
  `,
});
