import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { newUserKeys, renderNatsAuthorization } from '@shoal/runtime';
import { locateNatsServer } from '@shoal/testing';
import { K8S_ROOT, type Obj, allRenderings, findKubectl, idOf, kubectlRender, loadDocs, renderDir, renderRoots, yamlFiles } from './k8s-render.js';

/**
 * deploy/k8s rendered (kustomize subset in k8s-render.ts; compared with `kubectl kustomize` where
 * kubectl is installed), every object validated against the Kubernetes OpenAPI schemas
 * (kubernetes-models 4.5.1, offline), plus the checks a schema cannot make.
 */

const require = createRequire(import.meta.url);
/** Kinds kubernetes-models has no schema for (CRDs): only apiVersion/kind/metadata are checked. */
const CUSTOM_KINDS = new Set(['keda.sh/v1alpha1/ScaledObject', 'keda.sh/v1alpha1/TriggerAuthentication', 'keda.sh/v1alpha1/ScaledJob']);

/** The kubernetes-models class of an object, if it has one. */
function modelOf(o: Obj): (new (data: Obj) => { validate(): void }) | undefined {
  const [group, version] = String(o.apiVersion).includes('/') ? String(o.apiVersion).split('/') : ['', String(o.apiVersion)];
  try {
    const mod = require(`kubernetes-models/${group ? `${group}/` : ''}${version}/${o.kind}`);
    return mod[o.kind];
  } catch {
    return undefined;
  }
}

/** Schema problems of one object ("no schema" for a kind neither known nor declared custom). */
export function schemaProblems(o: Obj): string[] {
  const id = `${o.apiVersion}/${o.kind}/${o.metadata?.name}`;
  if (!o.apiVersion || !o.kind || !o.metadata?.name) return [`${id}: apiVersion, kind and metadata.name are required`];
  const Model = modelOf(o);
  if (!Model) return CUSTOM_KINDS.has(`${o.apiVersion}/${o.kind}`) ? [] : [`${id}: no schema for this apiVersion/kind`];
  try {
    new Model(o).validate();
    return [];
  } catch (e) {
    return [`${id}: ${(e as Error).message}`];
  }
}

const WORKLOADS = new Set(['Deployment', 'StatefulSet', 'DaemonSet']);
const find = (objs: Obj[], kind: string, name: string) => {
  const o = objs.find((x) => x.kind === kind && x.metadata?.name === name);
  if (!o) throw new Error(`missing ${kind}/${name}`);
  return o;
};
const containerOf = (w: Obj) => w.spec.template.spec.containers[0] as Obj;
const envOf = (c: Obj) => Object.fromEntries((c.env as Obj[]).map((e) => [e.name, e.value ?? e.valueFrom]));

/** Problems with one workload: selectors, resources, images, probes on declared ports. */
function workloadProblems(w: Obj): string[] {
  const id = `${w.kind}/${w.metadata?.name}`;
  const problems: string[] = [];
  const selector: Obj = w.spec?.selector?.matchLabels ?? {};
  const labels: Obj = w.spec?.template?.metadata?.labels ?? {};
  if (Object.keys(selector).length === 0) problems.push(`${id}: empty selector`);
  for (const [k, v] of Object.entries(selector)) if (labels[k] !== v) problems.push(`${id}: selector ${k}=${v} not in template labels`);
  const spec = w.spec?.template?.spec ?? {};
  if (!spec.securityContext && !(spec.containers ?? []).every((c: Obj) => c.securityContext)) problems.push(`${id}: no security context`);
  for (const c of [...(spec.containers ?? []), ...(spec.initContainers ?? [])] as Obj[]) {
    const r = c.resources ?? {};
    if (!r.requests?.cpu || !r.requests?.memory) problems.push(`${id}/${c.name}: missing cpu/memory requests`);
    if (!r.limits?.memory) problems.push(`${id}/${c.name}: missing memory limit`);
    if (!/^[a-z0-9./-]+:[\w.-]+$/.test(c.image ?? '')) problems.push(`${id}/${c.name}: image ${c.image} is not name:tag`);
    if (c.securityContext?.allowPrivilegeEscalation !== false) problems.push(`${id}/${c.name}: allowPrivilegeEscalation is not false`);
  }
  for (const c of (spec.containers ?? []) as Obj[]) {
    const ports = new Set(((c.ports ?? []) as Obj[]).flatMap((p) => [p.name, p.containerPort]));
    for (const kind of ['readinessProbe', 'livenessProbe']) {
      if (!c[kind]) problems.push(`${id}/${c.name}: no ${kind}`);
      const port = c[kind]?.httpGet?.port;
      if (port !== undefined && !ports.has(port)) problems.push(`${id}/${c.name}: ${kind} port ${port} not declared`);
    }
  }
  return problems;
}

