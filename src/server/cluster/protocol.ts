import type { MetricObjectWithValues, MetricValue } from 'prom-client';
import type { UpstreamSettings } from '../config.ts';
import type { UpstreamKey } from '../embedded-simulators.ts';
import type { Scrape } from '../telemetry/metrics.ts';

/** What a worker asks the primary. */
export interface PrimaryAnswers {
  /** Every upstream, as configured or else served by the primary's embedded simulators: one set for all workers. */
  upstreams: Record<UpstreamKey, UpstreamSettings>;
  /** What `/metrics` answers: every worker's metrics, aggregated. */
  metrics: Scrape;
}

/** What the primary asks a worker. */
export interface WorkerAnswers {
  /** This worker's metrics, as prom-client's `AggregatorRegistry.aggregate` takes them. */
  ownMetrics: MetricObjectWithValues<MetricValue<string>>[];
}

/** A worker tells the primary that it serves, and where. */
export type WorkerNote = { kind: 'ready'; url: string };

/** The primary tells a worker to shut down gracefully. */
export type PrimaryNote = { kind: 'shutdown' };

/** How long a worker waits for its upstreams at start, or for the aggregated metrics (the primary waits less for each worker's). */
export const WORKER_ASK_TIMEOUT_MS = 10_000;
/** How long the primary waits for one worker's metrics: prom-client's own bound for it. */
export const PRIMARY_ASK_TIMEOUT_MS = 5_000;
