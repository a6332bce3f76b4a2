import { loadScaleConfig } from '../config.js';

describe('loadScaleConfig (SHOAL_SCALE_*)', () => {
  it('defaults to deciding only (actuator none) with the documented timings and target', () => {
    expect(loadScaleConfig({})).toMatchObject({ actuator: 'none', upWaitMs: 30_000, stabiliseMs: 300_000, upCoolDownMs: 120_000, downCoolDownMs: 600_000, minReplicas: 1, maxReplicas: 100, actuatorCoolDownMs: 60_000, k8sNamespace: 'shoal', k8sDeployment: 'node-agent-pool' });
  });

  it('reads the command as a JSON argv and bounds from SHOAL_MIN/MAX_NODES unless set', () => {
    const c = loadScaleConfig({ SHOAL_SCALE_ACTUATOR: 'command', SHOAL_SCALE_COMMAND: '["/bin/set-hosts","--count","{desired}"]', SHOAL_MIN_NODES: '2', SHOAL_MAX_NODES: '9', SHOAL_SCALE_MAX_REPLICAS: '6' });
    expect(c).toMatchObject({ actuator: 'command', command: ['/bin/set-hosts', '--count', '{desired}'], minReplicas: 2, maxReplicas: 6 });
  });

  it('refuses a shell string, a command actuator without a command, an unknown actuator and inverted bounds', () => {
    expect(() => loadScaleConfig({ SHOAL_SCALE_COMMAND: 'set-hosts $N' })).toThrow(/SHOAL_SCALE_COMMAND=.*JSON array of strings/);
    expect(() => loadScaleConfig({ SHOAL_SCALE_COMMAND: '["a", 1]' })).toThrow(/JSON array of strings/);
    expect(() => loadScaleConfig({ SHOAL_SCALE_ACTUATOR: 'command' })).toThrow(/needs SHOAL_SCALE_COMMAND/);
    expect(() => loadScaleConfig({ SHOAL_SCALE_ACTUATOR: 'aws' })).toThrow(/none, kubernetes or command/);
    expect(() => loadScaleConfig({ SHOAL_SCALE_MIN_REPLICAS: '5', SHOAL_SCALE_MAX_REPLICAS: '3' })).toThrow(/above SHOAL_SCALE_MAX_REPLICAS/);
    expect(() => loadScaleConfig({ SHOAL_SCALE_K8S_DEPLOYMENT: 'Node_Agents' })).toThrow(/Kubernetes object name/);
    expect(() => loadScaleConfig({ SHOAL_SCALE_POOL_LABEL: 'pool' })).toThrow(/one key=value label/);
  });

  it('reads the pool label', () => {
    expect(loadScaleConfig({ SHOAL_SCALE_POOL_LABEL: 'pool=kubernetes' }).poolLabel).toEqual({ key: 'pool', value: 'kubernetes' });
    expect(loadScaleConfig({}).poolLabel).toBeUndefined();
  });
});
