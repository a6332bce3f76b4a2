import { randomUUID } from 'node:crypto';
import { execFile } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import type { NatsConnection } from '@nats-io/transport-node';
import type { RunView } from '@shoal/protocol';
import { type Disposables, type NetnsLink, type SpawnedProcess, freePort, spawnProcess, tempDir, waitFor } from '@shoal/testing';
import { type ApiTask, type Expectations, type Observation, type ReportedAttempt, TERMINAL_TASK_STATES, type Verdict, check, convergedAfter, describeVerdict, parseLedger } from './checker.js';
import { TEAM, alive } from './ledger-plan.js';
import { type SecureNatsCluster, startSecureNatsCluster } from './secure-nats-cluster.js';

const exec = promisify(execFile);
const ROOT = resolve(process.cwd());
const REQUEST_DEADLINE_MS = 10_000;

/** A node-agent of a chaos cluster. */
export interface ChaosAgentSpec {
  nodeId: string;
  /** Runs the node-agent inside this network namespace; it reaches NATS only through `servers`. */
  netns?: NetnsLink;
  /** NATS URLs in the node's credentials (default: every member). */
  servers?: (urls: string[]) => string[];
  env?: Record<string, string>;
}

/** Options of {@link startChaosCluster}. */
export interface ChaosOptions {
  agents: ChaosAgentSpec[];
  /** Coordinator replicas (default 2; `SHOAL_CHAOS_COORDINATORS` overrides, for harness work only). */
  coordinators?: number;
  /** Extra coordinator environment. */
  coordinatorEnv?: Record<string, string>;
  /** Client listen address of each NATS member. */
  natsHosts?: string[];
  /** The NATS URLs coordinators and the observer use (default: every member). */
  coordinatorServers?: (urls: string[]) => string[];
  /** Name used for log files. */
  name: string;
}

/** Three secured nats-servers, coordinator replicas and node-agents as real processes, plus a ledger. */
export interface ChaosCluster {
  bus: SecureNatsCluster;
  dir: string;
  ledgerPath: string;
  specs: ChaosAgentSpec[];
  agents: (SpawnedProcess | undefined)[];
  coordinators: (SpawnedProcess | undefined)[];
  apis: string[];
  /** Environment of coordinator `i` (to start it again, e.g. with a failpoint). */
  coordinatorEnv(i: number, extra?: Record<string, string>): Record<string, string>;
  startCoordinator(i: number, extra?: Record<string, string>): Promise<SpawnedProcess>;
  /** Starts node-agent `i` (again), with `env` added to its spec's environment. */
  startAgent(i: number, env?: Record<string, string>): Promise<SpawnedProcess>;
  /** kill -9 of node-agent `i` (its tasks keep running, as after a crash). */
  killAgent(i: number): Promise<void>;
  killCoordinator(i: number): Promise<void>;
  /** Index of the coordinator that says it leads (GET /healthz `leader`), or throws saying why not. */
  leader(): Promise<number>;
  /** A request with the admin token to the first coordinator that answers (in order `prefer`, then the others). */
  request(path: string, init?: RequestInit, prefer?: number): Promise<Response>;
  json<T>(path: string, init?: RequestInit): Promise<T>;
  submit(planText: string): Promise<RunView>;
  get(runId: string): Promise<RunView>;
  nodeStates(): Promise<Record<string, string>>;
  /** Everything the checker needs, for these runs. */
  observe(runIds: string[]): Promise<Observation>;
  /**
   * Polls after a fault ended (`healedAt`) until the observation holds twice in a row over at
   * least one pulse: returns the verdict and the times to consistency (I2-I4) and convergence (all).
   */
  settle(runIds: string[], exp: Expectations, healedAt: number, timeoutMs?: number): Promise<Settled>;
  /** Attempts heartbeats reported by node (fresh ones only). */
  reportedRunning(): ReportedAttempt[];
  /** The observer's own connection (coordinator identity). */
  observer: NatsConnection;
  /** Writes every process's log under test/chaos/logs/. */
  saveLogs(): void;
}

/** Result of {@link ChaosCluster.settle}. */
export interface Settled {
  verdict: Verdict;
  consistentMs?: number;
  convergedMs?: number;
}

