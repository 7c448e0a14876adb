import { pino } from 'pino';
import type { GatewayConfig } from '../config.ts';
import { startGateway, type RunningGateway } from '../gateway.ts';
import { lifecycle } from '../lifecycle.ts';
import { errorFields } from '../telemetry/error-fields.ts';
import { Peer, type Channel } from './ipc.ts';
import { WORKER_ASK_TIMEOUT_MS, type PrimaryAnswers, type PrimaryNote, type WorkerAnswers, type WorkerNote } from './protocol.ts';

/**
 * The most bytes one write to a pipe may have and still land whole, never interleaved with another
 * writer's (PIPE_BUF on Linux): every worker writes its log lines to the same stdout.
 */
const ATOMIC_PIPE_WRITE_BYTES = 4096;

const primaryChannel: Channel = {
  send: (message, callback) => process.send?.(message, undefined, undefined, callback),
  on: (event: 'message' | 'disconnect', listener: (message: unknown) => void) => process.on(event, listener),
};

/**
 * One of WORKERS gateway processes, started by the primary (`primary.ts`): it serves the upstreams
 * the primary names (one set of embedded simulators for all), answers `/metrics` with every
 * worker's metrics, and shuts down gracefully when the primary says so. Signals are the primary's
 * to hear (a terminal's Ctrl-C reaches every process of its group): a worker ignores them, and
 * exits at once should the primary be gone (the cluster module's rule).
 */
export async function serveAsWorker(config: GatewayConfig): Promise<void> {
  const ignore = () => {};
  process.on('SIGTERM', ignore);
  process.on('SIGINT', ignore);
  let gateway: RunningGateway | undefined;
  let shutdownAsked = false;
  const primary = new Peer<PrimaryAnswers, WorkerAnswers, WorkerNote, PrimaryNote>(
    primaryChannel,
    { ownMetrics: async () => (gateway ? gateway.metrics.registry.getMetricsAsJSON() : []) },
    (note) => {
      if (note.kind !== 'shutdown' || shutdownAsked) return;
      shutdownAsked = true;
      if (gateway) closeAndExit(gateway);
    },
  );
  const upstreams = await primary.ask('upstreams', WORKER_ASK_TIMEOUT_MS);
  gateway = await startGateway(
    { ...config, upstreams },
    {
      logDestination: pino.destination({ dest: process.stdout.fd, maxWrite: ATOMIC_PIPE_WRITE_BYTES }),
      scrapeAll: () => primary.ask('metrics', WORKER_ASK_TIMEOUT_MS),
    },
  );
  if (shutdownAsked) closeAndExit(gateway);
  else primary.tell({ kind: 'ready', url: gateway.url });
}

/** As a single process shuts down (see `startGateway`), but the primary says when and tells that it closed. */
function closeAndExit(gateway: RunningGateway): void {
  gateway.close().then(
    () => process.exit(0),
    (error: unknown) => {
      lifecycle.error({ error: errorFields(error) }, `closing failed: ${errorFields(error).message}`);
      process.exit(1);
    },
  );
}
