import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync, readdirSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { parseAllDocuments } from 'yaml';

/**
 * Renders deploy/k8s without kubectl, for CI machines that have none: the subset of kustomize
 * these manifests use (resources, components, strategic-merge patches by file, namespace, labels
 * with includeTemplates, images). Where kubectl is installed, k8s-manifests.test.ts checks that
 * this renders exactly what `kubectl kustomize` renders.
 */

/** A rendered Kubernetes object. */
export type Obj = Record<string, any>;

/** deploy/k8s of this checkout. */
export const K8S_ROOT = resolve(process.cwd(), 'deploy/k8s');

/** Every `*.yaml` under a directory. */
export function yamlFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) return yamlFiles(path);
    return /\.ya?ml$/.test(name) ? [path] : [];
  });
}

/** The documents of a YAML file; throws naming the file on a syntax error. */
export function loadDocs(file: string): Obj[] {
  const docs = parseAllDocuments(readFileSync(file, 'utf8'));
  for (const doc of docs) {
    if (doc.errors.length) throw new Error(`${file}: ${doc.errors.map((e) => e.message).join('; ')}`);
  }
  return docs.map((d) => d.toJS() as Obj).filter((d) => d !== null);
}

const isObj = (v: unknown): v is Obj => !!v && typeof v === 'object' && !Array.isArray(v);

/**
 * A strategic merge patch as kustomize applies these files: maps merge, `null` deletes, lists whose
 * patch items all have a `name` merge by name (the patch's items first, in its order, then the rest
 * of the base's), other lists are replaced.
 */
export function mergePatch(base: any, patch: any): any {
  if (Array.isArray(base) && Array.isArray(patch)) {
    if (!patch.every((p) => isObj(p) && typeof p.name === 'string')) return patch;
    const patched = patch.map((p) => {
      const b = base.find((x) => x?.name === p.name);
      return b === undefined ? p : mergePatch(b, p);
    });
    return [...patched, ...base.filter((b) => !patch.some((p) => p.name === b?.name))];
  }
  if (isObj(base) && isObj(patch)) {
    const out: Obj = { ...base };
    for (const [k, v] of Object.entries(patch)) {
      if (v === null) delete out[k];
      else out[k] = k in base ? mergePatch(base[k], v) : stripNulls(v);
    }
    return out;
  }
  return stripNulls(patch);
}

function stripNulls(v: any): any {
  if (Array.isArray(v)) return v.map(stripNulls);
  if (isObj(v)) return Object.fromEntries(Object.entries(v).filter(([, x]) => x !== null).map(([k, x]) => [k, stripNulls(x)]));
  return v;
}

const WORKLOADS = new Set(['Deployment', 'StatefulSet', 'DaemonSet', 'ReplicaSet', 'Job']);
const CLUSTER_SCOPED = new Set(['Namespace', 'ClusterRole', 'ClusterRoleBinding', 'CustomResourceDefinition', 'PersistentVolume', 'StorageClass']);

function podSpecs(o: Obj): Obj[] {
  if (WORKLOADS.has(o.kind)) return o.spec?.template?.spec ? [o.spec.template.spec] : [];
  if (o.kind === 'CronJob') return o.spec?.jobTemplate?.spec?.template?.spec ? [o.spec.jobTemplate.spec.template.spec] : [];
  if (o.kind === 'Pod') return [o.spec];
  return [];
}

/** A kustomization's (or component's) own transformers, on the objects accumulated so far. */
function transform(k: Obj, objs: Obj[]): Obj[] {
  let out = objs;
  if (k.namespace) {
    out = out.map((o) => {
      if (CLUSTER_SCOPED.has(o.kind)) return o;
      const next = { ...o, metadata: { ...o.metadata, namespace: k.namespace } };
      if (o.kind === 'RoleBinding' || o.kind === 'ClusterRoleBinding') {
        next.subjects = (o.subjects ?? []).map((s: Obj) => (s.kind === 'ServiceAccount' ? { ...s, namespace: k.namespace } : s));
      }
      return next;
    });
  }
  for (const { pairs, includeTemplates } of (k.labels ?? []) as Obj[]) {
    out = out.map((o) => {
      const next = structuredClone(o);
      next.metadata.labels = { ...next.metadata.labels, ...pairs };
      if (includeTemplates && WORKLOADS.has(o.kind) && next.spec?.template) {
        next.spec.template.metadata = { ...next.spec.template.metadata, labels: { ...next.spec.template.metadata?.labels, ...pairs } };
        for (const claim of (next.spec.volumeClaimTemplates ?? []) as Obj[]) claim.metadata = { ...claim.metadata, labels: { ...claim.metadata?.labels, ...pairs } };
      }
      return next;
    });
  }
  for (const img of (k.images ?? []) as Obj[]) {
    out = out.map((o) => {
      const next = structuredClone(o);
      for (const spec of podSpecs(next)) {
        for (const c of [...(spec.containers ?? []), ...(spec.initContainers ?? [])] as Obj[]) {
          const [name, tag] = String(c.image).split(/:(?=[^/:]+$)/);
          if (name !== img.name) continue;
          c.image = `${img.newName ?? name}:${img.newTag ?? tag}`;
        }
      }
      return next;
    });
  }
  return out;
}

