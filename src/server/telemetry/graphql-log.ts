import type { YogaLogger } from 'graphql-yoga';
import type { Logger } from 'pino';
import { isCodedFailure } from '../errors.ts';
import { errorFields } from './error-fields.ts';

/** The innermost cause of an error (graphql-js wraps what a resolver threw in `originalError`). */
function rootOf(error: Error): Error {
  let root = error;
  while ('originalError' in root && root.originalError instanceof Error) root = root.originalError;
  return root;
}

/** The fields a call gives first (`{ requestId }`), apart from what it says. */
function split(args: unknown[]): { fields: Record<string, unknown>; said: unknown[] } {
  const [first, ...rest] = args;
  const given = first !== null && typeof first === 'object' && !(first instanceof Error);
  return given ? { fields: first as Record<string, unknown>, said: rest } : { fields: {}, said: args };
}

/** The request id useRequestId gave an error, when it has one. */
function requestIdOf(error: Error): Record<string, unknown> {
  const requestId = (error as { extensions?: Record<string, unknown> }).extensions?.['requestId'];
  return typeof requestId === 'string' ? { requestId } : {};
}

/**
 * The log of the GraphQL server itself, Yoga's and the gateway's plugins': JSON lines with
 * `"logger": "graphql"` and the `requestId` of the request a line is about, where the caller gives
 * it as a first argument (`{ requestId }`) or the error carries it. An error is logged by its
 * type, message and field path, never its stack; and only when it is a fault: an upstream's
 * failure or a refused variable is an answer, which the upstream log and the request log tell
 * already. Yoga reports one masked error more than once: it is logged once.
 */
export function graphqlLog(parent: Logger): YogaLogger {
  const logger = parent.child({ logger: 'graphql' });
  const logged = new WeakSet<Error>();
  const text = (args: unknown[]) => args.map((arg) => (arg instanceof Error ? arg.message : String(arg))).join(' ');
  const line = (level: 'debug' | 'info' | 'warn', args: unknown[]) => {
    const { fields, said } = split(args);
    logger[level](fields, text(said));
  };
  return {
    // Yoga's own debug traces ("Parsing request …", three a request) say nothing the request line
    // does not, and name no request: only the gateway's debug lines, which do, are written.
    debug: (...args: unknown[]) => logger.isLevelEnabled('debug') && split(args).fields['requestId'] !== undefined && line('debug', args),
    info: (...args: unknown[]) => line('info', args),
    warn: (...args: unknown[]) => line('warn', args),
    error: (...args: unknown[]) => {
      const { fields, said } = split(args);
      for (const arg of said) {
        if (!(arg instanceof Error)) {
          logger.error(fields, String(arg));
          continue;
        }
        if (isCodedFailure(arg) || logged.has(arg)) continue;
        logged.add(arg);
        const path = 'path' in arg && Array.isArray(arg.path) ? { path: arg.path.join('.') } : {};
        logger.error({ ...fields, ...requestIdOf(arg), error: errorFields(rootOf(arg)), ...path }, 'unexpected error, answered as "Unexpected error."');
      }
    },
  };
}
