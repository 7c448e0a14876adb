import type { YogaLogger } from 'graphql-yoga';
import type { Logger } from 'pino';
import { isCodedFailure } from '../errors.ts';
import { currentRequestId } from '../plugins/use-request-id.ts';
import { errorFields } from './error-fields.ts';

/** The innermost cause of an error (graphql-js wraps what a resolver threw in `originalError`). */
function rootOf(error: Error): Error {
  let root = error;
  while ('originalError' in root && root.originalError instanceof Error) root = root.originalError;
  return root;
}

/**
 * The log of the GraphQL server itself, Yoga's and the gateway's plugins': JSON lines with
 * `"logger": "graphql"` and, while a request is handled, its `requestId`. An error is logged by its
 * type, message and field path, never its stack; and only when it is a fault: an upstream's
 * failure or a refused variable is an answer, which the upstream log and the request log tell
 * already. Yoga reports one masked error more than once: it is logged once.
 */
export function graphqlLog(parent: Logger): YogaLogger {
  const logger = parent.child({ logger: 'graphql' });
  const logged = new WeakSet<Error>();
  const fields = () => {
    const requestId = currentRequestId();
    return requestId === undefined ? {} : { requestId };
  };
  const text = (args: unknown[]) => args.map((arg) => (arg instanceof Error ? arg.message : String(arg))).join(' ');
  return {
    debug: (...args: unknown[]) => logger.isLevelEnabled('debug') && logger.debug(fields(), text(args)),
    info: (...args: unknown[]) => logger.info(fields(), text(args)),
    warn: (...args: unknown[]) => logger.warn(fields(), text(args)),
    error: (...args: unknown[]) => {
      for (const arg of args) {
        if (!(arg instanceof Error)) {
          logger.error(fields(), String(arg));
          continue;
        }
        if (isCodedFailure(arg) || logged.has(arg)) continue;
        logged.add(arg);
        const path = 'path' in arg && Array.isArray(arg.path) ? { path: arg.path.join('.') } : {};
        logger.error({ ...fields(), error: errorFields(rootOf(arg)), ...path }, 'unexpected error, answered as "Unexpected error."');
      }
    },
  };
}
