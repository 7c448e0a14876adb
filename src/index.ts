import { pino } from 'pino';
import { ConfigError, loadConfig } from './server/config.ts';
import { startGateway } from './server/gateway.ts';
import { errorFields } from './server/telemetry/error-fields.ts';
import { StateUnavailableError } from './state/index.ts';

/**
 * Start-up and shutdown: JSON lines like every other, of the logger `lifecycle`, written whatever
 * LOG_LEVEL says (they tell where the gateway listens, whether clients authenticate, and why it
 * stopped); written at once, so that none is lost or reordered by the `process.exit` after it.
 */
const lifecycle = pino({ level: 'info' }, pino.destination({ dest: 1, sync: true })).child({ logger: 'lifecycle' });

/** Why the gateway could not start, as one line: the settings to look at, never a stack. */
function logStartFailure(error: unknown): void {
  if (error instanceof ConfigError) {
    const [heading, ...problems] = error.message.split('\n').map((line) => line.trim());
    lifecycle.fatal({ problems }, problems.length ? `${heading} ${problems.join('; ')}` : error.message);
  } else if (error instanceof StateUnavailableError) {
    // Its message names the server by host, port and database: never the URL's password.
    lifecycle.fatal({ setting: 'REDIS_URL' }, `REDIS_URL: ${error.message}`);
  } else {
    lifecycle.fatal({ error: errorFields(error) }, `the gateway could not start: ${errorFields(error).message}`);
  }
}

try {
  const config = loadConfig();
  for (const warning of config.warnings) lifecycle.warn(warning);
  const gateway = await startGateway(config);
  if (config.auth.mode === 'none') {
    // Simulated data may be open to all; real users behind no authentication must be said out loud.
    const isDemo = ['gate', 'edge', 'switch'].every((upstream) => gateway.simulated.includes(upstream));
    if (isDemo) {
      lifecycle.info(
        'This demo serves without client authentication (every upstream is simulated). To require credentials, set API_KEYS (or API_KEYS_FILE), or JWT_PUBLIC_KEY (or JWT_JWKS_URL) with JWT_ISSUER and JWT_AUDIENCE, and leave AUTH_MODE unset.',
      );
    } else {
      lifecycle.warn("AUTH_MODE=none: client authentication is off; anyone who reaches this gateway reads and changes every organization's users");
    }
  }
  const simulated = gateway.simulated.length ? ` (embedded simulators for: ${gateway.simulated.join(', ')})` : '';
  lifecycle.info({ url: gateway.url, simulated: gateway.simulated }, `GraphQL gateway ready: ${gateway.url}${simulated}; open it in a browser for GraphiQL`);
  // Graceful: not ready, no new connection, requests under way answered (within the request
  // deadline), then pools, Redis and simulators closed and spans flushed. A second signal stops at once.
  let stopping = false;
  const shutdown = (signal: string) => {
    if (stopping) {
      lifecycle.warn({ signal }, `${signal} received again: stopping without waiting`);
      process.exit(1);
    }
    stopping = true;
    const closed = gateway.close();
    lifecycle.info({ signal }, `${signal} received: no new connections; finishing the requests under way (at most ${config.requestDeadlineMs} ms), then closing`);
    closed.then(
      () => {
        lifecycle.info('closed');
        process.exit(0);
      },
      (error: unknown) => {
        lifecycle.error({ error: errorFields(error) }, `closing failed: ${errorFields(error).message}`);
        process.exit(1);
      },
    );
  };
  process.on('SIGTERM', () => shutdown('SIGTERM'));
  process.on('SIGINT', () => shutdown('SIGINT'));
} catch (error) {
  logStartFailure(error);
  process.exit(1);
}
