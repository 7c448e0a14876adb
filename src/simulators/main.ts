// `npm run simulators`: serves gate, edge and switch on fixed local ports and prints env lines for the gateway.
import { EDGE_PAGING_DEFAULTS, startSimulators, type EdgePaging } from './index.ts';

function portFromEnv(name: string, fallback: number): number {
  const raw = process.env[name];
  if (raw === undefined || raw === '') return fallback;
  const port = Number(raw);
  if (!Number.isInteger(port) || port < 0 || port > 65_535) throw new Error(`${name} must be a port number, got "${raw}"`);
  return port;
}

function latencyFromEnv(): number {
  const raw = process.env['SIMULATOR_LATENCY_MS'];
  if (raw === undefined || raw === '') return 0;
  const latency = Number(raw);
  if (!Number.isFinite(latency) || latency < 0) throw new Error(`SIMULATOR_LATENCY_MS must be a non-negative number, got "${raw}"`);
  return latency;
}

function positiveIntegerFromEnv(name: string, fallback: number): number {
  const raw = process.env[name];
  if (raw === undefined || raw === '') return fallback;
  const value = Number(raw);
  if (!Number.isSafeInteger(value) || value < 1) throw new Error(`${name} must be a positive integer, got "${raw}"`);
  return value;
}

/** How the simulated edge pages, to try the gateway against another implementation of its docs. */
function edgePagingFromEnv(): EdgePaging {
  const defaults = EDGE_PAGING_DEFAULTS;
  return {
    pageParam: process.env['SIMULATOR_EDGE_PAGE_PARAM'] || defaults.pageParam,
    sizeParam: process.env['SIMULATOR_EDGE_SIZE_PARAM'] || defaults.sizeParam,
    defaultSize: positiveIntegerFromEnv('SIMULATOR_EDGE_DEFAULT_SIZE', defaults.defaultSize),
    maxSize: positiveIntegerFromEnv('SIMULATOR_EDGE_MAX_SIZE', defaults.maxSize),
    ignoresSize: process.env['SIMULATOR_EDGE_IGNORES_SIZE'] === 'true',
  };
}

const simulators = await startSimulators({
  host: '127.0.0.1',
  ports: {
    gate: portFromEnv('GATE_PORT', 9001),
    edge: portFromEnv('EDGE_PORT', 9002),
    switch: portFromEnv('SWITCH_PORT', 9003),
  },
  latencyMs: latencyFromEnv(),
  edgePaging: edgePagingFromEnv(),
  // A benchmark may send millions of requests: count them (/__simulator/stats), don't keep them.
  recordRequests: false,
});

console.log([
  `GATE_URL=${simulators.gate.url}`,
  `GATE_TOKEN=${simulators.gate.token}`,
  `EDGE_URL=${simulators.edge.url}`,
  `EDGE_USERNAME=${simulators.edge.username}`,
  `EDGE_PASSWORD=${simulators.edge.password}`,
  `SWITCH_URL=${simulators.switch.url}`,
  `SWITCH_TOKEN=${simulators.switch.token}`,
].join('\n'));
// On stderr, so that stdout stays the env lines (the benchmarks parse them).
console.error(
  `simulators: fault rules at <origin>/__simulator/faults (POST adds, GET lists, DELETE clears), counters at ` +
    `<origin>/__simulator/stats; e.g. ${new URL(simulators.gate.url).origin}/__simulator/faults (README: "Faults on demand")`,
);

let closing = false;
async function shutdown(signal: NodeJS.Signals): Promise<void> {
  if (closing) return;
  closing = true;
  console.error(`simulators: ${signal}, closing`);
  await simulators.close();
  process.exit(0);
}
process.on('SIGINT', (signal) => void shutdown(signal));
process.on('SIGTERM', (signal) => void shutdown(signal));
