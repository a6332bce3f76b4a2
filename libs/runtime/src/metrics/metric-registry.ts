import type { Attributes, Counter, Histogram, Meter, ObservableResult, UpDownCounter } from '@opentelemetry/api';
import { PrometheusExporter, PrometheusSerializer } from '@opentelemetry/exporter-prometheus';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { type DataPoint, DataPointType, MeterProvider, type MetricData, type ResourceMetrics } from '@opentelemetry/sdk-metrics';
import { sampleValue } from './exposition.js';
import { type PrometheusKind, prometheusName, unitSuffix } from './prometheus-names.js';

/**
 * How a metric is measured. `counter` and `histogram` are recorded as things happen;
 * `gauge` and `observable-counter` are read at collection time from a callback
 * (see {@link MetricRegistry.observe}); `updown-counter` is added to both ways.
 */
export type MetricKind = 'counter' | 'updown-counter' | 'histogram' | 'gauge' | 'observable-counter';

/** One metric, declared once: what docs/observability.md lists and what the registry creates. */
export interface MetricSpec {
  /** OpenTelemetry name (`shoal.task.duration`); the Prometheus name is derived (see {@link exposedName}). */
  readonly name: string;
  readonly kind: MetricKind;
  /** UCUM unit as OpenTelemetry writes it: `s`, `By`, `1`, or an annotation such as `{task}`. */
  readonly unit: string;
  readonly description: string;
  /** Label (attribute) names; every one has a bounded set of values. */
  readonly labels: readonly string[];
  /** Explicit histogram bucket boundaries, in the metric's unit (histograms only). */
  readonly buckets?: readonly number[];
}

/** Metrics of one service by key. */
export type MetricCatalog = Readonly<Record<string, MetricSpec>>;

/** Label values of one sample. */
export type Labels = Readonly<Record<string, string>>;
/** What an observable callback returns: one value (no labels) or labelled samples. */
export type Observed = number | Iterable<readonly [Labels, number]>;

type KeysOf<C extends MetricCatalog, K extends MetricKind> = { [P in keyof C]: C[P]['kind'] extends K ? P : never }[keyof C] & string;

/** The Prometheus name of a metric as scraped (counters with `_total`). */
export function exposedName(spec: MetricSpec): string {
  const kind = promKind(spec.kind);
  const base = prometheusName(spec.name, spec.unit, kind);
  return kind === 'counter' ? `${base}_total` : base;
}

function promKind(kind: MetricKind): PrometheusKind {
  if (kind === 'counter' || kind === 'observable-counter') return 'counter';
  return kind === 'histogram' ? 'histogram' : 'gauge';
}

/** Options of a {@link MetricRegistry}. */
export interface MetricRegistryOptions {
  /** `service.name` of the resource (in `target_info`). */
  serviceName: string;
  /** More resource attributes (bounded: e.g. the node id). */
  attributes?: Record<string, string>;
}

/**
 * The metrics of one service through the OpenTelemetry SDK: a `MeterProvider` whose reader is the
 * Prometheus exporter (its own HTTP server never started: the service serves {@link render} on its
 * `/metrics`). Instruments come from a catalog declared once; names are OpenTelemetry names, and
 * the exposition renames them after the OpenTelemetry-to-Prometheus rules (unit suffixes).
 */
export class MetricRegistry<C extends MetricCatalog> {
  private readonly provider: MeterProvider;
  private readonly exporter: PrometheusExporter;
  private readonly serializer = new PrometheusSerializer(undefined, false, undefined, false, true);
  private readonly meter: Meter;
  private readonly counters = new Map<string, Counter | UpDownCounter>();
  private readonly histograms = new Map<string, Histogram>();
  /** Prometheus name and unit word per OpenTelemetry name. */
  private readonly renames = new Map<string, { name: string; unit: string }>();
  /**
   * Label sets each gauge reported in the current collection: the SDK keeps exporting a gauge's
   * label sets that are no longer observed (an agent that ended) with their last value; those are dropped.
   */
  private readonly observed = new Map<string, Set<string>>();
  /** Collections run one at a time (each resets {@link observed}); concurrent scrapes queue. */
  private collecting: Promise<unknown> = Promise.resolve();