/** Renders a kustomization or component directory on top of `objs` (empty for a kustomization). */
export function renderDir(dir: string, objs: Obj[] = []): Obj[] {
  const k = loadDocs(join(dir, 'kustomization.yaml'))[0]!;
  let out = [...objs];
  for (const r of (k.resources ?? []) as string[]) {
    const path = join(dir, r);
    out.push(...(statSync(path).isDirectory() ? renderDir(path) : loadDocs(path)));
  }
  for (const c of (k.components ?? []) as string[]) out = renderDir(join(dir, c), out);
  for (const { path } of (k.patches ?? []) as Obj[]) {
    for (const patch of loadDocs(join(dir, path))) {
      const i = out.findIndex((o) => o.kind === patch.kind && o.metadata?.name === patch.metadata?.name);
      if (i < 0) throw new Error(`${dir}: patch ${path} targets missing ${patch.kind}/${patch.metadata?.name}`);
      out[i] = mergePatch(out[i], patch);
    }
  }
  return transform(k, out);
}

/** `kind/namespace/name`: how renderings are compared. */
export const idOf = (o: Obj) => `${o.kind}/${o.metadata?.namespace ?? ''}/${o.metadata?.name}`;

/** The kubectl whose kustomize can render these manifests (>= v5), if one is installed. */
export function findKubectl(): string | undefined {
  for (const bin of [process.env.KUBECTL, 'kubectl', '/usr/bin/kubectl', '/usr/local/bin/kubectl'].filter(Boolean) as string[]) {
    try {
      const v = execFileSync(bin, ['version', '--client'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'], timeout: 20_000 });
      const major = Number(/Kustomize Version: v(\d+)/.exec(v)?.[1] ?? 0);
      if (major >= 5) return bin;
    } catch {
      // not this one
    }
  }
  return undefined;
}

/** `kubectl kustomize <dir>` parsed. */
export function kubectlRender(kubectl: string, dir: string): Obj[] {
  const text = execFileSync(kubectl, ['kustomize', dir], { encoding: 'utf8', timeout: 60_000, maxBuffer: 32 << 20 });
  return parseAllDocuments(text).map((d) => d.toJS() as Obj).filter((d) => d !== null);
}

/** The directories that render a deployment: base and each overlay. */
export function renderRoots(): string[] {
  const overlays = join(K8S_ROOT, 'overlays');
  return ['base', ...readdirSync(overlays).filter((d) => existsSync(join(overlays, d, 'kustomization.yaml'))).map((d) => `overlays/${d}`)];
}

/** Components no overlay includes (e.g. components/keda): rendered on base + node-pool + common by the tests. */
export function unusedComponents(): string[] {
  const used = new Set(
    renderRoots().flatMap((r) => ((loadDocs(join(K8S_ROOT, r, 'kustomization.yaml'))[0]!.components ?? []) as string[]).map((c) => resolve(K8S_ROOT, r, c))),
  );
  const dir = join(K8S_ROOT, 'components');
  return readdirSync(dir)
    .map((c) => join(dir, c))
    .filter((c) => existsSync(join(c, 'kustomization.yaml')) && !used.has(c))
    .map((c) => c.slice(K8S_ROOT.length + 1));
}

/** Every rendering the tests check: each root, plus each unused component on base + node-pool + common. */
export function allRenderings(): Array<[string, Obj[]]> {
  const roots = renderRoots().map((r): [string, Obj[]] => [r, renderDir(join(K8S_ROOT, r))]);
  const extra = unusedComponents().map((c): [string, Obj[]] => {
    let objs = renderDir(join(K8S_ROOT, 'base'));
    for (const comp of new Set(['components/node-pool', c, 'components/common'])) objs = renderDir(join(K8S_ROOT, comp), objs);
    return [`base+${c}`, objs];
  });
  return [...roots, ...extra];
}
