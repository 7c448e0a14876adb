/** An error as a log line shows it: its type and message, never its stack (which names files, and may run long). */
export function errorFields(error: unknown): { type: string; message: string } {
  return error instanceof Error ? { type: error.name, message: error.message } : { type: typeof error, message: String(error) };
}