function coordinatorCount(opts: ChaosOptions): number {
  const raw = process.env.SHOAL_CHAOS_COORDINATORS;
  return raw ? Number(raw) : (opts.coordinators ?? 2);
}

/** Starts the bus, the coordinators and the node-agents; everything is registered for disposal. */
export async function startChaosCluster(opts: ChaosOptions, disposables: Disposables): Promise<ChaosCluster> {
  const d = tempDir('shoal-chaos-');
  disposables.add(() => d.dispose());
  const dir = d.path;
  const ledgerPath = join(dir, 'ledger.jsonl');
  writeFileSync(ledgerPath, '');
  const bus = await startSecureNatsCluster(join(dir, 'control'), opts.agents.map((a) => a.nodeId), disposables, { clientHosts: opts.natsHosts });
  const n = coordinatorCount(opts);
  const ports: number[] = [];
  for (let i = 0; i < n; i++) ports.push(await freePort());
  const apis = ports.map((p) => `http://127.0.0.1:${p}`);
  const logs: { name: string; proc: () => SpawnedProcess | undefined; history: string[] }[] = [];
  /** What each settle() saw, sample by sample (written next to the logs). */
  const trace: string[] = [];
  const coordinators: (SpawnedProcess | undefined)[] = ports.map(() => undefined);
  const agents: (SpawnedProcess | undefined)[] = opts.agents.map(() => undefined);

  const controlUrls = opts.coordinatorServers ? opts.coordinatorServers(bus.urls) : bus.urls;
  const coordinatorEnv = (i: number, extra: Record<string, string> = {}) => ({
    ...bus.coordinatorEnv,
    NATS_URL: controlUrls.join(','),
    PORT: String(ports[i]),
    SHOAL_PUBLIC_URL: apis[i]!,
    SHOAL_HOST_CPU_HIGH: '100',
    SHOAL_RETRY_BASE_MS: '200',
    SHOAL_NATS_REPLICAS: '3',
    SHOAL_MEMORY_MIN_MB: '32',
    SHOAL_COORDINATOR_ID: `chaos-${i}`,
    ...opts.coordinatorEnv,
    ...extra,
  });
  const keepLog = (name: string, p: SpawnedProcess) => {
    const entry = logs.find((l) => l.name === name) ?? logs[logs.push({ name, proc: () => undefined, history: [] }) - 1]!;
    const prev = entry.proc();
    if (prev) entry.history.push(...prev.stdout, ...prev.stderr, `---- restarted ${new Date().toISOString()} ----`);
    entry.proc = () => p;
  };
  const startCoordinator = async (i: number, extra?: Record<string, string>) => {
    const p = spawnProcess([process.execPath, join(ROOT, 'apps/coordinator/dist/main.js')], { name: `coordinator-${i}`, env: { ...process.env, ...coordinatorEnv(i, extra) }, maxLines: 20_000 });
    coordinators[i] = p;
    keepLog(`coordinator-${i}`, p);
    await p.waitForLine(/listening on/, 60_000);
    return p;
  };
  const agentSpecs = opts.agents.map((a) => {
    const dataDir = join(dir, 'nodes', a.nodeId);
    mkdirSync(dataDir, { recursive: true });
    bus.writeCredentials(a.nodeId, dataDir, apis[0]!, a.servers ? a.servers(bus.urls) : bus.urls);
    return { ...a, dataDir, tmuxSocket: `chaos-${bus.ns}-${a.nodeId}` };
  });
  const startAgent = async (i: number, extraEnv: Record<string, string> = {}) => {
    const a = agentSpecs[i]!;
    const argv = [process.execPath, join(ROOT, 'apps/node-agent/dist/main.js')];
    const p = spawnProcess(a.netns ? a.netns.argv(argv) : argv, {
      name: `node-agent ${a.nodeId}`,
      maxLines: 20_000,
      env: {
        ...process.env,
        SHOAL_NS: bus.ns,
        SHOAL_NODE_ID: a.nodeId,
        SHOAL_TMUX_SOCKET: a.tmuxSocket,
        SHOAL_DATA_DIR: a.dataDir,
        SHOAL_PULSE_MS: '1000',
        SHOAL_LABELS: '',
        SHOAL_GOVERNOR_PREFIX: `shoal-chaos-${bus.ns}-${a.nodeId}`.slice(0, 63),
        SHOAL_CPU_BAND: 'off',
        SHOAL_WARM_POOL: '0',
        SHOAL_LEDGER_NODE: a.nodeId,
        ...a.env,
        ...extraEnv,
      },
    });
    agents[i] = p;
    keepLog(`agent-${a.nodeId}`, p);
    await p.waitForLine(/ready: governor/, 60_000);
    return p;
  };
  // stopped side by side (each may take its grace period)
  disposables.add(async () => {
    await Promise.all(coordinators.map((p) => p?.stop('SIGTERM', 15_000)));
  });
  disposables.add(async () => {
    await Promise.all(
      agentSpecs.map(async (a, i) => {
        await agents[i]?.stop('SIGTERM', 20_000);
        await exec('tmux', ['-L', a.tmuxSocket, 'kill-server']).catch(() => undefined);
        rmSync(join(process.env.TMUX_TMPDIR || '/tmp', `tmux-${process.getuid?.() ?? 0}`, a.tmuxSocket), { force: true });
      }),
    );
  });
  // the first coordinator creates the streams and buckets; the others join it
  await startCoordinator(0);
  await Promise.all([...Array(n).keys()].slice(1).map((i) => startCoordinator(i)));
  await Promise.all(agentSpecs.map((_, i) => startAgent(i)));

  const observer = await bus.connectAsCoordinator('chaos-observer', controlUrls);
  disposables.add(() => observer.close());
  const heartbeats = new Map<string, { at: number; running: { runId: string; taskId: string; attempt: number }[] }>();
  const sub = observer.subscribe(`${bus.ns}.hb.*`, {
    callback: (err, m) => {
      if (err) return;
      try {
        const hb = JSON.parse(new TextDecoder().decode(m.data)) as { nodeId: string; running: { runId: string; taskId: string; attempt: number }[] };
        heartbeats.set(hb.nodeId, { at: Date.now(), running: hb.running ?? [] });
      } catch {
        // not a heartbeat (the poison row publishes garbage here)
      }
    },
  });
  disposables.add(() => sub.unsubscribe());

  const request = async (path: string, init: RequestInit = {}, prefer = 0): Promise<Response> => {
    const order = [prefer, ...apis.keys()].filter((v, i, a) => a.indexOf(v) === i && coordinators[v] && coordinators[v]!.exitStatus() === undefined);
    let last: unknown = new Error('no coordinator is running');
    for (const i of order) {
      try {
        return await fetch(`${apis[i]}${path}`, {
          signal: AbortSignal.timeout(REQUEST_DEADLINE_MS),
          ...init,
          headers: { ...(init.headers as Record<string, string> | undefined), authorization: `Bearer ${bus.adminToken}` },
        });
      } catch (e) {
        last = e;
      }
    }
    throw last;
  };
  const json = async <T>(path: string, init?: RequestInit): Promise<T> => {
    const res = await request(path, init);
    const text = await res.text();
    if (!res.ok) throw new Error(`${init?.method ?? 'GET'} ${path}: ${res.status} ${text.slice(0, 500)}`);
    return JSON.parse(text) as T;
  };
  /**
   * `POST /runs` as a careful client does through a leader crash (a row's failpoint may kill the leader
   * while it answers): on a network error or a 503, the plan's run is looked for by its plan name
   * (every row's plan name is unique) before the plan is sent again, so a run is never submitted twice.
   */
  /** Submits the way `shoal run` does: one Idempotency-Key, the same on every retry of a 503 or a lost connection (a failover answers the run the first try started). */
  const submitOnce = async (planText: string): Promise<RunView> => {
    const key = randomUUID();
    const deadline = Date.now() + 60_000;
    for (;;) {
      const res = await request('/runs', { method: 'POST', body: planText, headers: { 'content-type': 'application/yaml', 'idempotency-key': key } }).catch((e: Error) => e);
      if (!(res instanceof Error) && res.status !== 503) {
        const text = await res.text();
        if (!res.ok) throw new Error(`POST /runs: ${res.status} ${text.slice(0, 500)}`);
        if (res.status === 200) trace.push(`POST /runs retried with key ${key}: answered the run its first try started`);
        return JSON.parse(text) as RunView;
      }
      const why = res instanceof Error ? res.message : `503 ${(await res.text()).slice(0, 300)}`;
      if (Date.now() > deadline) throw new Error(`POST /runs failed until the deadline: ${why}`);
      await new Promise((r) => setTimeout(r, 1000));
    }
  };
  const reportedRunning = (): ReportedAttempt[] => {
    const fresh = Date.now() - 3000;
    return [...heartbeats.entries()].filter(([, h]) => h.at >= fresh).flatMap(([nodeId, h]) => h.running.map((r) => ({ nodeId, runId: r.runId, taskId: r.taskId, attempt: r.attempt })));
  };
  const panes = async () => {
    const out: Observation['panes'] = [];
    for (const a of agentSpecs) {
      const text = await exec('tmux', ['-L', a.tmuxSocket, 'list-panes', '-a', '-F', '#{session_name}\t#{window_name}\t#{pane_dead}\t#{pane_pid}']).then((r) => r.stdout, () => '');
      for (const line of text.split('\n')) {
        const [session, window, dead, pid] = line.split('\t');
        if (session === `Task-${TEAM}` && dead === '0') out.push({ nodeId: a.nodeId, session, window: window!, pid: Number(pid) });
      }
    }
    return out;
  };
  const observe = async (runIds: string[]): Promise<Observation> => {
    const runs = await Promise.all(runIds.map((id) => json<RunView>(`/runs/${id}`)));
    const tasks: ApiTask[] = runs.flatMap((r) => r.tasks.map((t) => ({ runId: r.id, taskId: t.id, state: t.state, attempt: t.attempt, maxAttempts: t.maxAttempts, nodeId: t.nodeId })));
    const ids = new Set(runIds);
    const ledger = parseLedger(existsSync(ledgerPath) ? readFileSync(ledgerPath, 'utf8') : '').filter((e) => ids.has(e.run));
    const reported = reportedRunning().filter((r) => ids.has(r.runId));
    const alivePids = [...new Set(ledger.filter((e) => e.event === 'start').map((e) => e.pid))].filter(alive);
    return { ledger, tasks, reported, panes: await panes(), alivePids };
  };
  const cluster: ChaosCluster = {
    bus,
    dir,
    ledgerPath,
    specs: agentSpecs,
    agents,
    coordinators,
    apis,
    coordinatorEnv,
    startCoordinator,
    startAgent,
    killAgent: async (i) => void (await agents[i]?.stop('SIGKILL', 5000)),
    killCoordinator: async (i) => void (await coordinators[i]?.stop('SIGKILL', 5000)),
    leader: async () => {
      if (apis.length === 1) return 0;
      const answers: string[] = [];
      for (let i = 0; i < apis.length; i++) {
        if (!coordinators[i] || coordinators[i]!.exitStatus() !== undefined) continue;
        const body = (await fetch(`${apis[i]}/healthz`, { signal: AbortSignal.timeout(REQUEST_DEADLINE_MS) }).then((r) => r.json(), (e: Error) => ({ error: e.message }))) as Record<string, unknown>;
        answers.push(`coordinator-${i}: ${JSON.stringify(body)}`);
        if (body.role === 'leader') return i;
      }
      throw new Error(`no coordinator says it leads (GET /healthz role: leader): ${answers.join('; ')}`);
    },
    request,
    json,
    submit: (planText) => submitOnce(planText),
    get: (runId) => json<RunView>(`/runs/${runId}`),
    nodeStates: async () => Object.fromEntries((await json<{ id: string; state: string }[]>('/nodes')).map((x) => [x.id, x.state])),
    observe,
    settle: async (runIds, exp, healedAt, timeoutMs = 120_000) => {
      const consistent: { at: number; ok: boolean }[] = [];
      const converged: { at: number; ok: boolean }[] = [];
      let last: Verdict | undefined;
      let lastError = '';
      let stuckSince: number | undefined;
      const firstSeen = new Map<string, number>();
      const deadline = Date.now() + timeoutMs;
      const row = `settle ${runIds.join(',')} (fault ended ${new Date(healedAt).toISOString()})`;
      trace.push(row);
      while (Date.now() < deadline) {
        const at = Date.now();
        try {
          const obs = await observe(runIds);
          const v = check(obs, exp);
          last = v;
          // I3/I4 lag a heartbeat behind a state change: only a mismatch that lasts 2 s breaks consistency
          const current = new Set([...v.i3.problems, ...v.i4.problems]);
          for (const p of [...firstSeen.keys()]) if (!current.has(p)) firstSeen.delete(p);
          for (const p of current) if (!firstSeen.has(p)) firstSeen.set(p, at);
          const lasting = [...firstSeen.values()].some((t) => at - t >= 2000);
          consistent.push({ at, ok: v.i2.ok && !lasting });
          converged.push({ at, ok: v.ok });
          trace.push(`+${at - healedAt} ms ${v.ok ? 'ok' : describeVerdict(v)} | ${obs.tasks.map((t) => `${t.taskId}#${t.attempt}:${t.state}`).join(' ')}`);
          // converged: held on two samples at least a pulse (1 s) apart
          const since = convergedAfter(converged, healedAt);
          if (since !== undefined && converged.length >= 2 && converged.at(-2)!.ok && at - (healedAt + since) >= 1000) {
            return { verdict: v, consistentMs: convergedAfter(consistent, healedAt), convergedMs: since };
          }
          // every task terminal and still failing for 10 s: the ledger's facts will not change any more
          const allTerminal = obs.tasks.every((t) => (TERMINAL_TASK_STATES as readonly string[]).includes(t.state));
          stuckSince = allTerminal && !v.ok ? (stuckSince ?? at) : undefined;
          if (stuckSince !== undefined && at - stuckSince >= 10_000) break;
        } catch (e) {
          lastError = (e as Error).message;
          trace.push(`+${at - healedAt} ms observation failed: ${lastError}`);
          consistent.push({ at, ok: false });
          converged.push({ at, ok: false });
        }
        await new Promise((r) => setTimeout(r, 500));
      }
      const why = stuckSince !== undefined ? 'every run finished, but the invariants fail' : `did not converge within ${timeoutMs / 1000} s`;
      throw new Error(`${why}: ${last ? describeVerdict(last) : `no observation (${lastError})`}${lastError && last ? ` (last API error: ${lastError})` : ''}`);
    },
    reportedRunning,
    observer,
    saveLogs: () => {
      const out = join(ROOT, 'test', 'chaos', 'logs');
      mkdirSync(out, { recursive: true });
      for (const l of logs) {
        const p = l.proc();
        writeFileSync(join(out, `${opts.name}-${l.name}.log`), [...l.history, ...(p ? [...p.stdout, ...p.stderr] : [])].join('\n'));
      }
      bus.cluster.servers.forEach((s, i) => writeFileSync(join(out, `${opts.name}-nats-${i + 1}.log`), s.logs()));
      if (existsSync(ledgerPath)) writeFileSync(join(out, `${opts.name}-ledger.jsonl`), readFileSync(ledgerPath));
      writeFileSync(join(out, `${opts.name}-settle.log`), trace.join('\n'));
    },
  };
  disposables.add(() => cluster.saveLogs());
  await waitFor(
    async () => {
      const states = await cluster.nodeStates();
      return agentSpecs.every((a) => states[a.nodeId] === 'alive');
    },
    { timeoutMs: 60_000, what: 'every node-agent registered with the coordinator' },
  );
  return cluster;
}

/** Waits until a run has a task in `state` (optionally on a node matching `onNode`) and returns that task. */
export async function waitForTask(c: ChaosCluster, runId: string, pred: (t: RunView['tasks'][number]) => boolean, what: string, timeoutMs = 60_000): Promise<RunView['tasks'][number]> {
  return waitFor(
    async () => {
      const r = await c.get(runId);
      return r.tasks.find(pred);
    },
    { timeoutMs, intervalMs: 250, what },
  );
}

/** Throws with the verdict's problems unless it holds. */
export function assertVerdict(s: Settled): void {
  if (!s.verdict.ok) throw new Error(describeVerdict(s.verdict));
}
