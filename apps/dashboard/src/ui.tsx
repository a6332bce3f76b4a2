import type { ComponentChildren } from 'preact';
import { useState } from 'preact/hooks';
import { Store, useStore } from './store.js';

/** `1h 02m`, `3m 04s`, `5.2s` for a duration in ms. */
export function formatDuration(ms: number | undefined): string {
  if (ms === undefined || !Number.isFinite(ms)) return '–';
  ms = Math.max(0, ms);
  if (ms < 10_000) return `${(ms / 1000).toFixed(1)}s`;
  const s = Math.round(ms / 1000);
  if (s < 60) return `${s}s`;
  if (s < 3600) return `${Math.floor(s / 60)}m ${String(s % 60).padStart(2, '0')}s`;
  return `${Math.floor(s / 3600)}h ${String(Math.floor((s % 3600) / 60)).padStart(2, '0')}m`;
}

/** `12s ago` for a timestamp. */
export function ago(at: number | undefined, now = Date.now()): string {
  return at === undefined ? '–' : `${formatDuration(Math.max(0, now - at))} ago`;
}

export function clock(at: number | undefined): string {
  return at === undefined ? '–' : new Date(at).toLocaleTimeString();
}

export function percent(x: number | undefined): string {
  return x === undefined ? '–' : `${(x * 100).toFixed(1)}%`;
}

/** A state name as a coloured pill (`data-state` lets tests and CSS find it). */
export function StateBadge({ state, title }: { state: string; title?: string }) {
  return (
    <span class={`badge state-${state}`} data-state={state} title={title}>
      {state}
    </span>
  );
}

/** Messages shown briefly at the bottom right (action results, errors). */
export const toasts = new Store<{ id: number; text: string; error: boolean }[]>([]);
let toastId = 0;

export function toast(text: string, error = false): void {
  const id = ++toastId;
  toasts.update((t) => [...t, { id, text, error }]);
  setTimeout(() => toasts.update((t) => t.filter((x) => x.id !== id)), error ? 8000 : 4000);
}

export function Toasts() {
  const list = useStore(toasts);
  return (
    <div class="toasts" role="status">
      {list.map((t) => (
        <div key={t.id} class={t.error ? 'toast error' : 'toast'}>
          {t.text}
        </div>
      ))}
    </div>
  );
}

/**
 * A button that runs an API action: disabled while it runs, asks first when `confirm` is set,
 * reports the outcome as a toast.
 */
export function ActionButton(props: { label: string; action: () => Promise<unknown>; confirm?: string; danger?: boolean; done?: string; testId?: string; disabled?: boolean }) {
  const [busy, setBusy] = useState(false);
  const click = async () => {
    if (props.confirm && !window.confirm(props.confirm)) return;
    setBusy(true);
    try {
      await props.action();
      toast(props.done ?? `${props.label}: done`);
    } catch (err) {
      toast(`${props.label} failed: ${(err as Error).message}`, true);
    } finally {
      setBusy(false);
    }
  };
  return (
    <button type="button" class={props.danger ? 'danger' : ''} disabled={busy || props.disabled} data-testid={props.testId} onClick={() => void click()}>
      {busy ? `${props.label}…` : props.label}
    </button>
  );
}

export function Panel({ title, children, actions, id }: { title: ComponentChildren; children: ComponentChildren; actions?: ComponentChildren; id?: string }) {
  return (
    <section class="panel" id={id}>
      <header>
        <h2>{title}</h2>
        {actions ? <div class="actions">{actions}</div> : null}
      </header>
      {children}
    </section>
  );
}

export function ErrorNote({ error }: { error?: string }) {
  return error ? <p class="error-note">{error}</p> : null;
}
