import { Injectable } from '@nestjs/common';
import type { RunEvent } from '@shoal/protocol';

type Listener = (e: RunEvent) => void;

/** In-process fan-out of run events to live followers (SSE). */
@Injectable()
export class EventBus {
  private readonly listeners = new Map<string, Set<Listener>>();
  private readonly everyRun = new Set<Listener>();

  /** Subscribes to one run's events; returns the unsubscribe function. */
  on(runId: string, listener: Listener): () => void {
    let set = this.listeners.get(runId);
    if (!set) this.listeners.set(runId, (set = new Set()));
    set.add(listener);
    return () => {
      set.delete(listener);
      if (set.size === 0) this.listeners.delete(runId);
    };
  }

  /** Subscribes to the events of every run (the dashboard's fleet stream); returns the unsubscribe function. */
  onAny(listener: Listener): () => void {
    this.everyRun.add(listener);
    return () => this.everyRun.delete(listener);
  }

  emit(e: RunEvent): void {
    for (const l of this.listeners.get(e.runId) ?? []) l(e);
    for (const l of this.everyRun) l(e);
  }
}
