import { startSimulators, type Simulators } from '../simulators/index.ts';
import { edgeHeaders, gateHeaders, switchHeaders, type GatewayConfig, type UpstreamSettings } from './config.ts';

export type UpstreamKey = keyof GatewayConfig['upstreams'];

const UPSTREAMS: readonly UpstreamKey[] = ['gate', 'edge', 'switch'];

/** Where the simulators answer and how to authenticate to them, as config would say it. */
export function simulatorSettings(simulators: Simulators): Record<UpstreamKey, UpstreamSettings> {
  return {
    gate: { url: simulators.gate.url, headers: gateHeaders(simulators.gate.token) },
    edge: { url: simulators.edge.url, headers: edgeHeaders({ username: simulators.edge.username, password: simulators.edge.password }) },
    switch: { url: simulators.switch.url, headers: switchHeaders(simulators.switch.token) },
  };
}

export interface EmbeddedSimulators {
  /** Running, when some upstream was left unconfigured. */
  simulators: Simulators | undefined;
  /** Which upstreams they stand in for. */
  simulated: UpstreamKey[];
  /** Every upstream: as configured, else its simulator. */
  upstreams: Record<UpstreamKey, UpstreamSettings>;
}

/** Simulators for the upstreams `configured` leaves unset (none started when it sets all three). */
export async function startEmbeddedSimulators(configured: GatewayConfig['upstreams']): Promise<EmbeddedSimulators> {
  const simulated = UPSTREAMS.filter((key) => !configured[key]);
  const simulators = simulated.length ? await startSimulators({ recordRequests: false }) : undefined;
  const fallback = simulators && simulatorSettings(simulators);
  const settings = (key: UpstreamKey): UpstreamSettings => {
    const chosen = configured[key] ?? fallback?.[key];
    if (!chosen) throw new Error(`no ${key} upstream`);
    return chosen;
  };
  return { simulators, simulated, upstreams: { gate: settings('gate'), edge: settings('edge'), switch: settings('switch') } };
}
