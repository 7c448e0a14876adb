/**
 * Admission control for one gateway process, in upstream calls: each query is admitted with its
 * worst-case estimate (`query-cost.ts`) counted against a budget until it ends. One that does not
 * fit waits in a bounded queue, served fairly (per client, round robin, and a cheap query is not
 * held behind an expensive one that does not fit yet), or is refused at once when its wait would
 * outlast its deadline. Pure policy: the clock and timers are given, so tests run it on a fake one.
 */

export interface AdmissionSettings {
  /** The upstream calls the admitted queries may be estimated at, together (`ADMISSION_BUDGET`). */
  budget: number;
  /** Queries waiting, all clients together (`ADMISSION_MAX_QUEUED`). */
  maxQueued: number;
  /** Queries one client may have waiting (`ADMISSION_MAX_QUEUED_PER_CLIENT`). */
  maxQueuedPerClient: number;
}

export interface AdmissionClock {
  now(): number;
  setTimeout(run: () => void, ms: number): unknown;
  clearTimeout(timer: unknown): void;
}

export const realClock: AdmissionClock = {
  now: () => performance.now(),
  setTimeout: (run, ms) => setTimeout(run, ms),
  clearTimeout: (timer) => clearTimeout(timer as NodeJS.Timeout),
};

export interface AdmissionRequest {
  /** Whose share it counts against: the caller's key, or the remote address when auth is off. */
  client: string;
  /** The query's worst-case upstream calls. */
  cost: number;
  /** The clock time by which its answer is due. */
  deadline: number;
}

export type RefusalReason = 'queue-full' | 'client-queue-full' | 'deadline';

export type Admitted = {
  admitted: true;
  waitedMs: number;
  /** Gives back what is left of its share: the query has ended. */
  release: () => void;
  /**
   * Gives back `calls` of its share at once, while it runs: reads the upstream cache answered, which
   * made no upstream call (never more than its share, and nothing after `release`).
   */
  giveBack: (calls: number) => void;
};
export type Refused = { admitted: false; reason: RefusalReason; retryAfterSeconds: number };
export type AdmissionOutcome = Admitted | Refused;

/** What a listener hears (metrics, the log of shedding starting and stopping). */
export interface AdmissionEvents {
  admitted?(cost: number, waitedMs: number): void;
  /** `cost` is undefined for a request refused before it was parsed (see `certainRefusal`). */
  refused?(cost: number | undefined, reason: RefusalReason): void;
}

/** Several listeners heard as one. */
export function combineAdmissionEvents(listeners: readonly (AdmissionEvents | undefined)[]): AdmissionEvents {
  const present = listeners.filter((listener) => listener !== undefined);
  return {
    admitted: (cost, waitedMs) => {
      for (const listener of present) listener.admitted?.(cost, waitedMs);
    },
    refused: (cost, reason) => {
      for (const listener of present) listener.refused?.(cost, reason);
    },
  };
}

interface Waiting {
  request: AdmissionRequest;
  /** The part of the budget it takes: a query estimated past the whole budget runs alone. */
  share: number;
  queuedAt: number;
  /** The estimates admitted before it while it waited longest and did not fit. */
  passedBy: number;
  timer: unknown;
  settle: (outcome: AdmissionOutcome) => void;
}

/** How far back finished queries count for the rate the budget drains at. */
const RATE_WINDOW_MS = 5000;

export class Admission {
  readonly #settings: AdmissionSettings;
  readonly #clock: AdmissionClock;
  readonly #events: AdmissionEvents;
  #inFlight = 0;
  #running = 0;
  /** Waiting queries by client, in the order the clients first waited; a client leaves when it has none. */
  readonly #queues = new Map<string, Waiting[]>();
  #queued = 0;
  #queuedShare = 0;
  /** The client served first on the next round. */
  #turn: string | undefined;
  /** Recently finished queries (end time, share, time held): how fast the budget frees up. */
  readonly #finished: { at: number; share: number; heldMs: number }[] = [];
  /** The rate is measured over at most the time since then. */
  readonly #startedAt: number;

  constructor(settings: AdmissionSettings, clock: AdmissionClock = realClock, events: AdmissionEvents = {}) {
    this.#settings = settings;
    this.#clock = clock;
    this.#events = events;
    this.#startedAt = clock.now();
  }

