/**
 * How long one upstream call is expected to take, learned from the calls that came back: the
 * smoothed round trip and its mean deviation as TCP smooths them (RFC 6298), summed with one
 * deviation rather than TCP's four, since this is an expected duration, not a timeout. Cheap
 * enough for every call: a few float operations, no allocation.
 */
export class LatencyEstimate {
  #smoothed = 0;
  #deviation = 0;
  #samples = 0;

  observe(durationMs: number): void {
    if (this.#samples++ === 0) {
      this.#smoothed = durationMs;
      this.#deviation = durationMs / 4;
      return;
    }
    this.#deviation = 0.75 * this.#deviation + 0.25 * Math.abs(this.#smoothed - durationMs);
    this.#smoothed = 0.875 * this.#smoothed + 0.125 * durationMs;
  }

  /** The expected duration of the next call, in ms; 0 before any call came back. */
  expectedMs(): number {
    return this.#smoothed + this.#deviation;
  }
}
