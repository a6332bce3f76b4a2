import { MetricRegistry } from './metric-registry.js';

const CATALOG = {
  jobs: { name: 'demo.jobs', kind: 'counter', unit: '{job}', description: 'Jobs done.', labels: ['kind'] },
  duration: { name: 'demo.job.duration', kind: 'histogram', unit: 's', description: 'How long a job took.', labels: ['kind'], buckets: [0.1, 1, 10] },
  depth: { name: 'demo.queue.depth', kind: 'gauge', unit: '{job}', description: 'Jobs waiting.', labels: [] },
  usage: { name: 'demo.cpu.utilization', kind: 'gauge', unit: '1', description: 'CPU share.', labels: ['node'] },
  seen: { name: 'demo.seen', kind: 'observable-counter', unit: '{message}', description: 'Messages seen.', labels: ['node'] },
} as const;

describe('MetricRegistry', () => {
  const made: MetricRegistry<typeof CATALOG>[] = [];
  const registry = () => {
    const r = new MetricRegistry(CATALOG, { serviceName: 'demo' });
    made.push(r);
    return r;
  };
  afterEach(async () => Promise.all(made.splice(0).map((r) => r.shutdown())));

  it('exposes counters, histograms and observed gauges with HELP, TYPE and Prometheus names', async () => {
    const r = registry();
    r.add('jobs', { kind: 'a' });
    r.add('jobs', { kind: 'a' }, 2);
    r.record('duration', 0.5, { kind: 'a' });
    r.record('duration', 5, { kind: 'a' });
    r.observe('depth', () => 7);
    r.observe('usage', () => [[{ node: 'n1' }, 0.25]]);
    r.observe('seen', () => [[{ node: 'n1' }, 4]]);
    const text = await r.render();
    expect(text).toContain('# HELP demo_jobs_total Jobs done.\n# TYPE demo_jobs_total counter\ndemo_jobs_total{kind="a"} 3\n');
    expect(text).toContain('# TYPE demo_job_duration_seconds histogram\n');
    expect(text).toContain('demo_job_duration_seconds_bucket{kind="a",le="1"} 1\n');
    expect(text).toContain('demo_job_duration_seconds_bucket{kind="a",le="10"} 2\n');
    expect(text).toContain('demo_job_duration_seconds_bucket{kind="a",le="+Inf"} 2\n');
    expect(text).toContain('demo_job_duration_seconds_count{kind="a"} 2\n');
    expect(text).toContain('# TYPE demo_queue_depth gauge\ndemo_queue_depth 7\n');
    expect(text).toContain('demo_cpu_utilization_ratio{node="n1"} 0.25\n');
    expect(text).toContain('# TYPE demo_seen_total counter\ndemo_seen_total{node="n1"} 4\n');
    expect(text).toMatch(/^target_info\{service_name="demo"/m);
    expect(text).not.toContain('otel_scope_name');
    expect(await r.value('demo_jobs_total{kind="a"}')).toBe(3);
    expect(await r.value('demo_jobs_total{kind="b"}')).toBe(0);
  });

  it('exposes only the label sets a gauge reported in this collection (an ended agent leaves no stale series)', async () => {
    const r = registry();
    let first = true;
    r.observe('usage', () => (first ? [[{ node: 'gone' }, 5]] : [[{ node: 'n2' }, 0.5]]));
    r.observe('seen', () => (first ? [[{ node: 'gone' }, 5]] : [[{ node: 'n2' }, 1]]));
    expect(await r.render()).toContain('demo_cpu_utilization_ratio{node="gone"} 5\n');
    first = false;
    const text = await r.render();
    expect(text).not.toContain('demo_cpu_utilization_ratio{node="gone"}');
    expect(text).toContain('demo_cpu_utilization_ratio{node="n2"} 0.5\n');
    // a counter keeps its series: what was counted stays counted
    expect(text).toContain('demo_seen_total{node="gone"} 5\n');
  });

  it('a scrape that starts while another collects does not lose the other one\'s gauge series (collections queue)', async () => {
    const r = registry();
    let second: Promise<string> | undefined;
    r.observe('usage', () => [[{ node: 'n1' }, 0.1], [{ node: 'n2' }, 0.2]]);
    r.observe('depth', () => {
      second ??= r.render(); // a second scraper arrives while the first collection reads its gauges
      return 3;
    });
    const first = await r.render();
    for (const t of [first, await second!]) expect(t.match(/^demo_cpu_utilization_ratio\{/gm)).toHaveLength(2);
  });

  it('drops what is not a number and keeps the other samples when a callback throws', async () => {
    const r = registry();
    r.record('duration', Number.NaN);
    r.record('duration', -1);
    r.observe('depth', () => {
      throw new Error('gone');
    });
    r.observe('usage', () => [
      [{ node: 'n1' }, Number.NaN],
      [{ node: 'n2' }, 0.5],
    ]);
    const text = await r.render();
    expect(text).not.toMatch(/^demo_job_duration_seconds_count/m);
    expect(text).not.toMatch(/^demo_queue_depth /m);
    expect(text).not.toContain('node="n1"');
    expect(text).toContain('demo_cpu_utilization_ratio{node="n2"} 0.5\n');
  });
});
