import { type IncomingMessage, type ServerResponse, createServer } from 'node:http';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { freePort } from '@shoal/testing';

/** One request the fake API server answered. */
export interface KubeRequest {
  method: string;
  path: string;
  contentType?: string;
  authorization?: string;
  body?: unknown;
  status: number;
}

/** A fake Kubernetes API server speaking the scale subresource of Deployments. */
export interface FakeKubeApi {
  url: string;
  /** A kubeconfig pointing at it (bearer token `test-token`), written into the given directory. */
  kubeconfig: string;
  requests: KubeRequest[];
  /** Replicas of each Deployment, by `<namespace>/<name>` (absent: 404). */
  replicas: Map<string, number>;
  /** Answers the next `n` requests with this status (e.g. 500, 503) before behaving again. */
  failNext(status: number, n?: number): void;
  /** Right after the next read of `key`, someone else sets its replicas (a new resourceVersion). */
  changeAfterNextRead(key: string, replicas: number): void;
  close(): Promise<void>;
}

const SCALE = /^\/apis\/apps\/v1\/namespaces\/([^/]+)\/deployments\/([^/]+)\/scale$/;

/**
 * Starts an HTTP server answering GET, PATCH (merge-patch) and PUT of
 * `/apis/apps/v1/namespaces/{ns}/deployments/{name}/scale` as the API server does, with
 * resourceVersion checks (a stale one answers 409) and 415 for a content type it does not take.
 */
export async function startFakeKubeApi(dir: string, deployments: Record<string, number>): Promise<FakeKubeApi> {
  const replicas = new Map(Object.entries(deployments));
  const versions = new Map<string, number>();
  const requests: KubeRequest[] = [];
  let failing = { status: 0, left: 0 };
  let concurrent: { key: string; replicas: number } | undefined;
  const scaleOf = (key: string, ns: string, name: string) => ({
    kind: 'Scale',
    apiVersion: 'autoscaling/v1',
    metadata: { name, namespace: ns, resourceVersion: String(versions.get(key) ?? 1) },
    spec: { replicas: replicas.get(key) },
    status: { replicas: replicas.get(key), selector: `app.kubernetes.io/name=${name}` },
  });
  const handle = (req: IncomingMessage, raw: string, res: ServerResponse): number => {
    const send = (status: number, body: unknown) => {
      res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(body));
      return status;
    };
    const status = (code: number, message: string) => send(code, { kind: 'Status', apiVersion: 'v1', status: 'Failure', message, code });
    if (failing.left > 0) {
      failing.left--;
      return status(failing.status, 'injected failure');
    }
    if (req.headers.authorization !== 'Bearer test-token') return status(401, 'Unauthorized');
    const m = SCALE.exec(new URL(req.url!, 'http://x').pathname);
    if (!m) return status(404, `no route ${req.url}`);
    const key = `${m[1]}/${m[2]}`;
    if (!replicas.has(key)) return status(404, `deployments.apps "${m[2]}" not found`);
    if (req.method === 'GET') {
      const code = send(200, scaleOf(key, m[1]!, m[2]!));
      if (concurrent?.key === key) {
        replicas.set(key, concurrent.replicas);
        versions.set(key, (versions.get(key) ?? 1) + 1);
        concurrent = undefined;
      }
      return code;
    }
    const type = (req.headers['content-type'] ?? '').split(';')[0];
    const wanted = req.method === 'PATCH' ? 'application/merge-patch+json' : 'application/json';
    if (req.method !== 'PATCH' && req.method !== 'PUT') return status(405, `${req.method} not allowed`);
    if (type !== wanted) return status(415, `the body of ${req.method} must be ${wanted}, not ${type}`);
    const body = JSON.parse(raw) as { metadata?: { resourceVersion?: string }; spec?: { replicas?: number } };
    const rv = body.metadata?.resourceVersion;
    if (rv !== undefined && rv !== String(versions.get(key) ?? 1)) return status(409, 'Operation cannot be fulfilled: the object has been modified');
    const n = body.spec?.replicas;
    if (typeof n !== 'number' || !Number.isInteger(n) || n < 0) return status(422, 'spec.replicas must be a non-negative integer');
    replicas.set(key, n);
    versions.set(key, (versions.get(key) ?? 1) + 1);
    return send(200, scaleOf(key, m[1]!, m[2]!));
  };
  const server = createServer((req, res) => {
    let raw = '';
    req.setEncoding('utf8');
    req.on('data', (c: string) => (raw += c));
    req.on('end', () => {
      const code = handle(req, raw, res);
      let body: unknown;
      try {
        body = raw ? JSON.parse(raw) : undefined;
      } catch {
        body = raw;
      }
      requests.push({ method: req.method!, path: req.url!, contentType: req.headers['content-type'], authorization: req.headers.authorization, body, status: code });
    });
  });
  const port = await freePort();
  await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve));
  const url = `http://127.0.0.1:${port}`;
  const kubeconfig = join(dir, 'kubeconfig');
  writeFileSync(
    kubeconfig,
    [
      'apiVersion: v1',
      'kind: Config',
      'clusters:',
      `  - name: fake\n    cluster:\n      server: ${url}\n      insecure-skip-tls-verify: true`,
      'users:',
      '  - name: shoal\n    user:\n      token: test-token',
      'contexts:',
      '  - name: fake\n    context:\n      cluster: fake\n      user: shoal\n      namespace: shoal',
      'current-context: fake',
      '',
    ].join('\n'),
  );
  return {
    url,
    kubeconfig,
    requests,
    replicas,
    failNext: (s, n = 1) => {
      failing = { status: s, left: n };
    },
    changeAfterNextRead: (key, n) => {
      concurrent = { key, replicas: n };
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
