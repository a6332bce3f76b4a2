import type { GovernedTask } from '../governor/index.js';
import { privilegeDropArgv, withPrivilegeDrop } from './privilege-drop.js';

/** A governed task that records calls (our own interface; the real governors are covered by the integration suites). */
function recorder(calls: string[]): GovernedTask {
  return {
    taskKey: 'r.t.1',
    wrapArgv: (argv) => ['/bin/sh', '-c', 'ENTER', 'shoal-enter', ...argv],
    attach: (pid) => void calls.push(`attach ${pid}`),
    usage: async () => ({ cpuPercent: 1, rssMb: 2 }),
    verdict: async () => null,
    setCpu: async (p) => void calls.push(`cpu ${p}`),
    resize: async () => undefined,
    kill: async () => void calls.push('kill'),
    release: async () => {
      calls.push('release');
      throw new Error('group busy');
    },
  };
}

describe('privilege drop', () => {
  it('drops uid, gid, groups and capabilities with no new privileges, then runs the rest literally', () => {
    expect(privilegeDropArgv('/usr/bin/setpriv', { uid: 2000001, gid: 65534 })).toEqual([
      '/usr/bin/setpriv',
      '--reuid=2000001',
      '--regid=65534',
      '--clear-groups',
      '--inh-caps=-all',
      '--bounding-set=-all',
      '--no-new-privs',
      '--',
    ]);
    for (const bad of [0, -1, 1.5, 2 ** 32 - 1]) expect(() => privilegeDropArgv('/usr/bin/setpriv', { uid: bad, gid: 1 })).toThrow(RangeError);
    expect(() => privilegeDropArgv('/usr/bin/setpriv', { uid: 5, gid: 0 })).toThrow(/gid 0/);
  });

  it('puts the drop after the group entry, and kills the uid with every kill and release', async () => {
    const calls: string[] = [];
    const governed = withPrivilegeDrop(recorder(calls), ['/usr/bin/setpriv', '--reuid=7', '--'], async () => void calls.push('kill uid'));
    expect(governed.wrapArgv(['claude', '$(id)'])).toEqual(['/bin/sh', '-c', 'ENTER', 'shoal-enter', '/usr/bin/setpriv', '--reuid=7', '--', 'claude', '$(id)']);
    expect(() => governed.wrapArgv([])).toThrow(expect.objectContaining({ code: 'E_VALIDATION' }));
    governed.attach(42);
    await governed.setCpu(50);
    await governed.kill();
    await expect(governed.release()).rejects.toThrow('group busy');
    expect(calls).toEqual(['attach 42', 'cpu 50', 'kill', 'kill uid', 'release', 'kill uid']);
    expect(governed.taskKey).toBe('r.t.1');
    expect(await governed.usage()).toEqual({ cpuPercent: 1, rssMb: 2 });
  });
});
