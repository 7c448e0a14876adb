import cluster from 'node:cluster';
import { loadConfig, type GatewayConfig } from './server/config.ts';
import { exitOnSignals, lifecycle, logAuthentication, logReady, logStartFailure } from './server/lifecycle.ts';

/** WORKERS=1: this process serves, as it always did. */
async function serveAlone(config: GatewayConfig): Promise<void> {
  const { startGateway } = await import('./server/gateway.ts');
  const gateway = await startGateway(config);
  // Graceful: not ready, no new connection, requests under way answered (within the request
  // deadline), then pools, Redis and simulators closed and spans flushed. A second signal stops at
  // once. Heard before the ready line is written: whoever reads it may signal at once.
  exitOnSignals(async (signal) => {
    const closed = gateway.close();
    lifecycle.info({ signal }, `${signal} received: no new connections; finishing the requests under way (at most ${config.requestDeadlineMs} ms), then closing`);
    await closed;
    lifecycle.info('closed');
    return 0;
  });
  logAuthentication(config, gateway.simulated);
  logReady(gateway.url, gateway.simulated, 1);
}

try {
  const config = loadConfig();
  // Each role loads only what it runs: the primary of WORKERS > 1 serves no GraphQL itself.
  if (cluster.isWorker) {
    await (await import('./server/cluster/worker.ts')).serveAsWorker(config);
  } else {
    for (const warning of config.warnings) lifecycle.warn(warning);
    if (config.workers > 1) await (await import('./server/cluster/primary.ts')).superviseWorkers(config);
    else await serveAlone(config);
  }
} catch (error) {
  logStartFailure(error);
  process.exit(1);
}
