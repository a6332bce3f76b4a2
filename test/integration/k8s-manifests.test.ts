import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { parseAllDocuments } from 'yaml';

/** Offline checks of deploy/k8s (kubectl is not available): parse, render a little, lint. */

type Obj = Record<string, any>;
const ROOT = resolve(process.cwd(), 'deploy/k8s');

function yamlFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) return yamlFiles(path);
    return /\.ya?ml$/.test(name) ? [path] : [];
  });
}

function loadDocs(file: string): Obj[] {
  const docs = parseAllDocuments(readFileSync(file, 'utf8'));
  for (const doc of docs) {
    if (doc.errors.length) throw new Error(`${file}: ${doc.errors.map((e) => e.message).join('; ')}`);
  }
  return docs.map((d) => d.toJS() as Obj).filter((d) => d !== null);
}

/** Deep merge in the spirit of a strategic merge patch: lists of named items merge by name. */
function merge(base: any, patch: any): any {
  if (Array.isArray(base) && Array.isArray(patch)) {
    if (!patch.every((p) => p?.name !== undefined && typeof p.name === 'string')) return patch;
    const out = base.map((b) => {
      const p = patch.find((x) => x.name === b?.name);
      return p ? merge(b, p) : b;
    });
    return [...out, ...patch.filter((p) => !base.some((b) => b?.name === p.name))];
  }
  if (base && patch && typeof base === 'object' && typeof patch === 'object' && !Array.isArray(base)) {
    const out: Obj = { ...base };
    for (const [k, v] of Object.entries(patch)) out[k] = k in base ? merge(base[k], v) : v;
    return out;
  }
  return patch;
}

/** Minimal kustomize: resources (files or dirs), patches by kind+name, namespace. */
function render(dir: string): Obj[] {
  const k = loadDocs(join(dir, 'kustomization.yaml'))[0]!;
  let objs: Obj[] = (k.resources ?? []).flatMap((r: string) => {
    const path = join(dir, r);
    return statSync(path).isDirectory() ? render(path) : loadDocs(path);
  });
  for (const { path } of k.patches ?? []) {
    for (const patch of loadDocs(join(dir, path))) {
      const i = objs.findIndex((o) => o.kind === patch.kind && o.metadata?.name === patch.metadata?.name);
      if (i < 0) throw new Error(`${dir}: patch ${path} targets missing ${patch.kind}/${patch.metadata?.name}`);
      objs[i] = merge(objs[i], patch);
    }
  }
  if (k.namespace) {
    objs = objs.map((o) => (o.kind === 'Namespace' ? o : { ...o, metadata: { ...o.metadata, namespace: k.namespace } }));
  }
  return objs;
}

const WORKLOADS = new Set(['Deployment', 'StatefulSet', 'DaemonSet']);
const find = (objs: Obj[], kind: string, name: string) => {
  const o = objs.find((x) => x.kind === kind && x.metadata?.name === name);
  if (!o) throw new Error(`missing ${kind}/${name}`);
  return o;
};
const containerOf = (w: Obj) => w.spec.template.spec.containers[0] as Obj;

/** Problems with one workload; `needProbes` lists containers that must have readiness and liveness probes. */
function workloadProblems(w: Obj, needProbes: string[] = []): string[] {
  const id = `${w.kind}/${w.metadata?.name}`;
  const problems: string[] = [];
  const selector: Obj = w.spec?.selector?.matchLabels ?? {};
  const labels: Obj = w.spec?.template?.metadata?.labels ?? {};
  if (Object.keys(selector).length === 0) problems.push(`${id}: empty selector`);
  for (const [k, v] of Object.entries(selector)) {
    if (labels[k] !== v) problems.push(`${id}: selector ${k}=${v} not in template labels`);
  }
  for (const c of (w.spec?.template?.spec?.containers ?? []) as Obj[]) {
    const r = c.resources ?? {};
    if (!r.requests?.cpu || !r.requests?.memory) problems.push(`${id}/${c.name}: missing cpu/memory requests`);
    if (!r.limits?.memory) problems.push(`${id}/${c.name}: missing memory limit`);
    if (!c.image) problems.push(`${id}/${c.name}: no image`);
    const ports = new Set(((c.ports ?? []) as Obj[]).flatMap((p) => [p.name, p.containerPort]));
    for (const kind of ['readinessProbe', 'livenessProbe', 'startupProbe']) {
      const port = c[kind]?.httpGet?.port;
      if (port !== undefined && !ports.has(port)) problems.push(`${id}/${c.name}: ${kind} port ${port} not declared`);
      if (needProbes.includes(c.name) && kind !== 'startupProbe' && !c[kind]) problems.push(`${id}/${c.name}: no ${kind}`);
    }
  }
  return problems;
}

