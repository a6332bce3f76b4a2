import { ApiError, api, followEvents } from './api.js';
import { Store } from './store.js';
import type { FleetStreamMessage, NodeRow, RunEvent, RunSummary } from './types.js';

/** How often node figures are polled (heartbeats come about every second). */
export const NODE_POLL_MS = 2500;
/** Samples kept per node for the charts (10 minutes at the poll interval). */
const HISTORY = 240;
/** Pause before a broken stream is opened again. */
const RECONNECT_MS = 2000;

/** The fleet's runs, kept live from `GET /events`. */
export interface FleetState {
  runs: RunSummary[];
  connected: boolean;
  error?: string;
}

/** One sample of a node: time (s, for uPlot), host CPU %, memory used MB. */
export interface NodeSample {
  t: number;
  cpu: number;
  mem: number;
}

export interface NodesState {
  nodes: NodeRow[];
  history: Record<string, NodeSample[]>;
  error?: string;
  loadedAt?: number;
}

export const fleet = new Store<FleetState>({ runs: [], connected: false });
export const nodes = new Store<NodesState>({ nodes: [], history: {} });

/** Applies one fleet event to the run list; a run not yet listed makes the list be fetched again. */
function applyFleetEvent(e: RunEvent): void {
  if (e.type !== 'run') return;
  const known = fleet.get().runs.some((r) => r.id === e.runId);
  if (!known) {
    void api<RunSummary[]>('/runs').then((runs) => fleet.update((f) => ({ ...f, runs })), () => undefined);
    return;
  }
  fleet.update((f) => ({
    ...f,
    runs: f.runs.map((r) => (r.id === e.runId ? { ...r, state: e.state, ...(['succeeded', 'failed', 'cancelled'].includes(e.state) ? { finishedAt: e.at } : {}) } : r)),
  }));
}

/** Follows `GET /events` until `signal` aborts, reconnecting after a break. */
async function followFleet(signal: AbortSignal): Promise<void> {
  while (!signal.aborted) {
    try {
      await followEvents(
        '/events',
        (e) => {
          const m = { event: e.event, data: JSON.parse(e.data) as unknown } as FleetStreamMessage;
          if (m.event === 'runs') fleet.update((f) => ({ ...f, runs: m.data, connected: true, error: undefined }));
          else applyFleetEvent(m.data);
        },
        signal,
      );
    } catch (err) {
      if (signal.aborted) return;
      fleet.update((f) => ({ ...f, connected: false, error: (err as Error).message }));
      if (err instanceof ApiError && err.status === 401) return;
    }
    fleet.update((f) => ({ ...f, connected: false }));
    await new Promise((r) => setTimeout(r, RECONNECT_MS));
  }
}

async function pollNodes(): Promise<void> {
  try {
    const rows = await api<NodeRow[]>('/nodes');
    const t = Date.now() / 1000;
    nodes.update((s) => {
      const history: Record<string, NodeSample[]> = {};
      for (const n of rows) history[n.id] = [...(s.history[n.id] ?? []), { t, cpu: n.host.cpuPercent, mem: n.host.memUsedMb }].slice(-HISTORY);
      return { nodes: rows, history, loadedAt: Date.now() };
    });
  } catch (err) {
    nodes.update((s) => ({ ...s, error: (err as Error).message }));
  }
}

/** Starts the fleet stream and the node poll; returns the function that stops both. */
export function startLiveData(): () => void {
  const abort = new AbortController();
  void followFleet(abort.signal);
  void pollNodes();
  const timer = setInterval(() => void pollNodes(), NODE_POLL_MS);
  return () => {
    abort.abort();
    clearInterval(timer);
  };
}
