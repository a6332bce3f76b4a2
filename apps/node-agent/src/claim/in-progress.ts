/** What {@link keepWorking} needs of a JetStream message. */
export interface WorkingMsg {
  /** Tells the server the message is being worked on (`+WPI`): its AckWait starts over. */
  working(): void;
}

/** Timer functions (injected in tests). */
export interface IntervalTimers {
  setInterval(fn: () => void, ms: number): unknown;
  clearInterval(handle: unknown): void;
}

const realTimers: IntervalTimers = {
  setInterval: (fn, ms) => {
    const t = setInterval(fn, ms);
    t.unref();
    return t;
  },
  clearInterval: (h) => clearInterval(h as NodeJS.Timeout),
};

/**
 * Sends in-progress acks for `msg` every `everyMs` until the returned function is called (once
 * the message is acked or nak'ed), so that a slow start (worktree, warm pool, run-as) is not
 * redelivered by JetStream after its AckWait. Use a third of the consumer's AckWait.
 */
export function keepWorking(msg: WorkingMsg, everyMs: number, timers: IntervalTimers = realTimers): () => void {
  const handle = timers.setInterval(() => {
    try {
      msg.working();
    } catch {
      /* the connection is closing: the message will be redelivered, and its claim stops a second start */
    }
  }, Math.max(100, everyMs));
  let stopped = false;
  return () => {
    if (stopped) return;
    stopped = true;
    timers.clearInterval(handle);
  };
}