/** Services must select some workload's pods and target a declared port. */
function serviceProblems(objs: Obj[]): string[] {
  const workloads = objs.filter((o) => WORKLOADS.has(o.kind));
  return objs
    .filter((o) => o.kind === 'Service')
    .flatMap((svc) => {
      const match = workloads.find((w) =>
        Object.entries(svc.spec.selector ?? {}).every(([k, v]) => w.spec.template.metadata.labels?.[k] === v),
      );
      if (!match) return [`Service/${svc.metadata.name}: selects no workload`];
      const ports = new Set(containerOf(match).ports?.flatMap((p: Obj) => [p.name, p.containerPort]) ?? []);
      return (svc.spec.ports as Obj[])
        .filter((p) => !ports.has(p.targetPort ?? p.port))
        .map((p) => `Service/${svc.metadata.name}: targetPort ${p.targetPort} not on ${match.metadata.name}`);
    });
}

const base = render(join(ROOT, 'base'));
const dev = render(join(ROOT, 'overlays/dev'));
const natsConf = (objs: Obj[]) => String(find(objs, 'ConfigMap', 'nats-config').data['nats.conf']);
const envOf = (c: Obj) => Object.fromEntries((c.env as Obj[]).map((e) => [e.name, e.value ?? e.valueFrom]));

