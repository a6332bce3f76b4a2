import { PROTOCOL_VERSION, type RunView, type TaskStatus } from '@shoal/protocol';
import { placedElsewhere } from './fencing.js';

const run = (nodeId: string | undefined, attempt = 2) =>
  ({ id: 'r1', tasks: [{ id: 'a', attempt, state: nodeId ? 'running' : 'queued', nodeId }] }) as unknown as RunView;
const finished = (nodeId: string, attempt = 2): TaskStatus => ({
  v: PROTOCOL_VERSION,
  kind: 'task.finished',
  runId: 'r1',
  taskId: 'a',
  attempt,
  nodeId,
  outcome: 'succeeded',
  exitCode: 0,
  finishedAt: 1,
  outputTail: '',
});

describe('fencing status reports by the node an attempt was placed on', () => {
  it('refuses a report on the current attempt from another node, naming the placed one', () => {
    expect(placedElsewhere(run('n1'), finished('n2'))).toBe('n1');
  });

  it('accepts the placed node, stale attempts (the engine drops them) and attempts not yet placed', () => {
    expect(placedElsewhere(run('n1'), finished('n1'))).toBeUndefined();
    expect(placedElsewhere(run('n1'), finished('n2', 1))).toBeUndefined();
    expect(placedElsewhere(run(undefined), finished('n2'))).toBeUndefined();
  });
});
