import { DeployOptionError, applyDeployDefaults, parseCpuLimit, parseMemory, resolveDeployOptions } from './deploy-options.js';
import { desktopOpener } from './deploy-browser.js';

describe('shoal deploy options', () => {
  it('takes CPU limits inside the 40-60 band and refuses the rest with the range', () => {
    expect(parseCpuLimit('40')).toBe(40);
    expect(parseCpuLimit('60%')).toBe(60);
    for (const bad of ['90', '39', '61', '0', 'abc', '45.5', '', 'true']) {
      expect(() => parseCpuLimit(bad)).toThrow(DeployOptionError);
      expect(() => parseCpuLimit(bad)).toThrow(/allowed 40-60/);
    }
  });

  it('takes memory sizes of 256-768 MB in MB, M, bare or GB form, and refuses the rest with the range', () => {
    expect(parseMemory('512MB')).toBe(512);
    expect(parseMemory('512m')).toBe(512);
    expect(parseMemory('256')).toBe(256);
    expect(parseMemory('0.5GB')).toBe(512);
    expect(parseMemory('768MiB')).toBe(768);
    for (const bad of ['2GB', '255MB', '769', '1G', '512KB', 'lots', '', 'true']) {
      expect(() => parseMemory(bad)).toThrow(/allowed 256MB-768MB per agent/);
    }
  });

  it('reads the flags first, then the npm_config_* variables npm sets for the seed spelling', () => {
    expect(resolveDeployOptions({}, { npm_config_cpu_limit: '40', npm_config_memory: '512MB' })).toEqual({ plan: 'shoal.yaml', cpuPercent: 40, memoryMb: 512 });
    expect(resolveDeployOptions({ cpuLimit: '50', plan: 'p.yaml' }, { npm_config_cpu_limit: '40', npm_config_plan: 'q.yaml' })).toEqual({ plan: 'p.yaml', cpuPercent: 50 });
    expect(resolveDeployOptions({}, { npm_config_plan: 'q.yaml', npm_config_memory: '' })).toEqual({ plan: 'q.yaml' });
    expect(() => resolveDeployOptions({}, { npm_config_cpu_limit: '90' })).toThrow(/--cpu-limit=90 refused: allowed 40-60/);
    expect(() => resolveDeployOptions({ memory: '2GB' }, {})).toThrow(/--memory=2GB refused/);
  });

  it('gives the budgets and the cwd to tasks that set none, and leaves the others as they are', () => {
    const plan = {
      name: 'p',
      phases: [{ id: 'a', tasks: [{ id: 'x', command: ['a'] }, { id: 'y', command: ['b'], cwd: '/w', resources: { cpu: 10, memory: 256 } }, { id: 'z', command: ['c'], resources: { memory: 300 } }] }],
    };
    const out = applyDeployDefaults(plan, { cpuPercent: 45, memoryMb: 512, cwd: '/repo' }) as typeof plan;
    expect(out.phases[0]!.tasks).toEqual([
      { id: 'x', command: ['a'], resources: { cpu: 45, memory: 512 }, cwd: '/repo' },
      { id: 'y', command: ['b'], cwd: '/w', resources: { cpu: 10, memory: 256 } },
      { id: 'z', command: ['c'], resources: { cpu: 45, memory: 300 }, cwd: '/repo' },
    ]);
    expect(plan.phases[0]!.tasks[0]).toEqual({ id: 'x', command: ['a'] });
    expect(applyDeployDefaults({ name: 'p', phases: [{ id: 'a', tasks: [{ id: 'x' }] }] }, {})).toEqual({ name: 'p', phases: [{ id: 'a', tasks: [{ id: 'x' }] }] });
    expect(applyDeployDefaults('not a plan', { cpuPercent: 40 })).toBe('not a plan');
  });

  it('opens the dashboard only where there is a desktop', () => {
    expect(desktopOpener({ DISPLAY: ':0' }, 'linux')).toBe('xdg-open');
    expect(desktopOpener({ WAYLAND_DISPLAY: 'wayland-0' }, 'linux')).toBe('xdg-open');
    expect(desktopOpener({}, 'linux')).toBeUndefined();
    expect(desktopOpener({}, 'darwin')).toBe('open');
  });
});
