/**
 * How long a `Retry-After` header asks to wait, in ms after `now` (epoch ms): a number of seconds,
 * or an HTTP date (RFC 9110, section 10.2.3). Undefined when absent or unreadable. Read the same way
 * from an upstream's answers and, by the command-line tools, from the gateway's.
 */
export function retryAfterMs(header: string | readonly string[] | null | undefined, now: number): number | undefined {
  const value = (typeof header === 'string' ? header : header?.[0])?.trim();
  if (!value) return undefined;
  if (/^\d+$/.test(value)) return Number(value) * 1000;
  const at = Date.parse(value);
  return Number.isNaN(at) ? undefined : Math.max(0, at - now);
}

/** `Retry-After` in whole seconds from now (a date rounded up). */
export function retryAfterSeconds(header: string | readonly string[] | undefined): number | undefined {
  const ms = retryAfterMs(header, Date.now());
  return ms === undefined ? undefined : Math.ceil(ms / 1000);
}
