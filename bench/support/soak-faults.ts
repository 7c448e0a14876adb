// The soak's fault mix: rules with a `chance` that together make a given fraction of every
// upstream's calls misbehave, in fixed proportions.
import type { FaultRule } from '../../src/simulators/index.ts';

export interface FaultKind {
  label: string;
  /** of the faulted calls; the shares add up to 1 */
  share: number;
  rule: FaultRule;
}

/** Retry-After of the 429s, in seconds. */
export const THROTTLE_RETRY_AFTER_S = 1;
/** How much later a slow answer comes. */
export const SLOW_ANSWER_MS = 1_500;

export const SOAK_FAULT_KINDS: readonly FaultKind[] = [
  { label: '503 Service Unavailable', share: 0.3, rule: { action: 'status', status: 503, body: { detail: 'Service unavailable.' } } },
  {
    label: `429 with Retry-After: ${THROTTLE_RETRY_AFTER_S}`,
    share: 0.2,
    rule: { action: 'status', status: 429, headers: { 'Retry-After': String(THROTTLE_RETRY_AFTER_S) }, body: { detail: 'Request was throttled.' } },
  },
  { label: 'connection reset (before the handler)', share: 0.2, rule: { action: 'reset-before' } },
  { label: `slow answer (+${SLOW_ANSWER_MS} ms)`, share: 0.2, rule: { action: 'delay', ms: SLOW_ANSWER_MS } },
  { label: 'malformed JSON (a 200 with an HTML body)', share: 0.1, rule: { action: 'malformed' } },
];

/**
 * One rule per kind, for every method and path, `times: "always"`. A simulator tries the rules in
 * order and a rule that loses its roll passes the call on to the next, so rule i gets the chance
 * share_i * fraction / (1 - fraction * (share_0 + ... + share_{i-1})): each kind then fires on
 * exactly share_i * fraction of the calls, and all of them on `fraction`.
 */
export function soakFaultRules(fraction: number, kinds: readonly FaultKind[] = SOAK_FAULT_KINDS): FaultRule[] {
  if (!(fraction > 0 && fraction <= 1)) throw new Error(`a fault fraction must be above 0 and at most 1, got ${fraction}`);
  let taken = 0;
  return kinds.map((kind) => {
    const chance = Math.min(1, (kind.share * fraction) / (1 - taken));
    taken += kind.share * fraction;
    return { ...kind.rule, times: 'always', chance };
  });
}
