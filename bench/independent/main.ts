// The three independent upstreams in one process, started as the repo's simulators are:
// SIMULATOR_LATENCY_MS, GATE_PORT, EDGE_PORT, SWITCH_PORT (0 or unset: any free port). Prints the
// env lines the gateway reads, and closes on SIGTERM/SIGINT.
import { buildDataset } from './dataset.ts';
import { edgeErrors, edgeRouter, EDGE_PREFIX } from './edge.ts';
import { gateErrors, gateRouter, GATE_PREFIX } from './gate.ts';
import { Origin } from './http.ts';
import { switchErrors, switchRouter, SWITCH_PREFIX } from './switch.ts';

function wholeEnv(name: string, fallback: number): number {
  const text = process.env[name];
  if (text === undefined || text === '') return fallback;
  if (!/^\d+$/.test(text)) {
    console.error(`${name} must be a whole number`);
    process.exit(2);
  }
  return Number(text);
}

const latencyMs = wholeEnv('SIMULATOR_LATENCY_MS', 0);
const data = buildDataset();

const gate = new Origin({ name: 'gate', prefix: GATE_PREFIX, router: gateRouter(data), latencyMs, ...gateErrors });
const edge = new Origin({ name: 'edge', prefix: EDGE_PREFIX, router: edgeRouter(data), latencyMs, ...edgeErrors });
const switchOrigin = new Origin({ name: 'switch', prefix: SWITCH_PREFIX, router: switchRouter(data), latencyMs, ...switchErrors });

const [gatePort, edgePort, switchPort] = await Promise.all([
  gate.listen(wholeEnv('GATE_PORT', 0)),
  edge.listen(wholeEnv('EDGE_PORT', 0)),
  switchOrigin.listen(wholeEnv('SWITCH_PORT', 0)),
]);

const { credentials } = data;
console.log(`GATE_URL=http://127.0.0.1:${gatePort}${GATE_PREFIX}`);
console.log(`GATE_TOKEN=${credentials.gateToken}`);
console.log(`EDGE_URL=http://127.0.0.1:${edgePort}${EDGE_PREFIX}`);
console.log(`EDGE_USERNAME=${credentials.edgeUsername}`);
console.log(`EDGE_PASSWORD=${credentials.edgePassword}`);
console.log(`SWITCH_URL=http://127.0.0.1:${switchPort}${SWITCH_PREFIX}`);
console.log(`SWITCH_TOKEN=${credentials.switchToken}`);

let stopping = false;
const stop = (): void => {
  if (stopping) return;
  stopping = true;
  void Promise.all([gate.close(), edge.close(), switchOrigin.close()]).then(() => process.exit(0));
};
process.on('SIGTERM', stop);
process.on('SIGINT', stop);
