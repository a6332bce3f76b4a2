import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { exposedName } from '@shoal/runtime';
import { COORDINATOR_METRICS } from './catalog.js';

const doc = readFileSync(join(process.cwd(), 'docs/observability.md'), 'utf8');

describe('coordinator metric catalog', () => {
  const specs = Object.values(COORDINATOR_METRICS);

  it('is listed in docs/observability.md, every metric with its Prometheus and OpenTelemetry names', () => {
    const missing = specs.filter((s) => !doc.includes(`| \`${exposedName(s)}\` | \`${s.name}\` |`)).map((s) => s.name);
    expect(missing).toEqual([]);
  });

  it('has unique names, snake_case labels, no per-run labels, and sorted buckets on every histogram', () => {
    expect(new Set(specs.map(exposedName)).size).toBe(specs.length);
    for (const s of specs) {
      expect(s.name).toMatch(/^shoal\.[a-z0-9_.]+$/);
      for (const l of s.labels) expect(l).toMatch(/^[a-z][a-z0-9_]*$/);
      expect(s.labels).not.toEqual(expect.arrayContaining(['run_id']));
      expect(s.labels).not.toEqual(expect.arrayContaining(['task_id']));
      if (s.kind === 'histogram') expect([...(s.buckets ?? [])]).toEqual([...(s.buckets ?? [])].sort((a, b) => a - b));
      expect(s.description.length).toBeGreaterThan(10);
    }
  });
});
