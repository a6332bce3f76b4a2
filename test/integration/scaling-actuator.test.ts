import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Disposables, tempDir } from '@shoal/testing';
import { ScaleActuation } from '../../apps/coordinator/src/scaling/actuation.js';
import { CommandScaler } from '../../apps/coordinator/src/scaling/command-scaler.js';
import { KubernetesScaler } from '../../apps/coordinator/src/scaling/kubernetes-scaler.js';
import { type FakeKubeApi, startFakeKubeApi } from '../support/fake-kube-api.js';
import { K8S_ROOT, renderDir } from './k8s-render.js';

const disposables = new Disposables();
let dir: string;
let api: FakeKubeApi;

beforeAll(async () => {
  const d = tempDir('shoal-scaling-');
  disposables.add(() => d.dispose());
  dir = d.path;
  api = await startFakeKubeApi(dir, { 'shoal/node-agent-pool': 1 });
  disposables.add(() => api.close());
});
afterAll(() => disposables.disposeAll());

const counted: string[] = [];
const counter = { add: (_k: 'scaleActions', l: { actuator: string; outcome: string }) => void counted.push(`${l.actuator}:${l.outcome}`) };
const patches = () => api.requests.filter((r) => r.method === 'PATCH');
const up = (desired: number, current = 1) => ({ direction: 'up' as const, desired, current });
const down = (desired: number, current: number) => ({ direction: 'down' as const, desired, current });
const hold = (current: number) => ({ direction: 'hold' as const, desired: current, current });

describe('Kubernetes scaler against an API server speaking the scale subresource', () => {
  it('patches the replicas within bounds, respects the cool-down and never goes below the busy nodes', async () => {
    let now = 0;
    const scaler = new KubernetesScaler({ namespace: 'shoal', deployment: 'node-agent-pool', kubeconfigPath: api.kubeconfig });
    const act = new ScaleActuation({ minReplicas: 1, maxReplicas: 4, actuatorCoolDownMs: 60_000 }, scaler, counter, () => now);

    act.onDecision(up(9), 0);
    await act.settled();
    expect(api.replicas.get('shoal/node-agent-pool')).toBe(4); // bounded by maxReplicas
    const [patch] = patches();
    expect(patch).toMatchObject({ path: '/apis/apps/v1/namespaces/shoal/deployments/node-agent-pool/scale', contentType: 'application/merge-patch+json', authorization: 'Bearer test-token' });
    expect(patch!.body).toEqual({ metadata: { resourceVersion: '1' }, spec: { replicas: 4 } });
    expect(act.view()).toMatchObject({ kind: 'kubernetes', target: 4, coolDownUntil: 60_000, last: { actuator: 'kubernetes', outcome: 'applied', before: 1, target: 4 } });

    // holds while the new nodes start do not shrink it; a down decision waits for the cool-down
    now = 10_000;
    act.onDecision(hold(1), 0);
    act.onDecision(down(1, 4), 0);
    await act.settled();
    expect(patches()).toHaveLength(1);
    // after the cool-down: down to the 3 nodes that run work, not to the 1 the decision asked for
    now = 61_000;
    act.onDecision(down(1, 4), 3);
    await act.settled();
    expect(api.replicas.get('shoal/node-agent-pool')).toBe(3);
    expect(patches()).toHaveLength(2);
    expect(counted).toEqual(['kubernetes:applied', 'kubernetes:applied']);
  });

  it('counts a failure with its reason, keeps running and retries on the next decision', async () => {
    let now = 0;
    counted.length = 0;
    api.replicas.set('shoal/node-agent-pool', 1);
    const scaler = new KubernetesScaler({ namespace: 'shoal', deployment: 'node-agent-pool', kubeconfigPath: api.kubeconfig });
    const act = new ScaleActuation({ minReplicas: 1, maxReplicas: 10, actuatorCoolDownMs: 60_000 }, scaler, counter, () => now);
    api.failNext(503);
    act.onDecision(up(2), 0);
    await act.settled();
    expect(act.view().last).toMatchObject({ outcome: 'failed', code: 'E_TRANSPORT', detail: expect.stringMatching(/could not read the scale of deployment shoal\/node-agent-pool: HTTP 503: injected failure/) });
    expect(api.replicas.get('shoal/node-agent-pool')).toBe(1);
    now = 5000;
    act.onDecision(hold(1), 0); // the autoscaler cools down after its up decision: the retry comes with a hold
    await act.settled();
    expect(api.replicas.get('shoal/node-agent-pool')).toBe(2);
    expect(counted).toEqual(['kubernetes:failed', 'kubernetes:applied']);
  });

  it('sends the resourceVersion it read: a change in between answers 409 (E_CONFLICT), and the next decision applies over it', async () => {
    counted.length = 0;
    api.replicas.set('shoal/node-agent-pool', 1);
    const scaler = new KubernetesScaler({ namespace: 'shoal', deployment: 'node-agent-pool', kubeconfigPath: api.kubeconfig });
    const act = new ScaleActuation({ minReplicas: 1, maxReplicas: 10, actuatorCoolDownMs: 60_000 }, scaler, counter, () => 0);
    api.changeAfterNextRead('shoal/node-agent-pool', 2);
    act.onDecision(up(3), 0);
    await act.settled();
    expect(act.view().last).toMatchObject({ outcome: 'failed', code: 'E_CONFLICT', detail: expect.stringMatching(/HTTP 409: Operation cannot be fulfilled/) });
    expect(api.replicas.get('shoal/node-agent-pool')).toBe(2);
    act.onDecision(hold(1), 0);
    await act.settled();
    expect(act.view().last).toMatchObject({ outcome: 'applied', before: 2, target: 3 });
    expect(api.replicas.get('shoal/node-agent-pool')).toBe(3);
    expect(counted).toEqual(['kubernetes:failed', 'kubernetes:applied']);
  });

  it('leaves replicas that already go further in the decided direction, and names a missing Deployment', async () => {
    api.replicas.set('shoal/node-agent-pool', 6);
    const scaler = new KubernetesScaler({ namespace: 'shoal', deployment: 'node-agent-pool', kubeconfigPath: api.kubeconfig });
    const before = patches().length;
    await expect(scaler.apply({ target: 3, current: 2, direction: 'up' })).resolves.toMatchObject({ outcome: 'unchanged', before: 6 });
    expect(patches()).toHaveLength(before);
    const missing = new KubernetesScaler({ namespace: 'shoal', deployment: 'nope', kubeconfigPath: api.kubeconfig });
    await expect(missing.apply({ target: 3, current: 2, direction: 'up' })).rejects.toMatchObject({ code: 'E_NOT_FOUND', message: expect.stringMatching(/HTTP 404: deployments.apps "nope" not found/) });
  });
});

