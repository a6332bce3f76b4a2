import { JetStreamApiError } from '@nats-io/jetstream';

/** The error NATS throws on a revision conflict. */
export const conflict = () => new JetStreamApiError({ code: 400, err_code: 10071, description: 'wrong last sequence: 7' });
/** The error of a try that timed out. */
export const timeout = () => Object.assign(new Error('TIMEOUT'), { name: 'TimeoutError' });

/** An in-memory runs bucket with CAS semantics and scripted failures. */
export class FakeRunsBucket {
  docs = new Map<string, { text: string; revision: number }>();
  seq = 0;
  /** Failures thrown by the next writes, in order; `landed` ones are stored before throwing (an ambiguous timeout). */
  script: Array<{ error: () => Error; landed?: boolean }> = [];
  writes = 0;
  delayMs = 0;
  /** Runs before the next write is checked: another write the store commits first. */
  beforeNextWrite?: () => void;
  /** Documents the next reads return instead of the stored one (a replica that lags). */
  staleReads: Array<{ text: string; revision: number }> = [];

  async casRun(key: string, text: string, revision: number | undefined): Promise<number> {
    this.writes += 1;
    if (this.delayMs) await new Promise((r) => setTimeout(r, this.delayMs));
    const before = this.beforeNextWrite;
    this.beforeNextWrite = undefined;
    before?.();
    const next = this.script.shift();
    const cur = this.docs.get(key);
    if (next && !next.landed) throw next.error();
    if ((revision === undefined && cur) || (revision !== undefined && cur?.revision !== revision)) throw conflict();
    this.docs.set(key, { text, revision: ++this.seq });
    if (next) throw next.error();
    return this.seq;
  }
  async getRunText(key: string) {
    return this.staleReads.shift() ?? this.docs.get(key);
  }
  /** Page writes: never scripted (the scripts target the head), counted in `pageWrites`. */
  pageWrites = 0;
  async putRunText(key: string, text: string): Promise<number> {
    this.pageWrites += 1;
    this.docs.set(key, { text, revision: ++this.seq });
    return this.seq;
  }
  async purgeRun(key: string): Promise<void> {
    this.docs.delete(key);
  }
  async putRun(key: string, value: unknown): Promise<number> {
    this.docs.set(key, { text: JSON.stringify(value), revision: ++this.seq });
    return this.seq;
  }
}
