import { pino } from 'pino';
import { StateUnavailableError } from '../state/index.ts';
import { ConfigError, type GatewayConfig } from './config.ts';
import { errorFields } from './telemetry/error-fields.ts';

/**
 * Start-up and shutdown: JSON lines like every other, of the logger `lifecycle`, written whatever
 * LOG_LEVEL says (they tell where the gateway listens, whether clients authenticate, and why it
 * stopped); written at once, so that none is lost or reordered by the `process.exit` after it.
 */
export const lifecycle = pino({ level: 'info' }, pino.destination({ dest: 1, sync: true })).child({ logger: 'lifecycle' });

/** Why the gateway could not start, as one line: the settings to look at, never a stack. */
export function logStartFailure(error: unknown): void {
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

/** Whether clients authenticate: simulated data may be open to all; real users behind no authentication must be said out loud. */
export function logAuthentication(config: GatewayConfig, simulated: readonly string[]): void {
  if (config.auth.mode !== 'none') return;
  const isDemo = ['gate', 'edge', 'switch'].every((upstream) => simulated.includes(upstream));
  if (isDemo) {
    lifecycle.info(
      'This demo serves without client authentication (every upstream is simulated). To require credentials, set API_KEYS (or API_KEYS_FILE), or JWT_PUBLIC_KEY (or JWT_JWKS_URL) with JWT_ISSUER and JWT_AUDIENCE, and leave AUTH_MODE unset.',
    );
  } else {
    lifecycle.warn("AUTH_MODE=none: client authentication is off; anyone who reaches this gateway reads and changes every organization's users");
  }
}

/** The one ready line: where GraphQL answers, what is simulated, and how many processes serve it. */
export function logReady(url: string, simulated: readonly string[], workers: number): void {
  const simulators = simulated.length ? ` (embedded simulators for: ${simulated.join(', ')})` : '';
  const processes = workers > 1 ? `, served by ${workers} worker processes` : '';
  lifecycle.info({ url, simulated, workers }, `GraphQL gateway ready: ${url}${simulators}${processes}; open it in a browser for GraphiQL`);
}

/**
 * SIGTERM and SIGINT: the first starts `shutDown` (graceful: it resolves with the exit code, and
 * the process exits with it), a second stops at once after `stopNow`, with exit code 1.
 */
export function exitOnSignals(shutDown: (signal: string) => Promise<number>, stopNow: () => void = () => {}): void {
  let stopping = false;
  const onSignal = (signal: string) => {
    if (stopping) {
      lifecycle.warn({ signal }, `${signal} received again: stopping without waiting`);
      stopNow();
      process.exit(1);
    }
    stopping = true;
    shutDown(signal).then(
      (code) => process.exit(code),
      (error: unknown) => {
        lifecycle.error({ error: errorFields(error) }, `closing failed: ${errorFields(error).message}`);
        process.exit(1);
      },
    );
  };
  process.on('SIGTERM', () => onSignal('SIGTERM'));
  process.on('SIGINT', () => onSignal('SIGINT'));
}
