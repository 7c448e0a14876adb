import { ConfigError, loadConfig } from './server/config.ts';
import { startGateway } from './server/gateway.ts';

try {
  const config = loadConfig();
  for (const warning of config.warnings) console.warn(`warning: ${warning}`);
  const gateway = await startGateway(config);
  const simulated = gateway.simulated.length ? ` (embedded simulators for: ${gateway.simulated.join(', ')})` : '';
  if (config.auth.mode === 'none') {
    // Simulated data may be open to all; real users behind no authentication must be said out loud.
    const isDemo = ['gate', 'edge', 'switch'].every((upstream) => gateway.simulated.includes(upstream));
    if (isDemo) {
      console.log(
        'This demo serves without client authentication (every upstream is simulated). To require credentials, set API_KEYS (or API_KEYS_FILE), or JWT_PUBLIC_KEY (or JWT_JWKS_URL) with JWT_ISSUER and JWT_AUDIENCE, and leave AUTH_MODE unset.',
      );
    } else {
      console.warn("warning: AUTH_MODE=none: client authentication is off; anyone who reaches this gateway reads and changes every organization's users");
    }
  }
  console.log(`GraphQL gateway ready: ${gateway.url}${simulated}\nOpen it in a browser for GraphiQL.`);
  // Graceful: not ready, no new connection, requests under way answered (within the request
  // deadline), then pools, Redis and simulators closed and spans flushed. A second signal stops at once.
  let stopping = false;
  const shutdown = (signal: string) => {
    if (stopping) {
      console.warn(`${signal} received again: stopping without waiting`);
      process.exit(1);
    }
    stopping = true;
    const closed = gateway.close();
    console.log(`${signal} received: no new connections; finishing the requests under way (at most ${config.requestDeadlineMs} ms), then closing`);
    closed.then(
      () => {
        console.log('closed');
        process.exit(0);
      },
      (error: unknown) => {
        console.error(error);
        process.exit(1);
      },
    );
  };
  process.on('SIGTERM', () => shutdown('SIGTERM'));
  process.on('SIGINT', () => shutdown('SIGINT'));
} catch (error) {
  console.error(error instanceof ConfigError ? error.message : error);
  process.exit(1);
}
