import cluster, { type Worker } from 'node:cluster';
import { ExponentialBackoff, noJitterGenerator, type IBackoff } from 'cockatiel';
import { AggregatorRegistry } from 'prom-client';
import type { Simulators } from '../../simulators/index.ts';
import type { GatewayConfig, UpstreamSettings } from '../config.ts';
import { startEmbeddedSimulators, type UpstreamKey } from '../embedded-simulators.ts';
import { exitOnSignals, lifecycle, logAuthentication, logReady } from '../lifecycle.ts';
import type { Scrape } from '../telemetry/metrics.ts';
import { Peer, type Channel } from './ipc.ts';
import { PRIMARY_ASK_TIMEOUT_MS, type PrimaryAnswers, type PrimaryNote, type WorkerAnswers, type WorkerNote } from './protocol.ts';

/**
 * How soon a worker that died is replaced: 100 ms, then twice as long each time a replacement dies
 * too, up to 30 s. No jitter: one primary restarts its own workers, nobody else competes.
 */
const RESTART_BACKOFF = { initialDelay: 100, maxDelay: 30_000, generator: noJitterGenerator };
/** A worker that served this long before it died was no crash loop: its replacement starts the backoff afresh. */
const BACKOFF_RESET_AFTER_MS = 60_000;

interface Running {
  worker: Worker;
  pid: number;
  peer: Peer<WorkerAnswers, PrimaryAnswers, PrimaryNote, WorkerNote>;
  /** Resolves with its URL once it serves; rejects when it exits first. */
  ready: Promise<string>;
  /** Resolves with its exit code (null when a signal ended it). */
  exited: Promise<number | null>;
  /** It has spoken, so it hears what it is told (a message sent before a process listens is lost). */
  listening: boolean;
  /** When it said it serves (`performance.now()`). */
  servingSince: number | undefined;
}

/** What the primary of WORKERS > 1 runs: the embedded simulators, and the workers, kept at their number. */
export async function superviseWorkers(config: GatewayConfig): Promise<void> {
  const embedded = await startEmbeddedSimulators(config.upstreams);
  const workers = new Workers(config.workers, embedded.upstreams, embedded.simulators);
  exitOnSignals(
    async (signal) => {
      lifecycle.info(
        { signal, workers: config.workers },
        `${signal} received: no new connections; each of the ${config.workers} workers finishes the requests under way (at most ${config.requestDeadlineMs} ms), then closes`,
      );
      const code = await workers.stop();
      if (code === 0) lifecycle.info('closed');
      else lifecycle.error('closed, but a worker did not close cleanly (see its line above)');
      return code;
    },
    () => workers.kill(),
  );
  const url = await workers.start().catch(async (error: unknown) => {
    // Stopped by a signal while starting: the signal's shutdown ends the process.
    if (workers.stopping) return new Promise<never>(() => {});
    await workers.stop();
    throw error;
  });
  logAuthentication(config, embedded.simulated);
  logReady(url, embedded.simulated, config.workers);
}

/**
 * The workers, forked with `node:cluster` (they share the port: the primary hands each new
 * connection to the next worker in turn). They all use one set of upstreams, the primary's
 * embedded simulators included, so that what one writes the others read; a worker's `/metrics`
 * is every worker's, gathered here and aggregated by prom-client's AggregatorRegistry.
 */
class Workers {
  readonly #count: number;
  readonly #upstreams: Record<UpstreamKey, UpstreamSettings>;
  readonly #simulators: Simulators | undefined;
  readonly #running = new Set<Running>();
  /** From the moment every first worker serves: a worker that dies then is replaced. */
  #serving = false;
  #stopping = false;
  #stopped: Promise<number> | undefined;
  #backoff: IBackoff<unknown> | undefined;
  readonly #restarts = new Set<NodeJS.Timeout>();

  constructor(count: number, upstreams: Record<UpstreamKey, UpstreamSettings>, simulators: Simulators | undefined) {
    this.#count = count;
    this.#upstreams = upstreams;
    this.#simulators = simulators;
  }

