import { collectDefaultMetrics, Gauge, Registry } from 'prom-client';
import type { UpstreamAttempt, UpstreamAttemptEnd, UpstreamHealth, UpstreamObserver } from '../../upstreams/observer.ts';
import type { AdmissionEvents } from '../admission.ts';
import type { RequestSummary } from '../plugins/use-request-summary.ts';
import { CounterFamily, HistogramFamily, type CounterSeries, type HistogramSeries } from './families.ts';

export interface MetricsOptions {
  /** Distinct operation names counted apart; past it, a new name is counted as `other`. */
  maxOperations?: number;
  /** Process metrics (CPU, memory, event loop, GC) as prom-client collects them. */
  processMetrics?: boolean;
  /**
   * What `scrape()` answers instead of this registry alone: with WORKERS > 1, every worker's
   * metrics, aggregated by the primary (this registry is one of them).
   */
  scrapeAll?: () => Promise<Scrape>;
}

/** The Prometheus text of `/metrics`, and its content type. */
export interface Scrape {
  contentType: string;
  body: string;
}

/** What an operation name may be as a label: a GraphQL name of at most this many characters. */
const MAX_OPERATION_NAME = 64;
const GRAPHQL_NAME = /^[_A-Za-z][_0-9A-Za-z]*$/;
/** Route templates come from the code, but a label is bounded whatever feeds it. */
const MAX_ROUTES = 500;
const MAX_DRIFT_SERIES = 1000;
const MAX_LABEL_LENGTH = 128;

const SECONDS_BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30];
const UPSTREAM_SECONDS_BUCKETS = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];
const BATCH_SIZE_BUCKETS = [1, 2, 5, 10, 25, 50, 100, 250, 500, 1000];

const BREAKER_STATES = ['closed', 'open', 'half-open'] as const;

/** An operation's class by its estimated upstream calls (`unparsed`: refused before it was read): a label of four values. */
function costClassOf(cost: number | undefined): 'light' | 'medium' | 'heavy' | 'unparsed' {
  return cost === undefined ? 'unparsed' : cost <= 10 ? 'light' : cost <= 100 ? 'medium' : 'heavy';
}

/** The series `key` names, made once: hooks called on every upstream call look it up, not its labels. */
function cachedSeries<S>(cache: Map<string, S>, key: string, create: () => S): S {
  let series = cache.get(key);
  if (!series) {
    series = create();
    cache.set(key, series);
  }
  return series;
}

/** The series one upstream route is counted on, found once per (upstream, method, route). */
class RouteSeries {
  readonly #byStatus = new Map<number | string, CounterSeries>();
  /** Handed to the upstream layer as the attempt's end: no closure per attempt. */
  readonly end = (end: UpstreamAttemptEnd): void => {
    this.duration.observe(end.durationMs / 1000);
    const status = end.status ?? end.outcome;
    let counter = this.#byStatus.get(status);
    if (!counter) {
      counter = this.requests.series({ ...this.labels, status: String(status) });
      this.#byStatus.set(status, counter);
    }
    counter.inc();
  };

  readonly labels: { upstream: string; route: string; method: string };
  readonly duration: HistogramSeries;
  readonly requests: CounterFamily<'upstream' | 'route' | 'method' | 'status'>;
  constructor(
    labels: { upstream: string; route: string; method: string },
    duration: HistogramSeries,
    requests: CounterFamily<'upstream' | 'route' | 'method' | 'status'>,
  ) {
    this.labels = labels;
    this.duration = duration;
    this.requests = requests;
  }
}

/**
 * The gateway's Prometheus metrics, on a Registry of its own: GraphQL requests, upstream
 * attempts, retries, breakers and bulkheads, payload drift and DataLoader batches. `observer` is
 * what the upstream layer is given; `requestEnded` is fed by the metrics plugin.
 */
