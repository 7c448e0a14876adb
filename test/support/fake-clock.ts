import type { AdmissionClock } from '../../src/server/admission.ts';

/** A clock that moves only when told, running the timers that fall due. */
export class FakeClock implements AdmissionClock {
  time = 0;
  readonly #timers = new Set<{ at: number; run: () => void }>();

  now(): number {
    return this.time;
  }

  setTimeout(run: () => void, ms: number): unknown {
    const timer = { at: this.time + ms, run };
    this.#timers.add(timer);
    return timer;
  }

  clearTimeout(timer: unknown): void {
    this.#timers.delete(timer as { at: number; run: () => void });
  }

  advance(ms: number): void {
    this.time += ms;
    for (const timer of [...this.#timers].sort((a, b) => a.at - b.at)) {
      if (timer.at > this.time) break;
      this.#timers.delete(timer);
      timer.run();
    }
  }
}
