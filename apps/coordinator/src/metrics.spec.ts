import { readFileSync } from 'node:fs';
import { Metrics } from './metrics';

describe('Metrics', () => {
  const metrics: Metrics[] = [];
  afterEach(async () => Promise.all(metrics.splice(0).map((m) => m.onModuleDestroy())));

  it('renders counters and observed gauges in Prometheus text with HELP and TYPE, the event-loop figures included', async () => {
    const m = new Metrics();
    metrics.push(m);
    m.malformed('status');
    m.malformed('status');
    m.observe('nodeMalformed', () => [
      [{ node: 'a' }, 3],
      [{ node: 'b' }, 0],
    ]);
    m.add('cacheLookups', { result: 'hit' });
    const text = await m.render();
    expect(text).toContain('# TYPE shoal_malformed_messages_total counter\nshoal_malformed_messages_total{kind="status"} 2\n');
    expect(text).toContain('shoal_node_malformed_messages_total{node="a"} 3\n');
    expect(text).toContain('shoal_node_malformed_messages_total{node="b"} 0\n');
    expect(text).toContain('shoal_cache_lookups_total{result="hit"} 1\n');
    expect(text).toMatch(/^# TYPE shoal_event_loop_delay_max_seconds gauge$/m);
    expect(text).toMatch(/^shoal_event_loop_delay_max_seconds \d+(\.\d+)?(e-\d+)?$/m);
    expect(text).toMatch(/^shoal_event_loop_busy_max_seconds \d+(\.\d+)?(e-\d+)?$/m);
    // every family has its HELP line (what promtool asks for)
    const families = [...text.matchAll(/^# TYPE (\S+) /gm)].map((x) => x[1]);
    for (const f of families) expect(text).toContain(`# HELP ${f} `);
  });

  it('sees the event loop held by a synchronous block', async () => {
    const m = new Metrics();
    metrics.push(m);
    await new Promise((r) => setTimeout(r, 50));
    // 150 ms of the main thread's own CPU time (not wall time: on a busy shared host the wall clock
    // runs ahead; not process.cpuUsage(): GC and pool threads count there, not in the main thread's)
    const mainThreadMs = () => Number(readFileSync('/proc/self/schedstat', 'utf8').split(' ')[0]) / 1e6;
    const start = mainThreadMs();
    while (mainThreadMs() - start < 150);
    await new Promise((r) => setTimeout(r, 50));
    const f = m.loop.figures();
    expect(f.delayMax).toBeGreaterThanOrEqual(100);
    // the main thread's own CPU time across the block (Linux): what tells it from a busy host
    expect(f.busyMax).toBeGreaterThanOrEqual(100);
    expect(await m.value('shoal_event_loop_busy_max_seconds')).toBeGreaterThanOrEqual(0.1);
  });
});