describe('command scaler', () => {
  it('runs the argv without a shell, with the count in a placeholder and in the environment', async () => {
    const out = join(dir, 'desired');
    const script = 'printf "%s %s %s %s" "$1" "$SHOAL_DESIRED_NODES" "$SHOAL_CURRENT_NODES" "$SHOAL_SCALE_DIRECTION" > "$2"; echo set to $1';
    const c = new CommandScaler(['sh', '-c', script, 'sh', '{desired}', out], 10_000);
    await expect(c.apply({ target: 5, current: 2, direction: 'up' })).resolves.toMatchObject({ outcome: 'applied', detail: expect.stringMatching(/exit 0; output: set to 5$/) });
    expect(readFileSync(out, 'utf8')).toBe('5 5 2 up');
    const semi = new CommandScaler(['echo', '{desired}; touch pwned'], 10_000);
    await expect(semi.apply({ target: 1, current: 2, direction: 'down' })).resolves.toMatchObject({ detail: expect.stringMatching(/output: 1; touch pwned$/) });
  });

  it('reports a failing exit with the output tail, a missing program, and kills a command past its timeout', async () => {
    await expect(new CommandScaler(['sh', '-c', 'echo quota exceeded >&2; exit 3'], 10_000).apply({ target: 2, current: 1, direction: 'up' })).rejects.toMatchObject({
      code: 'E_EXECUTION',
      message: expect.stringMatching(/failed \(exit 3\); output: quota exceeded/),
    });
    await expect(new CommandScaler([join(dir, 'no-such-program')], 10_000).apply({ target: 2, current: 1, direction: 'up' })).rejects.toMatchObject({ code: 'E_DEPENDENCY' });
    await expect(new CommandScaler(['sh', '-c', 'echo started; sleep 30'], 300).apply({ target: 2, current: 1, direction: 'up' })).rejects.toMatchObject({
      code: 'E_TIMEOUT',
      message: expect.stringMatching(/longer than 300 ms and was killed; output: started/),
    });
  });
});

describe('components/keda', () => {
  it('KEDA sizes the Deployment the coordinator would, from GET /scaling actuator.target, within the same bounds, and the built-in actuator is off', () => {
    let objs = renderDir(join(K8S_ROOT, 'base'));
    for (const c of ['node-pool', 'keda', 'common']) objs = renderDir(join(K8S_ROOT, 'components', c), objs);
    const coordinator = objs.find((o) => o.kind === 'Deployment' && o.metadata.name === 'coordinator')!;
    const env = Object.fromEntries((coordinator.spec.template.spec.containers[0].env as { name: string; value?: string }[]).map((e) => [e.name, e.value]));
    expect(env.SHOAL_SCALE_ACTUATOR).toBe('none');
    const so = objs.find((o) => o.kind === 'ScaledObject')!;
    expect(so.metadata.namespace).toBe(env.SHOAL_SCALE_K8S_NAMESPACE);
    expect(so.spec.scaleTargetRef).toMatchObject({ kind: 'Deployment', name: env.SHOAL_SCALE_K8S_DEPLOYMENT });
    expect(objs.some((o) => o.kind === 'Deployment' && o.metadata.name === so.spec.scaleTargetRef.name)).toBe(true);
    expect([String(so.spec.minReplicaCount), String(so.spec.maxReplicaCount)]).toEqual([env.SHOAL_SCALE_MIN_REPLICAS, env.SHOAL_SCALE_MAX_REPLICAS]);
    const [trigger] = so.spec.triggers;
    expect(trigger).toMatchObject({ type: 'metrics-api', metricType: 'AverageValue', metadata: { valueLocation: 'actuator.target', targetValue: '1', authMode: 'bearer' } });
    expect(new URL(trigger.metadata.url).pathname).toBe('/scaling');
    expect(objs.find((o) => o.kind === 'TriggerAuthentication' && o.metadata.name === trigger.authenticationRef.name)).toBeDefined();
  });
});