/** Services select a workload's pods and target a declared port; PDBs select some workload. */
function wiringProblems(objs: Obj[]): string[] {
  const workloads = objs.filter((o) => WORKLOADS.has(o.kind));
  const selects = (sel: Obj) => workloads.find((w) => Object.entries(sel ?? {}).every(([k, v]) => w.spec.template.metadata.labels?.[k] === v));
  const services = objs
    .filter((o) => o.kind === 'Service')
    .flatMap((svc) => {
      const match = selects(svc.spec.selector);
      if (!match) return [`Service/${svc.metadata.name}: selects no workload`];
      const ports = new Set(containerOf(match).ports?.flatMap((p: Obj) => [p.name, p.containerPort]) ?? []);
      return (svc.spec.ports as Obj[]).filter((p) => !ports.has(p.targetPort ?? p.port)).map((p) => `Service/${svc.metadata.name}: targetPort ${p.targetPort} not on ${match.metadata.name}`);
    });
  const pdbs = objs.filter((o) => o.kind === 'PodDisruptionBudget' && !selects(o.spec.selector.matchLabels)).map((o) => `PodDisruptionBudget/${o.metadata.name}: selects no workload`);
  return [...services, ...pdbs];
}

const renderings = allRenderings();
const byName = Object.fromEntries(renderings);
const base = byName['base']!;
const dev = byName['overlays/dev']!;
const prod = byName['overlays/prod']!;
const natsConf = (objs: Obj[]) => String(find(objs, 'ConfigMap', 'nats-config').data['nats.conf']);
const kubectl = findKubectl();

