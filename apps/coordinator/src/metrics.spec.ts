import { Metrics } from './metrics';

describe('Metrics', () => {
  const metrics: Metrics[] = [];
  afterEach(() => metrics.splice(0).forEach((m) => m.onModuleDestroy()));

  it('renders counters, gauges and labelled families in Prometheus text, the event-loop figures included', () => {
    const m = new Metrics();
    metrics.push(m);
    m.malformed('status');
    m.malformed('status');
    m.family('shoal_node_malformed_messages_total', () => [
      ['node="a"', 3],
      ['node="b"', 0],
    ]);
    const text = m.render();
    expect(text).toContain('shoal_malformed_messages_total{kind="status"} 2\n');
    expect(text).toContain('shoal_node_malformed_messages_total{node="a"} 3\n');
    expect(text).toContain('shoal_node_malformed_messages_total{node="b"} 0\n');
    expect(text).toMatch(/^shoal_event_loop_delay_max_ms \d+(\.\d)?$/m);
    expect(text).toMatch(/^shoal_event_loop_busy_max_ms \d+(\.\d)?$/m);
  });

  it('sees the event loop held by a synchronous block', async () => {
    const m = new Metrics();
    metrics.push(m);
    await new Promise((r) => setTimeout(r, 50));
    // 150 ms of CPU time (not wall time: on a busy shared host the wall clock runs ahead)
    const start = process.cpuUsage();
    for (;;) {
      const used = process.cpuUsage(start);
      if ((used.user + used.system) / 1000 >= 150) break;
    }
    await new Promise((r) => setTimeout(r, 50));
    const f = m.loop.figures();
    expect(f.delayMax).toBeGreaterThanOrEqual(100);
    // the main thread's own CPU time across the block (Linux): what tells it from a busy host
    expect(f.busyMax).toBeGreaterThanOrEqual(100);
  });
});
