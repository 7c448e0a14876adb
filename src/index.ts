import { ConfigError, loadConfig } from './server/config.ts';
import { startGateway } from './server/gateway.ts';

try {
  const config = loadConfig();
  for (const warning of config.warnings) console.warn(`warning: ${warning}`);
  const gateway = await startGateway(config);
  const simulated = gateway.simulated.length ? ` (embedded simulators for: ${gateway.simulated.join(', ')})` : '';
  console.log(`GraphQL gateway ready: ${gateway.url}${simulated}\nOpen it in a browser for GraphiQL.`);
  const shutdown = (signal: string) => {
    console.log(`${signal} received, closing`);
    gateway.close().then(
      () => process.exit(0),
      (error: unknown) => {
        console.error(error);
        process.exit(1);
      },
    );
  };
  process.once('SIGTERM', () => shutdown('SIGTERM'));
  process.once('SIGINT', () => shutdown('SIGINT'));
} catch (error) {
  console.error(error instanceof ConfigError ? error.message : error);
  process.exit(1);
}