describe('deploy/k8s manifests', () => {
  it('every YAML file parses, and every resource, component and patch a kustomization names exists', () => {
    const files = yamlFiles(K8S_ROOT);
    expect(files.length).toBeGreaterThanOrEqual(25);
    for (const file of files.filter((f) => f.endsWith('kustomization.yaml'))) {
      const k = loadDocs(file)[0]!;
      expect({ file, kind: k.kind }).toEqual({ file, kind: file.includes('/components/') ? 'Component' : 'Kustomization' });
      for (const entry of [...(k.resources ?? []), ...(k.components ?? []), ...(k.patches ?? []).map((p: Obj) => p.path)]) {
        const path = join(dirname(file), entry);
        const ok = existsSync(path) && (statSync(path).isFile() || existsSync(join(path, 'kustomization.yaml')));
        expect({ file, entry, ok }).toEqual({ file, entry, ok: true });
      }
    }
    expect(renderRoots()).toEqual(['base', 'overlays/dev', 'overlays/prod']);
  });

  it(`renders the same objects as kubectl kustomize (${kubectl ?? 'kubectl not installed: the built-in renderer alone'})`, () => {
    for (const root of renderRoots()) {
      const ours = renderDir(join(K8S_ROOT, root)).sort((a, b) => idOf(a).localeCompare(idOf(b)));
      expect(ours.length).toBeGreaterThan(8);
      if (!kubectl) continue;
      const theirs = kubectlRender(kubectl, join(K8S_ROOT, root)).sort((a, b) => idOf(a).localeCompare(idOf(b)));
      expect({ root, objects: ours }).toEqual({ root, objects: theirs });
    }
  });

  it.each(renderings)('%s: every object is valid against the Kubernetes schemas', (_, objs) => {
    expect(objs.flatMap(schemaProblems)).toEqual([]);
    expect(new Set(objs.map(idOf)).size).toBe(objs.length);
    expect(objs.filter((o) => o.kind !== 'Namespace' && o.metadata.namespace !== 'shoal').map(idOf)).toEqual([]);
  });

  it.each(renderings)('%s: workloads have selectors, resources, security contexts, probes; Services and PDBs are wired', (_, objs) => {
    expect([...objs.filter((o) => WORKLOADS.has(o.kind)).flatMap(workloadProblems), ...wiringProblems(objs)]).toEqual([]);
  });

  it('the checks reject a broken manifest: wrong field types, a missing field, an unknown kind, bad wiring', () => {
    const dep = structuredClone(find(prod, 'Deployment', 'coordinator'));
    expect(schemaProblems(dep)).toEqual([]);
    dep.spec.replicas = 'one';
    containerOf(dep).ports[0].containerPort = '8080';
    containerOf(dep).resources.limits.memory = 'lots';
    const problems = schemaProblems(dep).join('\n');
    expect(problems).toMatch(/spec\/replicas must be integer/);
    expect(problems).toMatch(/containerPort must be integer/);
    expect(problems).toMatch(/limits\/memory must match format "quantity"/);
    const svc = structuredClone(find(prod, 'Service', 'nats'));
    delete svc.spec.ports[0].port;
    expect(schemaProblems(svc)).toEqual([expect.stringMatching(/spec\/ports\/0 must have required property port/)]);
    expect(schemaProblems({ apiVersion: 'apps/v1', kind: 'Deploymnt', metadata: { name: 'x' } })).toEqual(['apps/v1/Deploymnt/x: no schema for this apiVersion/kind']);

    const broken = structuredClone(find(base, 'Deployment', 'coordinator'));
    broken.spec.selector.matchLabels = { 'app.kubernetes.io/name': 'coordinatr' };
    delete containerOf(broken).resources.limits;
    delete containerOf(broken).readinessProbe;
    containerOf(broken).livenessProbe.httpGet.port = 'metrics';
    expect(workloadProblems(broken)).toEqual([
      'Deployment/coordinator: selector app.kubernetes.io/name=coordinatr not in template labels',
      'Deployment/coordinator/coordinator: missing memory limit',
      'Deployment/coordinator/coordinator: no readinessProbe',
      'Deployment/coordinator/coordinator: livenessProbe port metrics not declared',
    ]);
    const ghost = { kind: 'Service', metadata: { name: 'ghost' }, spec: { selector: { app: 'ghost' }, ports: [{ port: 1 }] } };
    expect(wiringProblems([...base, ghost])).toEqual(['Service/ghost: selects no workload']);
  });

  it('NATS: 3 JetStream servers (>= 2.10.23) with file storage, sync_interval always, routes over the headless Service, a PDB', () => {
    for (const objs of [base, prod]) {
      const sts = find(objs, 'StatefulSet', 'nats');
      expect(sts.spec.replicas).toBe(3);
      expect(find(objs, 'Service', sts.spec.serviceName).spec.clusterIP).toBe('None');
      expect(sts.spec.volumeClaimTemplates[0].metadata.name).toBe('data');
      expect(containerOf(sts).volumeMounts).toEqual(expect.arrayContaining([{ name: 'data', mountPath: '/data' }]));
      const conf = natsConf(objs);
      expect(conf).toMatch(/jetstream \{[^}]*store_dir: \/data\/jetstream[^}]*sync_interval: always[^}]*\}/);
      const routes = [...conf.matchAll(/nats:\/\/(nats-\d)\.([a-z-]+):6222/g)];
      expect(routes.map((m) => m[1])).toEqual(['nats-0', 'nats-1', 'nats-2']);
      expect(find(objs, 'PodDisruptionBudget', 'nats').spec.maxUnavailable).toBe(1);
      const [major, minor, patch] = containerOf(sts).image.split(':')[1].split(/[.-]/).map(Number) as [number, number, number];
      expect(major * 1e6 + minor * 1e3 + patch).toBeGreaterThanOrEqual(2_010_023);
    }
    expect(readFileSync(join(K8S_ROOT, 'base/nats-config.yaml'), 'utf8')).toMatch(/Jepsen/);
  });

  it.each(renderings.filter(([, objs]) => objs.some((o) => o.kind === 'ConfigMap' && o.metadata.name === 'nats-config')))(
    '%s: nats-server accepts the rendered nats.conf (with a generated auth.conf and certificate where it includes them)',
    (_, objs) => {
      const dir = mkdtempSync(join(tmpdir(), 'shoal-natsconf-'));
      try {
        // the local nats-server may be 2.9 (Debian 12), which does not know 2.10's sync_interval (checked above)
        const conf = natsConf(objs).replace(/^\s*sync_interval: always\s*$/m, '').replaceAll('/etc/nats/tls/', `${dir}/tls/`);
        if (conf.includes(`${dir}/tls/`)) {
          mkdirSync(join(dir, 'tls'));
          const subj = ['-subj', '/CN=nats', '-addext', 'subjectAltName=DNS:nats'];
          execFileSync('openssl', ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-days', '1', ...subj, '-keyout', join(dir, 'tls/tls.key'), '-out', join(dir, 'tls/tls.crt')], { stdio: 'ignore' });
          writeFileSync(join(dir, 'tls/ca.crt'), readFileSync(join(dir, 'tls/tls.crt')));
        }
        const key = newUserKeys().publicKey;
        writeFileSync(join(dir, 'auth.conf'), renderNatsAuthorization([{ publicKey: key, permissions: { publish: ['shoal.>'], subscribe: ['shoal.>'], allowResponses: false } }]));
        writeFileSync(join(dir, 'nats.conf'), conf);
        const r = spawnSync(locateNatsServer(), ['-t', '-c', join(dir, 'nats.conf')], { env: { ...process.env, POD_NAME: 'nats-0' }, encoding: 'utf8', timeout: 30_000 });
        expect({ status: r.status, out: `${r.stdout}${r.stderr}`.trim() }).toEqual({ status: 0, out: `nats-server: configuration file ${join(dir, 'nats.conf')} is valid` });
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    },
  );

  it('coordinator: one non-root replica on 8080 with /healthz probes and NATS_URL, its own ServiceAccount', () => {
    const dep = find(base, 'Deployment', 'coordinator');
    expect(dep.spec).toMatchObject({ replicas: 1, strategy: { type: 'Recreate' } });
    expect(dep.spec.template.spec).toMatchObject({ serviceAccountName: 'coordinator', securityContext: { runAsNonRoot: true, runAsUser: 10001 } });
    find(base, 'ServiceAccount', 'coordinator');
    const c = containerOf(dep);
    expect(c.image).toBe('shoal/coordinator:0.1.0');
    expect(c.readinessProbe.httpGet.path).toBe('/healthz');
    expect(c.securityContext).toMatchObject({ allowPrivilegeEscalation: false, readOnlyRootFilesystem: true });
    expect(envOf(c)).toMatchObject({ NATS_URL: 'nats://nats:4222', HOST: '0.0.0.0', PORT: '8080', SHOAL_NATS_REPLICAS: '3', SHOAL_INSECURE: '1' });
  });

  it('node-agent DaemonSet: per-node id, host cgroup fs, agents under their own uids, /metrics probes', () => {
    const ds = find(base, 'DaemonSet', 'node-agent');
    const c = containerOf(ds);
    expect(envOf(c)).toMatchObject({ NATS_URL: 'nats://nats:4222', SHOAL_NODE_ID: { fieldRef: { fieldPath: 'spec.nodeName' } }, SHOAL_RUN_AS: 'shoal-agent', SHOAL_METRICS_PORT: '9464' });
    const cgroup = (ds.spec.template.spec.volumes as Obj[]).find((v) => v.hostPath?.path === '/sys/fs/cgroup');
    expect(c.volumeMounts).toEqual(expect.arrayContaining([{ name: cgroup!.name, mountPath: '/sys/fs/cgroup' }]));
    expect(c.securityContext.privileged).toBe(false);
    expect(c.securityContext.capabilities.add).toEqual(expect.arrayContaining(['SETUID', 'SETGID', 'SETPCAP', 'CHOWN']));
    expect(ds.spec.template.metadata.annotations['prometheus.io/port']).toBe('9464');
  });

  it('dev: one NATS server without a cluster block, R1, the scalable pool with the scaler RBAC, traces to the collector', () => {
    expect(find(dev, 'StatefulSet', 'nats').spec.replicas).toBe(1);
    expect(natsConf(dev)).not.toMatch(/cluster\s*\{/);
    expect(natsConf(dev)).toMatch(/sync_interval: always/);
    const coord = find(dev, 'Deployment', 'coordinator');
    expect(envOf(containerOf(coord))).toMatchObject({
      SHOAL_NATS_REPLICAS: '1',
      SHOAL_SCALE_ACTUATOR: 'kubernetes',
      SHOAL_SCALE_K8S_NAMESPACE: 'shoal',
      SHOAL_SCALE_K8S_DEPLOYMENT: 'node-agent-pool',
      OTEL_EXPORTER_OTLP_ENDPOINT: 'http://otel-collector:4318',
    });
    expect(coord.spec.template.spec.automountServiceAccountToken).toBe(true);
    const pool = find(dev, 'Deployment', 'node-agent-pool');
    expect(envOf(containerOf(pool)).SHOAL_NODE_ID).toEqual({ fieldRef: { fieldPath: 'metadata.name' } });
    expect(containerOf(pool).image).toBe('shoal/node-agent:0.1.0');
    const role = find(dev, 'Role', 'node-agent-pool-scaler');
    expect(role.rules).toEqual(
      expect.arrayContaining([
        { apiGroups: ['apps'], resources: ['deployments'], resourceNames: ['node-agent-pool'], verbs: ['get'] },
        { apiGroups: ['apps'], resources: ['deployments/scale'], resourceNames: ['node-agent-pool'], verbs: ['get', 'patch', 'update'] },
      ]),
    );
    const binding = find(dev, 'RoleBinding', 'coordinator-node-agent-pool-scaler');
    expect(binding.roleRef.name).toBe(role.metadata.name);
    expect(binding.subjects).toEqual([{ kind: 'ServiceAccount', name: coord.spec.template.spec.serviceAccountName, namespace: 'shoal' }]);
  });

  it('prod: security from the Secrets of `shoal up` (env names the apps read), TLS, NATS auth, node credentials', () => {
    const coord = find(prod, 'Deployment', 'coordinator');
    const env = envOf(containerOf(coord));
    expect(env).toMatchObject({ SHOAL_INSECURE: '0', SHOAL_SECURITY_DIR: '/var/lib/shoal/security', SHOAL_TLS_CERT: '/etc/shoal/tls/tls.crt', SHOAL_TLS_KEY: '/etc/shoal/tls/tls.key', SHOAL_NATS_CA_FILE: '/etc/shoal/tls/ca.crt' });
    const config = readFileSync('apps/coordinator/src/config.ts', 'utf8') + readFileSync('apps/node-agent/src/config.ts', 'utf8') + readFileSync('libs/runtime/src/telemetry.ts', 'utf8');
    const shoalVars = [coord, find(prod, 'DaemonSet', 'node-agent'), find(dev, 'Deployment', 'node-agent-pool')].flatMap((w) => (containerOf(w).env as Obj[]).map((e) => e.name as string));
    expect(shoalVars.filter((n) => /^(SHOAL_|OTEL_)/.test(n) && !config.includes(`'${n}'`) && !config.includes(`env.${n}`))).toEqual([]);
    expect(containerOf(coord).readinessProbe.httpGet.scheme).toBe('HTTPS');
    const secrets = (w: Obj) => (w.spec.template.spec.volumes as Obj[]).flatMap((v) => [v.secret?.secretName, ...(v.projected?.sources ?? []).map((s: Obj) => s.secret?.name)]).filter(Boolean);
    expect(secrets(coord).sort()).toEqual(['shoal-security', 'shoal-tls']);
    expect(secrets(find(prod, 'StatefulSet', 'nats')).sort()).toEqual(['shoal-nats-auth', 'shoal-tls']);
    expect(secrets(find(prod, 'DaemonSet', 'node-agent'))).toEqual(['shoal-node-credentials']);
    expect(natsConf(prod)).toMatch(/include auth\.conf/);
    expect(natsConf(prod)).toMatch(/tls \{[^}]*cert_file: \/etc\/nats\/tls\/tls\.crt/);
    const agentEnv = (containerOf(find(prod, 'DaemonSet', 'node-agent')).env as Obj[]).map((e) => e.name);
    expect(agentEnv.indexOf('K8S_NODE_NAME')).toBeLessThan(agentEnv.indexOf('SHOAL_CREDENTIALS'));
  });

  it('prod: only the coordinator and node-agents reach NATS; default deny; the API from the ingress namespace', () => {
    const policies = prod.filter((o) => o.kind === 'NetworkPolicy');
    expect(policies.find((p) => Object.keys(p.spec.podSelector).length === 0 && !p.spec.ingress)).toBeDefined();
    const nats = find(prod, 'NetworkPolicy', 'nats');
    const clients = nats.spec.ingress.find((r: Obj) => r.ports.some((p: Obj) => p.port === 4222));
    expect(clients.from.map((f: Obj) => f.podSelector.matchLabels)).toEqual([{ 'app.kubernetes.io/name': 'coordinator' }, { 'app.kubernetes.io/component': 'worker' }]);
    for (const w of prod.filter((o) => WORKLOADS.has(o.kind))) {
      const labels = w.spec.template.metadata.labels;
      const reaches = clients.from.some((f: Obj) => Object.entries(f.podSelector.matchLabels).every(([k, v]) => labels[k] === v));
      expect({ workload: w.metadata.name, reaches }).toEqual({ workload: w.metadata.name, reaches: ['coordinator', 'node-agent', 'node-agent-pool'].includes(w.metadata.name) });
    }
    const api = find(prod, 'NetworkPolicy', 'coordinator-api');
    expect(api.spec.ingress[0].from).toEqual(expect.arrayContaining([{ namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': 'ingress-nginx' } } }]));
  });
});
