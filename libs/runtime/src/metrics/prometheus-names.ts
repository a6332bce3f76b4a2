/**
 * How an OpenTelemetry metric is named in Prometheus, after the OpenTelemetry "Prometheus and
 * OpenMetrics compatibility" specification: dots and other characters Prometheus refuses become
 * `_`, the unit becomes a suffix (`s` -> `_seconds`, `By` -> `_bytes`, `1` -> `_ratio` for gauges,
 * annotations such as `{task}` are dropped), and counters end in `_total` (added by the
 * exporter's serializer, not here). `shoal.task.duration` in `s` -> `shoal_task_duration_seconds`.
 */

/** Units (UCUM, as OpenTelemetry writes them) and their Prometheus words. */
const UNIT_WORDS: Readonly<Record<string, string>> = {
  d: 'days',
  h: 'hours',
  min: 'minutes',
  s: 'seconds',
  ms: 'milliseconds',
  us: 'microseconds',
  ns: 'nanoseconds',
  By: 'bytes',
  KiBy: 'kibibytes',
  MiBy: 'mebibytes',
  GiBy: 'gibibytes',
  KBy: 'kilobytes',
  MBy: 'megabytes',
  GBy: 'gigabytes',
  '%': 'percent',
  Hz: 'hertz',
};

/** Per-unit words used after `/` (`By/s` -> `bytes_per_second`). */
const PER_WORDS: Readonly<Record<string, string>> = { s: 'second', m: 'minute', h: 'hour', d: 'day', min: 'minute' };

/** The kinds of metric data that change the name (only gauges take `_ratio`). */
export type PrometheusKind = 'counter' | 'gauge' | 'histogram';

/**
 * The Prometheus word(s) of an OpenTelemetry unit, or '' when it adds no suffix (no unit,
 * annotations `{...}`, or `1` on a counter or histogram).
 */
export function unitSuffix(unit: string | undefined, kind: PrometheusKind): string {
  const u = (unit ?? '').replace(/\{[^}]*\}/g, '').trim();
  if (u === '') return '';
  if (u === '1') return kind === 'gauge' ? 'ratio' : '';
  const [num = '', per] = u.split('/', 2);
  const head = num === '' || num === '1' ? '' : (UNIT_WORDS[num] ?? sanitize(num));
  if (per === undefined) return head;
  const tail = PER_WORDS[per] ?? UNIT_WORDS[per] ?? sanitize(per);
  return head ? `${head}_per_${tail}` : `per_${tail}`;
}

/** Prometheus metric name of an OpenTelemetry instrument, without the `_total` of counters. */
export function prometheusName(name: string, unit: string | undefined, kind: PrometheusKind): string {
  let base = sanitize(name);
  if (kind === 'counter' && base.endsWith('_total')) base = base.slice(0, -'_total'.length);
  const suffix = unitSuffix(unit, kind);
  if (suffix && !base.endsWith(`_${suffix}`)) base = `${base}_${suffix}`;
  return base;
}

/** Replaces every character Prometheus refuses in a name by `_`, and collapses runs of `_`. */
function sanitize(s: string): string {
  return s.replace(/[^a-zA-Z0-9_:]/g, '_').replace(/_{2,}/g, '_');
}
