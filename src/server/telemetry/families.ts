import type { Metric, Registry } from 'prom-client';

/**
 * Counters and histograms for the hot path (every upstream attempt, every loader batch), exposed
 * through a prom-client Registry like its own metrics. prom-client hashes and checks the labels
 * on every `inc`/`observe` (some 0.3 µs each); here a series is looked up once, kept by the
 * caller, and counting is a field update. The families implement what the Registry reads of a
 * metric (`name`, `help`, `type`, `aggregator`, `get()`), and are registered into it.
 */

type Labels<L extends string> = Readonly<Record<L, string>>;

interface Exported {
  value: number;
  labels: Record<string, string | number>;
  metricName?: string;
}

abstract class Family<L extends string, S> {
  abstract readonly type: 'counter' | 'histogram';
  readonly aggregator = 'sum';
  readonly #series = new Map<string, S>();

  readonly name: string;
  readonly help: string;
  readonly labelNames: readonly L[];
  constructor(
    name: string,
    help: string,
    labelNames: readonly L[],
    registry: Registry,
  ) {
    this.name = name;
    this.help = help;
    this.labelNames = labelNames;
    // The Registry types only its own metric classes; it reads nothing of a metric beyond the above.
    registry.registerMetric(this as unknown as Metric);
  }

  /** The series of these label values, made at first use: keep it, and count on it. */
  series(labels: Labels<L>): S {
    let key = '';
    for (const name of this.labelNames) key += `${labels[name]}\u0000`;
    let series = this.#series.get(key);
    if (!series) {
      series = this.create({ ...labels });
      this.#series.set(key, series);
    }
    return series;
  }

  /** How many series there are (to bound label values with). */
  get size(): number {
    return this.#series.size;
  }

  protected abstract create(labels: Labels<L>): S;
  protected abstract export(series: S): Exported[];

  async get() {
    const values: Exported[] = [];
    for (const series of this.#series.values()) values.push(...this.export(series));
    return { name: this.name, help: this.help, type: this.type, aggregator: this.aggregator, values };
  }
}

export class CounterSeries {
  value = 0;
  readonly labels: Record<string, string>;
  constructor(labels: Record<string, string>) {
    this.labels = labels;
  }
  inc(by = 1): void {
    this.value += by;
  }
}

export class CounterFamily<L extends string> extends Family<L, CounterSeries> {
  readonly type = 'counter';
  protected create(labels: Labels<L>): CounterSeries {
    return new CounterSeries(labels);
  }
  protected export(series: CounterSeries): Exported[] {
    return [{ value: series.value, labels: series.labels }];
  }
}

export class HistogramSeries {
  /** Observations per bucket (not cumulative); the last one is above every bound (+Inf). */
  readonly counts: number[];
  sum = 0;
  count = 0;
  readonly labels: Record<string, string>;
  readonly bounds: readonly number[];
  constructor(
    labels: Record<string, string>,
    bounds: readonly number[],
  ) {
    this.labels = labels;
    this.bounds = bounds;
    this.counts = new Array<number>(bounds.length + 1).fill(0);
  }
  observe(value: number): void {
    const { bounds } = this;
    let index = 0;
    while (index < bounds.length && value > (bounds[index] as number)) index++;
    (this.counts[index] as number)++;
    this.sum += value;
    this.count++;
  }
}

export class HistogramFamily<L extends string> extends Family<L, HistogramSeries> {
  readonly type = 'histogram';
  readonly buckets: readonly number[];
  constructor(
    name: string,
    help: string,
    labelNames: readonly L[],
    buckets: readonly number[],
    registry: Registry,
  ) {
    super(name, help, labelNames, registry);
    this.buckets = buckets;
  }
  protected create(labels: Labels<L>): HistogramSeries {
    return new HistogramSeries(labels, this.buckets);
  }
  protected export(series: HistogramSeries): Exported[] {
    const values: Exported[] = [];
    let cumulative = 0;
    series.bounds.forEach((bound, index) => {
      cumulative += series.counts[index] as number;
      values.push({ metricName: `${this.name}_bucket`, labels: { ...series.labels, le: bound }, value: cumulative });
    });
    values.push({ metricName: `${this.name}_bucket`, labels: { ...series.labels, le: '+Inf' }, value: series.count });
    values.push({ metricName: `${this.name}_sum`, labels: series.labels, value: series.sum });
    values.push({ metricName: `${this.name}_count`, labels: series.labels, value: series.count });
    return values;
  }
}
