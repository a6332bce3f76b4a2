import { demandFromTask, demandKey, nodeViewFromHeartbeat } from './from-protocol.js';

describe('protocol adapters', () => {
  it('builds a demand with plan defaults and the agent preset from requires', () => {
    const d = demandFromTask('run-1', { id: 'build', team: 'web', role: 'Dev', command: ['npm', 'run', 'build'], requires: { agent: 'claude' }, batch: 'b1' }, 2, 1_000);
    expect(d).toEqual({
      key: 'run-1.build.2',
      runId: 'run-1',
      taskId: 'build',
      team: 'web',
      role: 'Dev',
      cpuPercent: 50,
      memoryMb: 512,
      priority: 0,
      requires: { agent: 'claude' },
      batch: 'b1',
      preset: 'claude',
      enqueuedAt: 1_000,
    });
    expect(demandKey('r', 't', 1)).toBe('r.t.1');
  });

  it('builds a node view from a heartbeat and the coordinator ledger', () => {
    const v = nodeViewFromHeartbeat(
      {
        v: 1,
        kind: 'node.heartbeat',
        nodeId: 'n1',
        hostname: 'n1.local',
        sentAt: 5,
        startedAt: 1,
        pulseMs: 2000,
        labels: { agent: 'codex' },
        governor: 'cgroup-v1',
        capacity: { cpuPercent: 120, memoryMb: 4096, maxTasks: 4 },
        host: { cpuPercent: 35, memUsedMb: 1000, memTotalMb: 8000, load1: 0.5, cores: 2 },
        running: [],
      },
      true,
      { cpuPercent: 50, memoryMb: 512, tasks: 1 },
    );
    expect(v).toEqual({
      id: 'n1',
      labels: { agent: 'codex' },
      alive: true,
      capacity: { cpuPercent: 120, memoryMb: 4096, maxTasks: 4 },
      committed: { cpuPercent: 50, memoryMb: 512, tasks: 1 },
      hostCpuPercent: 35,
    });
  });
});
