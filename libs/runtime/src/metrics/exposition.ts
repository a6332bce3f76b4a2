/**
 * Reading Prometheus text exposition (version 0.0.4): what tests and the `value()` helper of a
 * registry need, nothing more (no escapes inside label values beyond `\"`, no timestamps).
 */

/** Every sample line as `series -> value`, the series written as exposed (`name{a="b"}`). */
export function parseSamples(text: string): Map<string, number> {
  const out = new Map<string, number>();
  for (const line of text.split('\n')) {
    if (line === '' || line.startsWith('#')) continue;
    const at = line.lastIndexOf(' ');
    if (at <= 0) continue;
    out.set(line.slice(0, at), Number(line.slice(at + 1)));
  }
  return out;
}

/** The value of one series (`name` or `name{labels}` as exposed), 0 when absent. */
export function sampleValue(text: string, series: string): number {
  return parseSamples(text).get(series) ?? 0;
}

/** The samples of one metric family (its name, or `<name>_bucket` etc.), with their label text. */
export function familySamples(text: string, name: string): Array<{ labels: string; value: number }> {
  const out: Array<{ labels: string; value: number }> = [];
  for (const [series, value] of parseSamples(text)) {
    const brace = series.indexOf('{');
    const n = brace < 0 ? series : series.slice(0, brace);
    if (n === name) out.push({ labels: brace < 0 ? '' : series.slice(brace + 1, -1), value });
  }
  return out;
}