  /** Upstream calls the running queries are estimated at, and queries waiting: for `/metrics`. */
  get state(): { inFlight: number; running: number; queued: number } {
    return { inFlight: this.#inFlight, running: this.#running, queued: this.#queued };
  }

  /** Admits the query now, later, or never; a refusal comes at once or, at the latest, before its deadline. */
  request(request: AdmissionRequest): AdmissionOutcome | Promise<AdmissionOutcome> {
    const share = Math.max(0, Math.min(request.cost, this.#settings.budget));
    if (this.#queued === 0 && this.#fits(share)) return this.#admit(request.cost, share, 0);
    const full = this.#fullFor(request.client);
    if (full) return this.#refuse(request.cost, full, this.#expectedWaitMs(share));
    const queue = this.#queues.get(request.client);
    const expectedWaitMs = this.#expectedWaitMs(this.#shareAhead(request.client) + share);
    const now = this.#clock.now();
    if (now + expectedWaitMs + this.#expectedRunMs() > request.deadline) return this.#refuse(request.cost, 'deadline', expectedWaitMs);
    return new Promise<AdmissionOutcome>((settle) => {
      const waiting: Waiting = { request, share, queuedAt: now, passedBy: 0, timer: undefined, settle };
      // Still waiting when only its run would be left before the deadline: refused, never admitted only to time out.
      waiting.timer = this.#clock.setTimeout(() => this.#giveUp(waiting), Math.max(0, request.deadline - now - this.#expectedRunMs()));
      if (queue) queue.push(waiting);
      else this.#queues.set(request.client, [waiting]);
      this.#queued++;
      this.#queuedShare += share;
      // A query that fits may go before others that do not.
      this.#dispatch();
    });
  }

  /**
   * The refusal a request of `client` due by `deadline` would get whatever it asks, while others
   * wait (with none waiting, it might fit at once): the queue or the client's share of it is full,
   * or what would be served before it, in turn, would keep it waiting past its deadline even if it
   * asked for nothing. It can be refused before it is even parsed.
   */
  certainRefusal(client: string, deadline: number): Refused | undefined {
    if (this.#queued === 0) return undefined;
    const full = this.#fullFor(client);
    if (full) return this.#refuse(undefined, full, this.#expectedWaitMs(0));
    const expectedWaitMs = this.#expectedWaitMs(this.#shareAhead(client));
    return this.#clock.now() + expectedWaitMs + this.#expectedRunMs() > deadline ? this.#refuse(undefined, 'deadline', expectedWaitMs) : undefined;
  }

  /** Why a query of `client` cannot wait: the whole queue, or the client's share of it, is full. */
  #fullFor(client: string): 'queue-full' | 'client-queue-full' | undefined {
    if (this.#queued >= this.#settings.maxQueued) return 'queue-full';
    return (this.#queues.get(client)?.length ?? 0) >= this.#settings.maxQueuedPerClient ? 'client-queue-full' : undefined;
  }

  #fits(share: number): boolean {
    return this.#inFlight + share <= this.#settings.budget || this.#running === 0;
  }

  #admit(cost: number, share: number, waitedMs: number): Admitted {
    this.#inFlight += share;
    this.#running++;
    const admittedAt = this.#clock.now();
    let released = false;
    let held = share;
    this.#events.admitted?.(cost, waitedMs);
    return {
      admitted: true,
      waitedMs,
      giveBack: (calls) => {
        const back = released ? 0 : Math.min(calls, held);
        if (back <= 0) return;
        held -= back;
        this.#inFlight -= back;
        this.#dispatch();
      },
      release: () => {
        if (released) return;
        released = true;
        this.#inFlight -= held;
        this.#running--;
        const now = this.#clock.now();
        this.#finished.push({ at: now, share, heldMs: now - admittedAt });
        this.#dispatch();
      },
    };
  }

  #refuse(cost: number | undefined, reason: RefusalReason, expectedWaitMs: number): Refused {
    this.#events.refused?.(cost, reason);
    return { admitted: false, reason, retryAfterSeconds: Math.max(1, Math.ceil(expectedWaitMs / 1000)) };
  }

  #dequeue(waiting: Waiting): void {
    const queue = this.#queues.get(waiting.request.client) as Waiting[];
    queue.splice(queue.indexOf(waiting), 1);
    if (queue.length === 0) this.#queues.delete(waiting.request.client);
    this.#queued--;
    this.#queuedShare -= waiting.share;
    this.#clock.clearTimeout(waiting.timer);
  }

  #giveUp(waiting: Waiting): void {
    this.#dequeue(waiting);
    waiting.settle(this.#refuse(waiting.request.cost, 'deadline', this.#expectedWaitMs(this.#queuedShare)));
  }

  /**
   * Admits waiting queries while they fit: one client's first waiting query per turn, the clients
   * taken in turn. A query that does not fit yet is passed by the next client's that does, but the
   * one that has waited longest only by a whole budget's worth of estimates: then the rest wait for
   * it. A cheap query is thus not held behind an expensive one, nor can cheap ones starve it.
   */
  #dispatch(): void {
    const now = this.#clock.now();
    let admittedThisRound = true;
    while (admittedThisRound && this.#queued > 0) {
      admittedThisRound = false;
      const clients = this.#clientsInTurn();
      const oldest = this.#oldestHead() as Waiting;
      for (const client of clients) {
        const head = (this.#queues.get(client) as Waiting[])[0] as Waiting;
        const oldestWaits = head !== oldest && this.#queues.get(oldest.request.client)?.[0] === oldest && !this.#fits(oldest.share);
        if (!this.#fits(head.share) || (oldestWaits && oldest.passedBy >= this.#settings.budget)) continue;
        if (oldestWaits) oldest.passedBy += head.share;
        this.#dequeue(head);
        this.#turn = this.#clientAfter(client, clients);
        head.settle(this.#admit(head.request.cost, head.share, now - head.queuedAt));
        admittedThisRound = true;
      }
    }
  }

  /**
   * The estimates served before a new query of `client`, as the clients are taken in turn: its
   * client's own waiting ones, and of every other client as many as it has waiting, plus one.
   */
  #shareAhead(client: string): number {
    const own = this.#queues.get(client) ?? [];
    let ahead = own.reduce((sum, waiting) => sum + waiting.share, 0);
    for (const [other, queue] of this.#queues) {
      if (other === client) continue;
      for (let index = 0; index <= own.length && index < queue.length; index++) ahead += (queue[index] as Waiting).share;
    }
    return ahead;
  }

  /** The waiting clients, starting with the one whose turn it is. */
  #clientsInTurn(): string[] {
    const clients = [...this.#queues.keys()];
    const start = this.#turn === undefined ? -1 : clients.indexOf(this.#turn);
    return start <= 0 ? clients : [...clients.slice(start), ...clients.slice(0, start)];
  }

  #clientAfter(client: string, clients: readonly string[]): string | undefined {
    return clients[(clients.indexOf(client) + 1) % clients.length];
  }

  #oldestHead(): Waiting | undefined {
    let oldest: Waiting | undefined;
    for (const queue of this.#queues.values()) if (!oldest || (queue[0] as Waiting).queuedAt < oldest.queuedAt) oldest = queue[0];
    return oldest;
  }

  #recentlyFinished(): { share: number; heldMs: number }[] {
    const since = this.#clock.now() - RATE_WINDOW_MS;
    while (this.#finished.length > 0 && (this.#finished[0] as { at: number }).at < since) this.#finished.shift();
    return this.#finished;
  }

  /**
   * How long until `share` more of the budget is free, at the rate it freed lately (budget units
   * per ms); 0 before anything has finished (no rate known: only the queue bounds refuse).
   */
  #expectedWaitMs(share: number): number {
    const finished = this.#recentlyFinished();
    if (finished.length === 0) return 0;
    const spanMs = Math.max(1, Math.min(RATE_WINDOW_MS, this.#clock.now() - this.#startedAt));
    const freedPerMs = finished.reduce((sum, query) => sum + query.share, 0) / spanMs;
    const needed = this.#inFlight + share - this.#settings.budget;
    return needed <= 0 || freedPerMs === 0 ? 0 : needed / freedPerMs;
  }

  /** How long an admitted query runs, by the ones that finished lately (mean); 0 before any did. */
  #expectedRunMs(): number {
    const finished = this.#recentlyFinished();
    return finished.length === 0 ? 0 : finished.reduce((sum, query) => sum + query.heldMs, 0) / finished.length;
  }
}
