/**
 * Counters and histograms whose label children are bound once. prom-client's children
 * build a label object, validate it and hash it on every observation (0.3-0.5 µs each, and
 * a request records five or six); Portico's hot paths bind their series once
 * (`metric.labels(...)` at start or on a series' first use), so these children keep a
 * reference to their series' own record and update it directly: one bucket search and a
 * few additions.
 *
 * Everything else stays prom-client's: labels are validated when bound, a series appears
 * in the exposition only once something is recorded in it (as with prom-client's
 * children), and `reset()` or `remove()` detach every bound child, which then records
 * into the series prom-client creates anew. `test/unit/bound-metrics.test.ts` checks that
 * the exposition is byte for byte what prom-client's own children produce.
 */
import { Counter, Histogram, type LabelValues } from 'prom-client';

// prom-client's own series key, so a bound child finds the series `inc(labels)` and `observe(labels, v)` update.
// eslint-disable-next-line @typescript-eslint/no-require-imports
const { hashObject } = require('prom-client/lib/util') as { hashObject(labels: Record<string, string | number>, sortedLabelNames: string[]): string };
// eslint-disable-next-line @typescript-eslint/no-require-imports
const { validateLabel } = require('prom-client/lib/validation') as { validateLabel(labelNames: string[], labels: Record<string, string | number>): void };

/** A counter series as prom-client keeps it. */
interface CounterRecord {
  value: number;
}

/** A histogram series as prom-client keeps it: counts by bucket upper bound (not cumulative), sum and count. */
interface HistogramRecord {
  bucketValues: Record<number, number>;
  sum: number;
  count: number;
}

/** The parts of prom-client's metric objects a bound child reads. */
interface SeriesMap<R> {
  hashMap: Record<string, R | undefined>;
  sortedLabelNames: string[];
}

function labelObject(labelNames: readonly string[], args: unknown[]): Record<string, string | number> {
  const first = args[0];
  if (args.length === 1 && first !== null && typeof first === 'object') return first as Record<string, string | number>;
  const labels: Record<string, string | number> = {};
  for (let i = 0; i < labelNames.length && i < args.length; i++) labels[labelNames[i] as string] = args[i] as string | number;
  return labels;
}

/** A counter whose `labels()` children are bound to their series. */
export class BoundCounter<T extends string = string> extends Counter<T> {
  /** Changes whenever prom-client drops series (reset, remove): bound children look their record up again. */
  generation = 0;

  override labels(...args: unknown[]): Counter.Internal {
    // prom-client's own child validates the labels (throwing on an unknown name) and serves odd values.
    const slow = (super.labels as (...a: unknown[]) => Counter.Internal)(...args);
    if ((this as unknown as { enableExemplars?: boolean }).enableExemplars) return slow;
    const labelNames = (this as unknown as { labelNames: string[] }).labelNames;
    const labels = labelObject(labelNames, args);
    // prom-client's counter checks label names on each inc; a bound child checks them once, here.
    validateLabel(labelNames, labels);
    return new BoundCounterChild(this, labels, slow);
  }

  override reset(): void {
    this.generation++;
    super.reset();
  }

  override remove(...args: unknown[]): void {
    this.generation++;
    (super.remove as (...a: unknown[]) => void)(...args);
  }
}

class BoundCounterChild<T extends string> implements Counter.Internal {
  private readonly key: string;
  private record: CounterRecord | undefined;
  private generation = -1;

  constructor(
    private readonly metric: BoundCounter<T>,
    private readonly labels: Record<string, string | number>,
    private readonly slow: Counter.Internal,
  ) {
    this.key = hashObject(labels, (metric as unknown as SeriesMap<CounterRecord>).sortedLabelNames);
  }

  inc(value?: number): void {
    // prom-client's checks (and errors) for anything but a plain non-negative finite amount.
    if (value !== undefined && !(typeof value === 'number' && value >= 0 && value < Infinity)) return this.slow.inc(value);
    const record = this.generation === this.metric.generation && this.record !== undefined ? this.record : this.attach();
    record.value += value ?? 1;
  }

  private attach(): CounterRecord {
    const series = this.metric as unknown as SeriesMap<CounterRecord>;
    let record = series.hashMap[this.key];
    if (record === undefined) {
      // Created through prom-client, so the series is exactly the one `inc(labels)` would create.
      this.metric.inc(this.labels as LabelValues<T>, 0);
      record = series.hashMap[this.key] as CounterRecord;
    }
    this.record = record;
    this.generation = this.metric.generation;
    return record;
  }
}

/** A histogram whose `labels()` children are bound to their series. */
export class BoundHistogram<T extends string = string> extends Histogram<T> {
  generation = 0;

  override labels(...args: unknown[]): Histogram.Internal<T> {
    const slow = (super.labels as (...a: unknown[]) => Histogram.Internal<T>)(...args);
    if ((this as unknown as { enableExemplars?: boolean }).enableExemplars) return slow;
    return new BoundHistogramChild(this, labelObject((this as unknown as { labelNames: string[] }).labelNames, args), slow);
  }

  override reset(): void {
    this.generation++;
    super.reset();
  }

  override remove(...args: unknown[]): void {
    this.generation++;
    (super.remove as (...a: unknown[]) => void)(...args);
  }

  /** Replaces a series' record with a new one: its bound children find the new one. */
  override zero(labels: LabelValues<T>): void {
    this.generation++;
    super.zero(labels);
  }
}

class BoundHistogramChild<T extends string> implements Histogram.Internal<T> {
  private readonly key: string;
  private readonly upperBounds: readonly number[];
  private record: HistogramRecord | undefined;
  private generation = -1;

  constructor(
    private readonly metric: BoundHistogram<T>,
    private readonly labels: Record<string, string | number>,
    private readonly slow: Histogram.Internal<T>,
  ) {
    this.key = hashObject(labels, (metric as unknown as SeriesMap<HistogramRecord>).sortedLabelNames);
    this.upperBounds = (metric as unknown as { upperBounds: readonly number[] }).upperBounds;
  }

  observe(value: number): void {
    if (!Number.isFinite(value)) return this.slow.observe(value);
    const record = this.generation === this.metric.generation && this.record !== undefined ? this.record : this.attach();
    const bounds = this.upperBounds;
    // A value above the last bound is counted in +Inf only (count), as prom-client does.
    for (let i = 0; i < bounds.length; i++) {
      const bound = bounds[i] as number;
      if (value <= bound) {
        (record.bucketValues[bound] as number) += 1;
        break;
      }
    }
    record.sum += value;
    record.count += 1;
  }

  startTimer(): (labels?: LabelValues<T>) => void {
    return this.slow.startTimer();
  }

  private attach(): HistogramRecord {
    const series = this.metric as unknown as SeriesMap<HistogramRecord>;
    let record = series.hashMap[this.key];
    if (record === undefined) {
      // prom-client's own zero (not the override): creating this series leaves the others' children attached.
      Histogram.prototype.zero.call(this.metric, this.labels as LabelValues<T>);
      record = series.hashMap[this.key] as HistogramRecord;
    }
    this.record = record;
    this.generation = this.metric.generation;
    return record;
  }
}
