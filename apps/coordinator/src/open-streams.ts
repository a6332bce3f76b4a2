import { TransportError } from '@shoal/protocol';

/**
 * The event streams (`text/event-stream`) a controller holds open. At shutdown they are all ended,
 * and a stream asked for afterwards is refused (503): a browser's EventSource reconnects at once
 * when its stream ends, and a stream opened after the ending would hold the HTTP server's close
 * until the coordinator is killed.
 */
export class OpenStreams {
  private readonly ends = new Set<() => void>();
  private closing = false;

  /** Throws (503, retry later) once shutting down; call before answering a stream request. */
  assertOpen(): void {
    if (this.closing) throw new TransportError('the coordinator is shutting down: no new event streams');
  }

  /** Registers how to end a stream; returns its removal (for a stream that ended by itself). */
  add(end: () => void): () => void {
    this.ends.add(end);
    return () => void this.ends.delete(end);
  }

  /** Ends every open stream and refuses new ones. */
  endAll(): void {
    this.closing = true;
    for (const end of [...this.ends]) end();
  }
}
