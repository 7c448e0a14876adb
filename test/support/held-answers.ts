/**
 * Upstream answers held by the proxies in front of the upstreams (`Reshaping.hold`) and let go a
 * round at a time: each round's answers once that many calls have arrived. How many rounds a query
 * takes, and which calls go out together, is then shown by the order of calls and answers, never
 * by their timing: a gateway that needs an answer to send a call of the same round never gets it,
 * and the query runs into its deadline and fails.
 */
export function answersInRounds() {
  const held: (() => void)[] = [];
  let rounds: number[] = [];
  const releaseWhenDue = () => {
    const due = rounds[0];
    if (due !== undefined && held.length < due) return;
    rounds.shift();
    for (const release of held.splice(0)) release();
  };
  return {
    /** The proxies' hold: outside a measured run (no rounds expected), every answer goes at once. */
    hold: () =>
      new Promise<void>((release) => {
        held.push(release);
        releaseWhenDue();
      }),
    /** The calls each round is to have, in order; past the last round answers go at once. */
    expect: (sizes: number[]) => {
      rounds = [...sizes];
    },
  };
}

/** Answers to the calls `matches` picks, held until `release()`; every other answer goes at once. */
export function answersHeldUntilReleased(matches: (url: URL, method: string) => boolean) {
  let release!: () => void;
  const released = new Promise<void>((resolve) => (release = resolve));
  let held = 0;
  return {
    hold: (url: URL, method: string): Promise<void> => {
      if (!matches(url, method)) return Promise.resolve();
      held++;
      return released;
    },
    /** How many answers were held so far (the upstream has answered each of them). */
    held: () => held,
    release,
  };
}

/** For `vi.waitFor`: a state is checked every 5 ms; 20 s is only where a state never reached fails. */
export const WAIT = { timeout: 20_000, interval: 5 };
