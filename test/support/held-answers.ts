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
