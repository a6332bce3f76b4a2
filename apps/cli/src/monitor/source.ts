import type { FleetStreamMessage, RunEvent, RunStreamMessage } from '@shoal/protocol';
import { type ApiClient, ApiError } from '../api-client.js';
import type { MonitorData } from './frame.js';

/** How many recent events the monitor keeps. */
const EVENTS_KEPT = 200;
/** Per-run streams opened at most when the fleet stream is missing. */
const MAX_RUN_STREAMS = 20;

type Stream = { close(): void };

/**
 * What `shoal monitor` shows, read from the API: nodes (`GET /nodes`, with each running agent's
 * state from the heartbeats), runs (`GET /runs`), the queue (`GET /scaling`), and recent events
 * from the fleet stream `GET /events` (or, on a coordinator without it, each active run's
 * `GET /runs/:id/events`).
 */
export class MonitorSource {
  private data: MonitorData;
  private fleet?: Stream;
  /** `opening` while connecting; `missing` when the coordinator has no fleet stream (404). */
  private fleetState: 'closed' | 'opening' | 'open' | 'missing' = 'closed';
  private readonly runStreams = new Map<string, Stream | 'opening'>();
  private closed = false;

  constructor(
    private readonly api: ApiClient,
    private readonly now: () => number = Date.now,
  ) {
    this.data = { api: api.base, at: now(), nodes: [], runs: [], events: [] };
  }

  /** The data as of the last refresh, with the events received since. */
  get current(): MonitorData {
    return { ...this.data, events: [...this.data.events], streaming: this.fleetState === 'open' || [...this.runStreams.values()].some((s) => s !== 'opening') };
  }

  /** Reads nodes, runs and queue once; a failure keeps the previous data and says why. */
  async refresh(): Promise<MonitorData> {
    try {
      const [nodes, runs, scaling] = await Promise.all([
        this.api.nodes(),
        this.api.runs(),
        this.api.scaling().catch(() => undefined),
      ]);
      this.data = { ...this.data, at: this.now(), nodes, runs, queue: scaling?.queue, error: undefined };
    } catch (e) {
      this.data = { ...this.data, at: this.now(), error: (e as Error).message.slice(0, 200) };
    }
    return this.current;
  }

  /** Opens (or reopens) the event streams; `onEvent` is called on each event. */
  follow(onEvent: () => void): void {
    if (this.closed) return;
    if (this.fleetState === 'closed') void this.openFleet(onEvent);
    if (this.fleetState === 'missing') {
      const active = this.data.runs.filter((r) => r.state === 'pending' || r.state === 'running' || r.state === 'awaiting-operator').slice(0, MAX_RUN_STREAMS);
      for (const r of active) if (!this.runStreams.has(r.id)) void this.openRun(r.id, onEvent);
    }
  }

  /** Closes every stream. */
  close(): void {
    this.closed = true;
    this.fleet?.close();
    for (const s of this.runStreams.values()) if (s !== 'opening') s.close();
    this.runStreams.clear();
  }

  private push(e: RunEvent, onEvent: () => void): void {
    if (e.type === 'output') return;
    this.data.events.push(e);
    if (this.data.events.length > EVENTS_KEPT) this.data.events.splice(0, this.data.events.length - EVENTS_KEPT);
    onEvent();
  }

  private async openFleet(onEvent: () => void): Promise<void> {
    this.fleetState = 'opening';
    try {
      const s = await this.api.stream<FleetStreamMessage>('/events');
      this.fleet = s;
      this.fleetState = 'open';
      if (this.closed) return s.close();
      onEvent();
      for await (const m of s.events) if (m.event !== 'runs') this.push(m.data, onEvent);
      this.fleetState = 'closed';
    } catch (e) {
      this.fleetState = e instanceof ApiError && e.status === 404 ? 'missing' : 'closed';
    } finally {
      this.fleet = undefined;
    }
  }

  private async openRun(runId: string, onEvent: () => void): Promise<void> {
    this.runStreams.set(runId, 'opening');
    try {
      const s = await this.api.stream<RunStreamMessage>(`/runs/${encodeURIComponent(runId)}/events`);
      this.runStreams.set(runId, s);
      if (this.closed) return s.close();
      for await (const m of s.events) if (m.event !== 'snapshot') this.push(m.data, onEvent);
    } catch {
      /* reopened on a later refresh while the run is active */
    } finally {
      this.runStreams.delete(runId);
    }
  }
}
