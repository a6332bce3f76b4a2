import { exposedName } from './metric-registry.js';
import { prometheusName, unitSuffix } from './prometheus-names.js';

describe('Prometheus names of OpenTelemetry metrics', () => {
  it('turns units into suffixes, drops annotations, and takes ratio only for gauges', () => {
    expect(unitSuffix('s', 'histogram')).toBe('seconds');
    expect(unitSuffix('By', 'gauge')).toBe('bytes');
    expect(unitSuffix('{task}', 'counter')).toBe('');
    expect(unitSuffix('', 'gauge')).toBe('');
    expect(unitSuffix(undefined, 'gauge')).toBe('');
    expect(unitSuffix('1', 'gauge')).toBe('ratio');
    expect(unitSuffix('1', 'counter')).toBe('');
    expect(unitSuffix('By/s', 'gauge')).toBe('bytes_per_second');
    expect(unitSuffix('{request}/s', 'gauge')).toBe('per_second');
    expect(unitSuffix('foo', 'gauge')).toBe('foo');
  });

  it('replaces dots, keeps a suffix already there, and leaves _total to the serializer', () => {
    expect(prometheusName('shoal.task.duration', 's', 'histogram')).toBe('shoal_task_duration_seconds');
    expect(prometheusName('shoal.queue.oldest_wait.seconds', 's', 'gauge')).toBe('shoal_queue_oldest_wait_seconds');
    expect(prometheusName('shoal.malformed_messages', '{message}', 'counter')).toBe('shoal_malformed_messages');
    expect(prometheusName('shoal.x_total', '', 'counter')).toBe('shoal_x');
    expect(prometheusName('a..b-c', 'By', 'gauge')).toBe('a_b_c_bytes');
  });

  it('names counters as scraped, with _total', () => {
    expect(exposedName({ name: 'shoal.tasks.started', kind: 'counter', unit: '{task}', description: '', labels: [] })).toBe('shoal_tasks_started_total');
    expect(exposedName({ name: 'shoal.node.malformed_messages', kind: 'observable-counter', unit: '{message}', description: '', labels: [] })).toBe('shoal_node_malformed_messages_total');
    expect(exposedName({ name: 'shoal.node.memory.usage', kind: 'gauge', unit: 'By', description: '', labels: [] })).toBe('shoal_node_memory_usage_bytes');
  });
});
