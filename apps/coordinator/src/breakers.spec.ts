import { jest } from '@jest/globals';
import { Placer } from '@shoal/scheduler';
import { Breakers } from './breakers.js';
import { loadCoordinatorConfig } from './config.js';
import { Metrics } from './metrics.js';

const node = (id: string) => ({
  id,
  labels: { agent: 'codex' },
  alive: true,
  capacity: { cpuPercent: 400, memoryMb: 8192, maxTasks: 8 },
  committed: { cpuPercent: 0, memoryMb: 0, tasks: 0 },
  hostCpuPercent: 5,
});
const demand = (key: string, preset?: string) => ({ key, runId: 'r', taskId: key, team: 't', role: `R-${key}`, cpuPercent: 10, memoryMb: 256, priority: 0, enqueuedAt: 0, ...(preset ? { preset } : {}) });

describe('Breakers (coordinator)', () => {
  beforeEach(() => jest.useFakeTimers({ now: 1_000_000 }));
  afterEach(() => jest.useRealTimers());

  function setup() {
    const metrics = new Metrics();
    const breakers = new Breakers(loadCoordinatorConfig({ SHOAL_INSECURE: '1', SHOAL_BREAKER_FAILURES: '2', SHOAL_BREAKER_WINDOW_MS: '60000', SHOAL_BREAKER_COOLDOWN_MS: '5000' }), metrics);
    const placer = new Placer({ now: Date.now, nodeBreakers: breakers.nodes, presetBreakers: breakers.presets });
    return { metrics, breakers, placer };
  }

  it('opens a node breaker after failed and lost attempts; the placer avoids the node and says why', async () => {
    const { breakers, placer, metrics } = setup();
    breakers.record('failed', 'n1', undefined);
    breakers.record('cancelled', 'n1', undefined);
    expect(breakers.nodes.state('n1')).toBe('closed');
    breakers.record('lost', 'n1', undefined);
    expect(breakers.nodes.state('n1')).toBe('open');
    placer.enqueue(demand('a'));
    expect(placer.round([node('n1')]).waiting[0]!.reason).toMatch(/^circuit open for node n1 \(2 failures in 1\.0 min\); half-open in 5\.0 s$/);
    expect(placer.round([node('n1'), node('n2')]).placed).toEqual([expect.objectContaining({ key: 'a', nodeId: 'n2' })]);
    expect(await metrics.value('shoal_breaker_transitions_total{kind="node",to="open"}')).toBe(1);
    expect(breakers.snapshot().changes).toEqual([expect.objectContaining({ kind: 'node', key: 'n1', from: 'closed', to: 'open' })]);
  });

  it('notices the cool-down ending (half-open), admits one trial, and closes on its success', () => {
    const { breakers, placer } = setup();
    breakers.record('failed', 'n1', undefined);
    breakers.record('timed-out', 'n1', undefined);
    jest.advanceTimersByTime(5_000);
    breakers.poll();
    expect(breakers.snapshot().changes.map((c) => `${c.from}->${c.to}`)).toEqual(['closed->open', 'open->half-open']);
    placer.enqueue(demand('a'));
    placer.enqueue(demand('b'));
    const r = placer.round([node('n1')]);
    expect(r.placed.map((p) => p.key)).toEqual(['a']);
    expect(r.waiting[0]!.reason).toBe('circuit half-open for node n1: waiting for the trial placement to finish');
    breakers.record('succeeded', 'n1', undefined);
    expect(breakers.nodes.state('n1')).toBe('closed');
    expect(breakers.snapshot().nodes).toEqual({});
  });

  it('keeps a breaker per agent preset: failures of codex tasks hold back codex work on every node', () => {
    const { breakers, placer } = setup();
    breakers.record('failed', 'n1', 'codex');
    breakers.record('rejected', 'n2', 'codex');
    expect(breakers.presets.state('codex')).toBe('open');
    expect(breakers.nodes.state('n1')).toBe('closed');
    placer.enqueue(demand('c', 'codex'));
    placer.enqueue(demand('d', 'claude'));
    const r = placer.round([node('n1'), node('n2')]);
    expect(r.placed.map((p) => p.key)).toEqual(['d']);
    expect(r.waiting[0]!.reason).toMatch(/^circuit open for agent preset codex/);
  });
});