export class GatewayMetrics {
  readonly registry = new Registry();
  readonly #graphqlRequests = new CounterFamily('graphql_requests_total', 'GraphQL requests, by operation name and outcome (ok, errors, refused, failed; a mutation that answered a refusal makes it refused, an upstream failure errors).', ['operation', 'outcome'], this.registry);
  readonly #trustedDocuments = new CounterFamily(
    'graphql_trusted_document_requests_total',
    'GraphQL requests that ran a trusted document (TRUSTED_DOCUMENTS), by its id (sha256:<hex>, one of the manifests\' own) and outcome, as graphql_requests_total counts them.',
    ['document', 'outcome'],
    this.registry,
  );
  readonly #mutations = new CounterFamily(
    'graphql_mutations_total',
    'Mutation fields answered, by mutation and outcome (ok, the typename of the failure answered: ValidationError, UpstreamFailure, ...; or error).',
    ['mutation', 'outcome'],
    this.registry,
  );
  readonly #graphqlDuration = new HistogramFamily(
    'graphql_request_duration_seconds',
    'Time from receiving a GraphQL request to its answer, by operation name and outcome.',
    ['operation', 'outcome'],
    SECONDS_BUCKETS,
    this.registry,
  );
  readonly #upstreamRequests = new CounterFamily(
    'upstream_requests_total',
    'Upstream attempts (each retry is one), by route template, method and HTTP status, or the error code when no answer came.',
    ['upstream', 'route', 'method', 'status'],
    this.registry,
  );
  readonly #upstreamDuration = new HistogramFamily(
    'upstream_request_duration_seconds',
    'Time of one upstream attempt, by route template and method.',
    ['upstream', 'route', 'method'],
    UPSTREAM_SECONDS_BUCKETS,
    this.registry,
  );
  readonly #retries = new CounterFamily('upstream_retries_total', 'Upstream calls tried again, by route template and the error code of the failed attempt.', ['upstream', 'route', 'reason'], this.registry);
  readonly #sharedReads = new CounterFamily(
    'upstream_shared_reads_total',
    'Reads answered by an identical one in flight for another request, instead of an upstream call of their own (UPSTREAM_SHARE_READS), by route template.',
    ['upstream', 'route'],
    this.registry,
  );
  readonly #cacheHits = new CounterFamily('upstream_cache_hits_total', 'Upstream reads answered by the cache (UPSTREAM_CACHE_TTL_MS) instead of a call.', ['upstream'], this.registry);
  readonly #cacheMisses = new CounterFamily(
    'upstream_cache_misses_total',
    'Upstream reads the cache could have answered that went upstream (nothing stored, stored before a write, or past the TTL).',
    ['upstream'],
    this.registry,
  );
  readonly #cacheInvalidations = new CounterFamily(
    'upstream_cache_invalidations_total',
    "Collections of upstream records (gate's user tokens, edge's users, ...) whose cached reads a write of the gateway invalidated: two per collection a write may change, before it is sent and once it is answered.",
    ['upstream'],
    this.registry,
  );
  readonly #cacheBytes = new CounterFamily(
    'upstream_cache_bytes_total',
    'Bytes of cache entries, by upstream and direction (stored: written to the cache; served: answered from it).',
    ['upstream', 'direction'],
    this.registry,
  );
  readonly #drift = new CounterFamily(
    'upstream_payload_drift_total',
    'Upstream payloads that differ from what the gateway reads without failing it, by route, dotted field path and kind (unexpected, missing).',
    ['upstream', 'route', 'field', 'kind'],
    this.registry,
  );
  readonly #batchSize = new HistogramFamily('dataloader_batch_size', 'Keys per DataLoader batch, by loader.', ['loader'], BATCH_SIZE_BUCKETS, this.registry);
  readonly #admissions = new CounterFamily(
    'graphql_admissions_total',
    'GraphQL operations admitted or shed by admission control, by cost class (light: up to 10 upstream calls, medium: up to 100, heavy; unparsed: refused before it was read, the queue being full) and outcome (admitted, or the reason shed: queue-full, client-queue-full, deadline).',
    ['class', 'outcome'],
    this.registry,
  );
  readonly #admissionWait = new HistogramFamily(
    'graphql_admission_wait_seconds',
    'Time an admitted GraphQL operation waited for its share of the admission budget, by cost class.',
    ['class'],
    SECONDS_BUCKETS,
    this.registry,
  );
  readonly #unreadRefusals = new CounterFamily(
    'graphql_unread_refusals_total',
    'GraphQL requests refused from their headers alone, before they were read, by code (TOO_MANY_REQUESTS_IN_FLIGHT: the client had CLIENT_MAX_IN_FLIGHT under way; OVERLOADED: shed by admission); graphql_requests_total counts them too, as anonymous and refused.',
    ['code'],
    this.registry,
  );
  readonly #unreadRefusalsByCode = new Map<string, CounterSeries>();
  #admissionState: () => { inFlight: number; queued: number } = () => ({ inFlight: 0, queued: 0 });

  readonly #routes = new Map<string, RouteSeries>();
  readonly #routeNames = new Set<string>();
  readonly #operationNames = new Set<string>();
  readonly #operations = new Map<string, Partial<Record<RequestSummary['outcome'], RequestSeries>>>();
  readonly #batches = new Map<string, HistogramSeries>();
  readonly #drifts = new Map<string, CounterSeries>();
  readonly #sharedReadsByRoute = new Map<string, CounterSeries>();
  readonly #mutationSeries = new Map<string, CounterSeries>();
  readonly #trustedDocumentSeries = new Map<string, CounterSeries>();
  readonly #maxOperations: number;
  readonly #scrapeAll: (() => Promise<Scrape>) | undefined;
  #health: () => readonly UpstreamHealth[] = () => [];

  /** For `Upstreams`: every hook is cheap, and none throws. */
  readonly observer: UpstreamObserver = {
    attemptEnded: (attempt, end) => this.#routeSeries(attempt).end(end),
    retrying: (retry) => this.#retries.series({ upstream: retry.upstream, route: this.#route(retry.upstream, retry.route), reason: retry.reason }).inc(),
    readShared: (upstream, route) =>
      cachedSeries(this.#sharedReadsByRoute, `${upstream} ${route}`, () => this.#sharedReads.series({ upstream, route: this.#route(upstream, route) })).inc(),
    payloadDrift: (drift) => {
      const key = `${drift.upstream}\u0000${drift.route}\u0000${drift.field}\u0000${drift.kind}`;
      let series = this.#drifts.get(key);
      if (!series) {
        // Field names are the upstream's: past a bound, new ones are counted together.
        const full = this.#drifts.size >= MAX_DRIFT_SERIES;
        const field = full || drift.field.length > MAX_LABEL_LENGTH ? 'other' : drift.field;
        series = this.#drift.series({ upstream: drift.upstream, route: this.#route(drift.upstream, drift.route), field, kind: drift.kind });
        if (!full) this.#drifts.set(key, series);
      }
      series.inc();
    },
    loaderBatch: (loader, size) => cachedSeries(this.#batches, loader, () => this.#batchSize.series({ loader })).observe(size),
    cacheHit: (upstream, bytes) => {
      this.#cacheHits.series({ upstream }).inc();
      this.#cacheBytes.series({ upstream, direction: 'served' }).inc(bytes);
    },
    cacheMiss: (upstream) => this.#cacheMisses.series({ upstream }).inc(),
    cacheStored: (upstream, bytes) => this.#cacheBytes.series({ upstream, direction: 'stored' }).inc(bytes),
    cacheInvalidated: (upstream, collections) => this.#cacheInvalidations.series({ upstream }).inc(collections),
  };

  constructor(options: MetricsOptions = {}) {
    this.#maxOperations = options.maxOperations ?? 100;
    this.#scrapeAll = options.scrapeAll;
    if (options.processMetrics ?? true) collectDefaultMetrics({ register: this.registry });
    const health = () => this.#health();
    new Gauge({
      name: 'upstream_breaker_state',
      // Summed over workers, as every gauge here: how many of them see the upstream so.
      help: "Each upstream's circuit breaker: 1 for the state it is in, 0 for the others (with WORKERS > 1, how many workers' breakers are in it).",
      labelNames: ['upstream', 'state'],
      registers: [this.registry],
      collect() {
        for (const { upstream, breaker } of health()) {
          for (const state of BREAKER_STATES) this.set({ upstream, state }, breaker === state ? 1 : 0);
        }
      },
    });
    new Gauge({
      name: 'upstream_in_flight',
      help: 'Upstream calls under way, per upstream (its bulkhead).',
      labelNames: ['upstream'],
      registers: [this.registry],
      collect() {
        for (const { upstream, inFlight } of health()) this.set({ upstream }, inFlight);
      },
    });
    new Gauge({
      name: 'upstream_queued',
      help: 'Upstream calls waiting for a slot in their bulkhead, per upstream.',
      labelNames: ['upstream'],
      registers: [this.registry],
      collect() {
        for (const { upstream, queued } of health()) this.set({ upstream }, queued);
      },
    });
    this.#gaugeReadAtScrape('graphql_admission_queued', 'GraphQL operations waiting for admission.', () => this.#admissionState().queued);
    this.#gaugeReadAtScrape(
      'graphql_admission_upstream_calls',
      'Upstream calls the admitted GraphQL operations are estimated at, together (against ADMISSION_BUDGET).',
      () => this.#admissionState().inFlight,
    );
  }

  /** A gauge without labels whose value is read when `/metrics` is scraped. */
  #gaugeReadAtScrape(name: string, help: string, read: () => number): void {
    new Gauge({
      name,
      help,
      registers: [this.registry],
      collect() {
        this.set(read());
      },
    });
  }

  /** Admission control's decisions, by the operation's estimated upstream calls. */
  readonly admissionEvents: AdmissionEvents = {
    admitted: (cost, waitedMs) => {
      const costClass = costClassOf(cost);
      this.#admissions.series({ class: costClass, outcome: 'admitted' }).inc();
      this.#admissionWait.series({ class: costClass }).observe(waitedMs / 1000);
    },
    refused: (cost, reason) => this.#admissions.series({ class: costClassOf(cost), outcome: reason }).inc(),
  };

  /** Where the admission gauges are read from at each scrape. */
  watchAdmission(state: () => { inFlight: number; queued: number }): void {
    this.#admissionState = state;
  }

  /** Where the breaker and bulkhead gauges are read from at each scrape (`upstreams.health()`). */
  watchHealth(health: () => readonly UpstreamHealth[]): void {
    this.#health = health;
  }

  /** The Prometheus text of every metric (of every worker, with WORKERS > 1), and its content type. */
  async scrape(): Promise<Scrape> {
    if (this.#scrapeAll) return this.#scrapeAll();
    return { contentType: this.registry.contentType, body: await this.registry.metrics() };
  }

  /** One GraphQL request answered. */
  requestEnded(summary: RequestSummary): void {
    this.#countRequest(this.#operationLabel(summary.operationName), summary.outcome, summary.durationMs);
    // Only a manifest's ids: bounded by the manifests, never a client's own.
    const document = summary.document?.trusted ? summary.document.id : undefined;
    if (document) cachedSeries(this.#trustedDocumentSeries, `${document} ${summary.outcome}`, () => this.#trustedDocuments.series({ document, outcome: summary.outcome })).inc();
    // Both labels come from the schema's mutation fields and failure types: bounded.
    for (const { mutation, outcome } of summary.mutations) cachedSeries(this.#mutationSeries, `${mutation} ${outcome}`, () => this.#mutations.series({ mutation, outcome })).inc();
  }

  /** A GraphQL request refused from its headers alone (see `refuseUnread`); its code is one of the gateway's own, a bounded label. */
  refusedUnread(refusal: { code: string; durationMs: number }): void {
    const { code } = refusal;
    cachedSeries(this.#unreadRefusalsByCode, code, () => this.#unreadRefusals.series({ code })).inc();
    this.#countRequest('anonymous', 'refused', refusal.durationMs);
  }

  #countRequest(operation: string, outcome: RequestSummary['outcome'], durationMs: number): void {
    let outcomes = this.#operations.get(operation);
    if (!outcomes) {
      outcomes = {};
      this.#operations.set(operation, outcomes);
    }
    const series = (outcomes[outcome] ??= new RequestSeries(this.#graphqlRequests.series({ operation, outcome }), this.#graphqlDuration.series({ operation, outcome })));
    series.requests.inc();
    series.duration.observe(durationMs / 1000);
  }

  /** A client names its operations as it likes: a few names are told apart, the rest are `other`. */
  #operationLabel(name: string | undefined): string {
    if (name === undefined) return 'anonymous';
    if (this.#operationNames.has(name)) return name;
    if (name.length > MAX_OPERATION_NAME || !GRAPHQL_NAME.test(name) || name === 'other' || name === 'anonymous') return 'other';
    if (this.#operationNames.size >= this.#maxOperations) return 'other';
    this.#operationNames.add(name);
    return name;
  }

  #routeSeries(attempt: UpstreamAttempt): RouteSeries {
    const key = `${attempt.upstream} ${attempt.method} ${attempt.route}`;
    let series = this.#routes.get(key);
    if (series) return series;
    const labels = { upstream: attempt.upstream, route: this.#route(attempt.upstream, attempt.route), method: attempt.method };
    // Cached by its labels: a route counted as `other` adds no entry of its own.
    const labelKey = `${labels.upstream} ${labels.method} ${labels.route}`;
    series = this.#routes.get(labelKey);
    if (!series) {
      series = new RouteSeries(labels, this.#upstreamDuration.series(labels), this.#upstreamRequests);
      this.#routes.set(labelKey, series);
    }
    return series;
  }

  /** A route template as a label: the first few hundred are told apart (there are some 30), any more are `other`. */
  #route(upstream: string, route: string): string {
    const key = `${upstream} ${route}`;
    if (this.#routeNames.has(key)) return route;
    if (route.length > MAX_LABEL_LENGTH || this.#routeNames.size >= MAX_ROUTES) return 'other';
    this.#routeNames.add(key);
    return route;
  }
}

class RequestSeries {
  readonly requests: CounterSeries;
  readonly duration: HistogramSeries;
  constructor(
    requests: CounterSeries,
    duration: HistogramSeries,
  ) {
    this.requests = requests;
    this.duration = duration;
  }
}
