/** A cleanup action; may be sync or async. */
export type DisposeFn = () => unknown | Promise<unknown>;

/**
 * A stack of cleanup actions. `disposeAll()` runs every action in reverse order of
 * registration, even when some fail, then throws an `AggregateError` of the failures.
 */
export class Disposables {
  private readonly stack: DisposeFn[] = [];

  /** Registers `fn` and returns it, so `const x = d.add(...)` reads naturally for disposers. */
  add<F extends DisposeFn>(fn: F): F {
    this.stack.push(fn);
    return fn;
  }

  /** Registers an object's `dispose()`/`stop()` and returns the object. */
  use<T extends { dispose(): unknown } | { stop(): unknown }>(resource: T): T {
    this.stack.push(() => ('dispose' in resource ? resource.dispose() : resource.stop()));
    return resource;
  }

  /** Number of pending actions. */
  get size(): number {
    return this.stack.length;
  }

  /** Runs all actions last-in first-out; the stack is empty afterwards. */
  async disposeAll(): Promise<void> {
    const errors: unknown[] = [];
    while (this.stack.length > 0) {
      const fn = this.stack.pop()!;
      try {
        await fn();
      } catch (err) {
        errors.push(err);
      }
    }
    if (errors.length > 0) {
      throw new AggregateError(errors, `${errors.length} cleanup action(s) failed`);
    }
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.disposeAll();
  }
}