describe('deploy/k8s manifests', () => {
  it('every YAML file parses and every document names apiVersion, kind and metadata.name', () => {
    const files = yamlFiles(ROOT);
    expect(files.length).toBeGreaterThanOrEqual(12);
    for (const file of files) {
      for (const doc of loadDocs(file)) {
        expect({ file, ok: Boolean(doc.apiVersion && doc.kind && (doc.kind === 'Kustomization' || doc.metadata?.name)) }).toEqual({
          file,
          ok: true,
        });
      }
    }
  });

  it('every resource and patch named by a kustomization exists', () => {
    const kustomizations = yamlFiles(ROOT).filter((f) => f.endsWith('kustomization.yaml'));
    expect(kustomizations.map((f) => f.slice(ROOT.length + 1)).sort()).toEqual(['base/kustomization.yaml', 'overlays/dev/kustomization.yaml']);
    for (const file of kustomizations) {
      const k = loadDocs(file)[0]!;
      const entries = [...(k.resources ?? []), ...(k.patches ?? []).map((p: Obj) => p.path)];
      expect(entries.length).toBeGreaterThan(0);
      for (const entry of entries) {
        const path = join(dirname(file), entry);
        const ok = existsSync(path) && (statSync(path).isFile() || existsSync(join(path, 'kustomization.yaml')));
        expect({ file, entry, ok }).toEqual({ file, entry, ok: true });
      }
    }
  });

  it('the base holds the namespace, NATS, coordinator and node-agent, all in namespace shoal', () => {
    const ids = base.map((o) => `${o.kind}/${o.metadata.name}`).sort();
    expect(ids).toEqual(
      [
        'ConfigMap/nats-config',
        'DaemonSet/node-agent',
        'Deployment/coordinator',
        'Namespace/shoal',
        'PodDisruptionBudget/nats',
        'Service/coordinator',
        'Service/nats',
        'Service/nats-headless',
        'StatefulSet/nats',
      ].sort(),
    );
    expect(base.filter((o) => o.kind !== 'Namespace' && o.metadata.namespace !== 'shoal')).toEqual([]);
  });

  it.each([
    ['base', base],
    ['overlays/dev', dev],
  ])('%s: selectors match template labels, containers have resources, probes and served ports', (_, objs) => {
    const problems = objs
      .filter((o) => WORKLOADS.has(o.kind))
      .flatMap((w) => workloadProblems(w, ['coordinator', 'nats']));
    expect([...problems, ...serviceProblems(objs)]).toEqual([]);
  });

  it('the checks catch a broken workload and a dangling Service', () => {
    const broken = structuredClone(find(base, 'Deployment', 'coordinator'));
    broken.spec.selector.matchLabels = { 'app.kubernetes.io/name': 'coordinatr' };
    delete containerOf(broken).resources.limits;
    delete containerOf(broken).readinessProbe;
    containerOf(broken).livenessProbe.httpGet.port = 'metrics';
    expect(workloadProblems(broken, ['coordinator'])).toEqual([
      'Deployment/coordinator: selector app.kubernetes.io/name=coordinatr not in template labels',
      'Deployment/coordinator/coordinator: missing memory limit',
      'Deployment/coordinator/coordinator: no readinessProbe',
      'Deployment/coordinator/coordinator: livenessProbe port metrics not declared',
    ]);
    const svc = { kind: 'Service', metadata: { name: 'ghost' }, spec: { selector: { app: 'ghost' }, ports: [{ port: 1 }] } };
    expect(serviceProblems([...base, svc])).toEqual(['Service/ghost: selects no workload']);
  });

  it('NATS: 3 JetStream servers with file storage, routes over the headless Service, sync_interval always', () => {
    const sts = find(base, 'StatefulSet', 'nats');
    expect(sts.spec.replicas).toBe(3);
    expect(find(base, 'Service', sts.spec.serviceName).spec.clusterIP).toBe('None');
    expect(sts.spec.volumeClaimTemplates[0].metadata.name).toBe('data');
    expect(containerOf(sts).volumeMounts).toEqual(expect.arrayContaining([{ name: 'data', mountPath: '/data' }]));
    const conf = natsConf(base);
    expect(conf).toMatch(/jetstream \{[^}]*store_dir: \/data\/jetstream[^}]*sync_interval: always[^}]*\}/);
    expect(conf).toMatch(/server_name: \$POD_NAME/);
    const routes = [...conf.matchAll(/nats:\/\/(nats-\d)\.([a-z-]+):6222/g)];
    expect(routes.map((m) => m[1])).toEqual(['nats-0', 'nats-1', 'nats-2']);
    expect(new Set(routes.map((m) => m[2]))).toEqual(new Set([sts.spec.serviceName]));
    expect(envOf(containerOf(sts)).POD_NAME).toEqual({ fieldRef: { fieldPath: 'metadata.name' } });
  });

  it('NATS: the pinned image is >= 2.10.23 and the config says why production needs it', () => {
    const k = loadDocs(join(ROOT, 'base/kustomization.yaml'))[0]!;
    const tag: string = k.images.find((i: Obj) => i.name === 'nats').newTag;
    const [major, minor, patch] = tag.split(/[.-]/).map(Number) as [number, number, number];
    expect(major * 1e6 + minor * 1e3 + patch).toBeGreaterThanOrEqual(2_010_023);
    const raw = readFileSync(join(ROOT, 'base/nats-config.yaml'), 'utf8');
    expect(raw).toMatch(/>= 2\.10\.23/);
    expect(raw).toMatch(/Jepsen/);
  });

  it('coordinator: one non-root replica on 8080 with /healthz probes and NATS_URL', () => {
    const dep = find(base, 'Deployment', 'coordinator');
    expect(dep.spec.replicas).toBe(1);
    expect(dep.spec.strategy.type).toBe('Recreate');
    expect(dep.spec.template.spec.securityContext.runAsNonRoot).toBe(true);
    const c = containerOf(dep);
    expect(c.image).toBe('shoal/coordinator');
    expect(c.ports).toEqual([{ name: 'http', containerPort: 8080 }]);
    expect(c.readinessProbe.httpGet.path).toBe('/healthz');
    expect(c.livenessProbe.httpGet.path).toBe('/healthz');
    expect(c.securityContext).toMatchObject({ allowPrivilegeEscalation: false, readOnlyRootFilesystem: true });
    expect(envOf(c)).toMatchObject({ NATS_URL: 'nats://nats:4222', HOST: '0.0.0.0', PORT: '8080' });
    // R3 on the 3 NATS servers of the base
    expect(envOf(c).SHOAL_NATS_REPLICAS).toBe(String(find(base, 'StatefulSet', 'nats').spec.replicas));
  });

  it('node-agent: per-node id from spec.nodeName, host cgroup fs mounted, NATS_URL', () => {
    const ds = find(base, 'DaemonSet', 'node-agent');
    const c = containerOf(ds);
    expect(c.image).toBe('shoal/node-agent');
    expect(envOf(c)).toMatchObject({
      NATS_URL: 'nats://nats:4222',
      SHOAL_NODE_ID: { fieldRef: { fieldPath: 'spec.nodeName' } },
    });
    const cgroupVolume = (ds.spec.template.spec.volumes as Obj[]).find((v) => v.hostPath?.path === '/sys/fs/cgroup');
    expect(cgroupVolume).toBeDefined();
    expect(c.volumeMounts).toEqual(expect.arrayContaining([{ name: cgroupVolume!.name, mountPath: '/sys/fs/cgroup' }]));
    expect(c.securityContext.privileged).toBe(false);
  });

  it('dev overlay: one NATS server without a cluster block, still sync_interval always', () => {
    expect(find(dev, 'StatefulSet', 'nats').spec.replicas).toBe(1);
    const conf = natsConf(dev);
    expect(conf).not.toMatch(/cluster\s*\{/);
    expect(conf).toMatch(/sync_interval: always/);
    expect(find(dev, 'Deployment', 'coordinator').spec.replicas).toBe(1);
    expect(envOf(containerOf(find(dev, 'Deployment', 'coordinator')))).toMatchObject({ SHOAL_NATS_REPLICAS: '1', NATS_URL: 'nats://nats:4222' });
    expect(containerOf(find(dev, 'DaemonSet', 'node-agent')).resources.limits.memory).toBe('2Gi');
  });
});
