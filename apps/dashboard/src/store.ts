import { useEffect, useState } from 'preact/hooks';

/** A value that changes over time and tells its listeners (the dashboard's shared live data). */
export class Store<T> {
  private readonly listeners = new Set<(v: T) => void>();

  constructor(private value: T) {}

  get(): T {
    return this.value;
  }

  set(value: T): void {
    this.value = value;
    for (const l of this.listeners) l(value);
  }

  update(f: (v: T) => T): void {
    this.set(f(this.value));
  }

  subscribe(listener: (v: T) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }
}

/** The store's current value; re-renders the component on every change. */
export function useStore<T>(store: Store<T>): T {
  const [value, setValue] = useState(store.get());
  useEffect(() => {
    setValue(store.get());
    return store.subscribe(setValue);
  }, [store]);
  return value;
}

/** Calls `f` now and every `ms` while the component is mounted (and `deps` unchanged). */
export function useInterval(f: () => void, ms: number, deps: unknown[] = []): void {
  useEffect(() => {
    f();
    const t = setInterval(f, ms);
    return () => clearInterval(t);
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, deps);
}