  constructor(
    readonly catalog: C,
    opts: MetricRegistryOptions,
  ) {
    this.exporter = new PrometheusExporter({ preventServerStart: true, withoutScopeInfo: true });
    this.provider = new MeterProvider({
      resource: resourceFromAttributes({ 'service.name': opts.serviceName, ...opts.attributes }),
      readers: [this.exporter],
    });
    this.meter = this.provider.getMeter(opts.serviceName);
    for (const spec of Object.values(catalog)) {
      const kind = promKind(spec.kind);
      this.renames.set(spec.name, { name: prometheusName(spec.name, spec.unit, kind), unit: unitSuffix(spec.unit, kind) });
      const o = { description: spec.description, unit: spec.unit };
      if (spec.kind === 'counter') this.counters.set(spec.name, this.meter.createCounter(spec.name, o));
      else if (spec.kind === 'updown-counter') this.counters.set(spec.name, this.meter.createUpDownCounter(spec.name, o));
      else if (spec.kind === 'histogram') this.histograms.set(spec.name, this.meter.createHistogram(spec.name, { ...o, advice: { explicitBucketBoundaries: [...(spec.buckets ?? [])] } }));
    }
  }

  /** Adds to a counter (or an up-down counter, `by` may then be negative). */
  add(key: KeysOf<C, 'counter' | 'updown-counter'>, labels: Labels = {}, by = 1): void {
    this.counters.get(this.catalog[key]!.name)!.add(by, labels as Attributes);
  }

  /** Records one measurement into a histogram (in the metric's unit). */
  record(key: KeysOf<C, 'histogram'>, value: number, labels: Labels = {}): void {
    if (!Number.isFinite(value) || value < 0) return;
    this.histograms.get(this.catalog[key]!.name)!.record(value, labels as Attributes);
  }

  /**
   * Registers a callback read at every collection for a gauge or an observable counter. A
   * callback that throws loses its samples of that scrape, nothing else.
   */
  observe(key: KeysOf<C, 'gauge' | 'observable-counter'>, read: () => Observed): void {
    const spec = this.catalog[key]!;
    const o = { description: spec.description, unit: spec.unit };
    const instrument = spec.kind === 'gauge' ? this.meter.createObservableGauge(spec.name, o) : this.meter.createObservableCounter(spec.name, o);
    const seen = (labels: Labels) => {
      let set = this.observed.get(spec.name);
      if (!set) this.observed.set(spec.name, (set = new Set()));
      set.add(labelKey(labels));
    };
    instrument.addCallback((result: ObservableResult) => {
      const v = read();
      if (typeof v === 'number') {
        if (Number.isFinite(v)) (result.observe(v), seen({}));
        return;
      }
      for (const [labels, value] of v) if (Number.isFinite(value)) (result.observe(value, labels as Attributes), seen(labels));
    });
  }

  /** The Prometheus text exposition (HELP and TYPE for every family), collected now. */
  render(): Promise<string> {
    const next = this.collecting.then(async () => {
      this.observed.clear();
      const { resourceMetrics } = await this.exporter.collect();
      return this.serializer.serialize(this.renamed(resourceMetrics));
    });
    this.collecting = next.catch(() => undefined);
    return next;
  }

  /** The current value of one exposed series (`name` or `name{a="b"}`), 0 when absent (tests, diagnostics). */
  async value(series: string): Promise<number> {
    return sampleValue(await this.render(), series);
  }

  /** Stops the provider; never throws. */
  async shutdown(): Promise<void> {
    await this.provider.shutdown().catch(() => undefined);
  }

  /** The collected metrics with Prometheus names and unit words (the serializer appends `_total`). */
  private renamed(rm: ResourceMetrics): ResourceMetrics {
    return {
      resource: rm.resource,
      scopeMetrics: rm.scopeMetrics.map((sm) => ({
        scope: sm.scope,
        metrics: sm.metrics.map((m) => {
          const r = this.renames.get(m.descriptor.name);
          const fresh = this.observed.get(m.descriptor.name) ?? new Set<string>();
          const dataPoints = m.dataPointType === DataPointType.GAUGE ? (m.dataPoints as DataPoint<number>[]).filter((p) => fresh.has(labelKey(p.attributes as Labels))) : m.dataPoints;
          return { ...m, dataPoints, ...(r ? { descriptor: { ...m.descriptor, name: r.name, unit: r.unit } } : {}) } as MetricData;
        }),
      })),
    };
  }
}

/** A label set as a stable key (sorted). */
function labelKey(labels: Labels): string {
  return JSON.stringify(Object.entries(labels).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
}
