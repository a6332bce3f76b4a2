import { AuthenticationError, ConflictError, NotFoundError, PermissionError, type ShoalError, TimeoutError, TransportError, ValidationError } from '@shoal/protocol';
import type { ScaleActuator, ScaleRequest, ScaleResult } from './actuator.js';

/** Where the node-agent Deployment is and how to reach the API server. */
export interface KubernetesScalerOptions {
  namespace: string;
  deployment: string;
  /** A kubeconfig file; default: `KUBECONFIG`, `~/.kube/config`, then the in-cluster service account. */
  kubeconfigPath?: string;
  /** Deadline of one API request. Default 10 s. */
  requestTimeoutMs?: number;
}

/** The subset of AppsV1Api the scaler uses (the scale subresource of a Deployment). */
interface ScaleApi {
  readNamespacedDeploymentScale(p: { name: string; namespace: string }): Promise<{ metadata?: { resourceVersion?: string }; spec?: { replicas?: number } }>;
  patchNamespacedDeploymentScale(p: { name: string; namespace: string; body: unknown }, options?: unknown): Promise<{ spec?: { replicas?: number } }>;
}

/**
 * Sets the replicas of the node-agent Deployment through its scale subresource
 * (`apps/v1 .../deployments/{name}/scale`): reads it, and when the decision asks for more (up) or
 * fewer (down) than it has, merge-patches `spec.replicas` with the resourceVersion it read (a
 * concurrent change answers 409 and is retried on the next decision). @kubernetes/client-node is
 * loaded on first use, so a coordinator without this actuator never loads it.
 */
export class KubernetesScaler implements ScaleActuator {
  readonly kind = 'kubernetes' as const;
  private api?: Promise<{ api: ScaleApi; patchOptions: unknown }>;
  private readonly timeoutMs: number;

  constructor(private readonly o: KubernetesScalerOptions) {
    this.timeoutMs = o.requestTimeoutMs ?? 10_000;
  }

  async apply(req: ScaleRequest): Promise<ScaleResult> {
    const { api, patchOptions } = await this.client();
    const ref = { name: this.o.deployment, namespace: this.o.namespace };
    const where = `deployment ${this.o.namespace}/${this.o.deployment}`;
    const scale = await this.call(`read the scale of ${where}`, () => api.readNamespacedDeploymentScale(ref));
    const before = scale.spec?.replicas ?? 0;
    if (before === req.target || (req.direction === 'up' && before > req.target) || (req.direction === 'down' && before < req.target)) {
      return { outcome: 'unchanged', before, detail: `${where} has ${before} replica(s); the decision asks ${req.direction} to ${req.target}` };
    }
    const body = { metadata: { resourceVersion: scale.metadata?.resourceVersion }, spec: { replicas: req.target } };
    const after = await this.call(`patch the replicas of ${where}`, () => api.patchNamespacedDeploymentScale({ ...ref, body }, patchOptions));
    return { outcome: 'applied', before, detail: `${where}: replicas ${before} -> ${after.spec?.replicas ?? req.target}` };
  }

  private client(): Promise<{ api: ScaleApi; patchOptions: unknown }> {
    this.api ??= import('@kubernetes/client-node').then((k8s) => {
      const kc = new k8s.KubeConfig();
      try {
        if (this.o.kubeconfigPath) kc.loadFromFile(this.o.kubeconfigPath);
        else kc.loadFromDefault();
      } catch (e) {
        throw new ValidationError([{ path: 'kubeconfig', message: `could not load the Kubernetes configuration: ${(e as Error).message}` }], { cause: e });
      }
      const api = kc.makeApiClient(k8s.AppsV1Api) as unknown as ScaleApi;
      return { api, patchOptions: k8s.setHeaderOptions('Content-Type', k8s.PatchStrategy.MergePatch) };
    });
    const p = this.api;
    p.catch(() => {
      if (this.api === p) this.api = undefined; // a bad kubeconfig is read again on the next attempt
    });
    return p;
  }

  /** One API request with a deadline; its failure becomes the ShoalError that says what went wrong. */
  private async call<T>(what: string, fn: () => Promise<T>): Promise<T> {
    let timer: NodeJS.Timeout | undefined;
    const deadline = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new TimeoutError(`could not ${what}: no answer within ${this.timeoutMs} ms`)), this.timeoutMs);
    });
    try {
      return await Promise.race([fn(), deadline]);
    } catch (e) {
      throw e instanceof TimeoutError ? e : apiError(what, e);
    } finally {
      clearTimeout(timer);
    }
  }
}

/** Maps an API failure (an ApiException with the HTTP status, or a network error) to a ShoalError. */
export function apiError(what: string, e: unknown): ShoalError {
  const status = typeof (e as { code?: unknown }).code === 'number' ? (e as { code: number }).code : undefined;
  const body = (e as { body?: unknown }).body;
  const said = typeof body === 'string' ? (tryJson(body)?.message ?? body) : ((body as { message?: string } | undefined)?.message ?? (e as Error).message);
  const msg = `could not ${what}: ${status !== undefined ? `HTTP ${status}: ` : ''}${String(said).slice(0, 500)}`;
  if (status === 401) return new AuthenticationError(msg, { cause: e });
  if (status === 403) return new PermissionError(msg, { cause: e });
  if (status === 404) return new NotFoundError(msg, { cause: e });
  if (status === 409) return new ConflictError(msg, { cause: e });
  return new TransportError(msg, { cause: e });
}

function tryJson(s: string): { message?: string } | undefined {
  try {
    return JSON.parse(s) as { message?: string };
  } catch {
    return undefined;
  }
}