  /**
   * The first worker alone (what stops it, a setting or Redis, would stop every one: said once),
   * then the others; resolves with the URL once all serve, rejects when one exits first.
   */
  async start(): Promise<string> {
    const url = await this.#fork().ready;
    if (this.#stopping) throw new Error('stopped while starting');
    await Promise.all(Array.from({ length: this.#count - 1 }, () => this.#fork().ready));
    this.#serving = true;
    return url;
  }

  get stopping(): boolean {
    return this.#stopping;
  }

  /** Every worker shuts down gracefully; then the simulators. Resolves with 0 when every worker exited 0, else 1. */
  stop(): Promise<number> {
    this.#stopped ??= this.#stopAll();
    return this.#stopped;
  }

  async #stopAll(): Promise<number> {
    this.#stopping = true;
    for (const timer of this.#restarts) clearTimeout(timer);
    const running = [...this.#running];
    for (const { peer, listening } of running) if (listening) peer.tell({ kind: 'shutdown' });
    const codes = await Promise.all(running.map((each) => each.exited));
    await this.#simulators?.close();
    return codes.every((code) => code === 0) ? 0 : 1;
  }

  /** A second signal: no waiting for anything. */
  kill(): void {
    for (const { worker } of this.#running) worker.process.kill('SIGKILL');
  }

  #fork(): Running {
    const worker = cluster.fork();
    const pid = worker.process.pid ?? 0;
    let serves!: (url: string) => void;
    let failed!: (error: Error) => void;
    const ready = new Promise<string>((resolve, reject) => {
      serves = resolve;
      failed = reject;
    });
    // Whoever waits for it hears of its failure; a replacement's is heard of as its exit.
    ready.catch(() => {});
    const exit = new Promise<[number | null, string | null]>((resolve) => worker.once('exit', (code: number | null, signal: string | null) => resolve([code, signal])));
    // A message that could not be sent, a signal that could not be: said, never fatal to the primary.
    worker.on('error', (error: Error) => lifecycle.warn({ worker: pid }, `worker ${pid}: ${error.message}`));
    const running: Running = {
      worker,
      pid,
      peer: new Peer<WorkerAnswers, PrimaryAnswers, PrimaryNote, WorkerNote>(
        channelTo(worker),
        { upstreams: async () => this.#upstreams, metrics: () => this.#gather() },
        (note) => {
          running.servingSince = performance.now();
          serves(note.url);
        },
      ),
      ready,
      exited: exit.then(([code]) => code),
      listening: false,
      servingSince: undefined,
    };
    worker.once('message', () => {
      running.listening = true;
      if (this.#stopping) running.peer.tell({ kind: 'shutdown' });
    });
    void exit.then(([code, signal]) => {
      failed(new Error(`worker ${pid} exited before it was ready (${howItEnded(code, signal)})`));
      this.#exited(running, code, signal);
    });
    this.#running.add(running);
    return running;
  }

  #exited(running: Running, code: number | null, signal: string | null): void {
    this.#running.delete(running);
    if (this.#stopping || !this.#serving) return;
    const servedMs = running.servingSince === undefined ? 0 : performance.now() - running.servingSince;
    if (servedMs > BACKOFF_RESET_AFTER_MS) this.#backoff = undefined;
    this.#backoff = this.#backoff ? this.#backoff.next(undefined) : new ExponentialBackoff(RESTART_BACKOFF).next();
    const delayMs = Math.round(this.#backoff.duration);
    lifecycle.warn(
      { worker: running.pid, code, signal, restartInMs: delayMs },
      `worker ${running.pid} exited unexpectedly (${howItEnded(code, signal)}); another starts in ${delayMs} ms`,
    );
    const timer = setTimeout(() => {
      this.#restarts.delete(timer);
      const replacement = this.#fork();
      replacement.ready.then(
        () => lifecycle.info({ worker: replacement.pid, replaced: running.pid }, `worker ${replacement.pid} serves in place of worker ${running.pid}`),
        () => {},
      );
    }, delayMs);
    this.#restarts.add(timer);
  }

  /** Every serving worker's metrics, aggregated: each counter summed, each gauge as it says (see `GatewayMetrics`). */
  async #gather(): Promise<Scrape> {
    const serving = [...this.#running].filter((running) => running.servingSince !== undefined);
    const metrics = await Promise.all(serving.map((running) => running.peer.ask('ownMetrics', PRIMARY_ASK_TIMEOUT_MS)));
    const registry = AggregatorRegistry.aggregate(metrics);
    return { contentType: registry.contentType, body: await registry.metrics() };
  }
}

function howItEnded(code: number | null, signal: string | null): string {
  return signal ? `signal ${signal}` : `exit code ${code}`;
}

/** The primary's end of a worker's channel. */
function channelTo(worker: Worker): Channel {
  return {
    send: (message, callback) => worker.send(message as object, undefined, undefined, callback),
    on: (event: 'message' | 'disconnect', listener: (message: unknown) => void) => worker.on(event, listener),
  };
}
