import type { Plugin } from 'graphql-yoga';
import { forEachResult } from './use-incremental-delivery.ts';

export interface BoundedErrorMessagesOptions {
  /** The most characters of one quoted value a message keeps (graphql-js quotes what it echoes). */
  quotedLength?: number;
  /** The most characters of a whole message. */
  messageLength?: number;
}

/**
 * Error messages never echo unbounded input. graphql-js quotes the values and names it cannot
 * take ("Int cannot represent non-integer value: "…"", "Cannot query field "…""), however long:
 * each quoted run is cut, and so is the message, before any answer (or part of one) goes out.
 */
export function useBoundedErrorMessages(options: BoundedErrorMessagesOptions = {}): Plugin {
  const quotedLength = options.quotedLength ?? 40;
  const messageLength = options.messageLength ?? 500;
  const longQuote = new RegExp(`"((?:[^"\\\\]|\\\\.){${quotedLength}})(?:[^"\\\\]|\\\\.)+"`, 'g');
  const bound = (message: string) => {
    const quotesCut = message.replace(longQuote, '"$1…"');
    return quotesCut.length > messageLength ? `${quotesCut.slice(0, messageLength)}…` : quotesCut;
  };
  return {
    onResultProcess(processing) {
      forEachResult(processing, ({ errors }) => {
        for (const error of errors ?? []) error.message = bound(error.message);
      });
    },
  };
}
