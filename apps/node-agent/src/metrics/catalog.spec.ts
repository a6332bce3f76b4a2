import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { exposedName } from '@shoal/runtime';
import { NODE_METRICS } from './catalog.js';

describe('node-agent metric catalog', () => {
  it('is listed in docs/observability.md, every metric with its Prometheus and OpenTelemetry names; names unique, labels bounded', () => {
    const doc = readFileSync(join(process.cwd(), 'docs/observability.md'), 'utf8');
    const specs = Object.values(NODE_METRICS);
    expect(specs.filter((s) => !doc.includes(`| \`${exposedName(s)}\` | \`${s.name}\` |`)).map((s) => s.name)).toEqual([]);
    expect(new Set(specs.map(exposedName)).size).toBe(specs.length);
    for (const s of specs) for (const l of s.labels) expect(['task_kind', 'outcome', 'state', 'bound', 'action', 'kind']).toContain(l);
  });
});
