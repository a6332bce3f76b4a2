import { mkdir, open, readFile, readdir, rename, rm, stat, truncate } from 'node:fs/promises';
import { join } from 'node:path';
import { type OutboxEntry, decodeEntry, encodeEntry } from './outbox-entry.js';

/** A report file found on disk at start. */
export interface StoredEntry {
  name: string;
  entry: OutboxEntry;
}

/** What {@link OutboxStore.scan} found. */
export interface OutboxScan {
  /** Reports not yet acknowledged by JetStream, in no particular order. */
  pending: StoredEntry[];
  /** Names of reports JetStream acknowledged (tombstones kept for a while). */
  sent: Set<string>;
  /** Files that could not be read or decoded; already moved to `quarantine/`. */
  quarantined: { name: string; error: string }[];
}

/**
 * The outbox on disk, `<dataDir>/outbox/` (0700): one file per pending report (0600), written to a
 * temporary file, fsynced, renamed into place and the directory fsynced, so that a crash or power
 * loss leaves either no report or the whole report. An acknowledged report moves to `sent/` (a
 * tombstone by name, so that a second path reporting the same attempt and kind later is recognised
 * and not sent again; a start is emptied, an end keeps its content so the node can tell its result
 * again); an unreadable file moves to `quarantine/`.
 */
export class OutboxStore {
  readonly sentDir: string;
  readonly quarantineDir: string;

  constructor(readonly dir: string) {
    this.sentDir = join(dir, 'sent');
    this.quarantineDir = join(dir, 'quarantine');
  }

  /** Creates the directories (idempotent). */
  async init(): Promise<void> {
    for (const d of [this.dir, this.sentDir, this.quarantineDir]) await mkdir(d, { recursive: true, mode: 0o700 });
  }

  /** Writes a pending report durably (replacing a file of the same name). */
  async write(name: string, entry: OutboxEntry): Promise<void> {
    const path = join(this.dir, name);
    const tmp = join(this.dir, `.${name}.${process.pid}.tmp`);
    // the directories went away (removed by hand): made again
    const fh = await open(tmp, 'w', 0o600).catch(async (e: NodeJS.ErrnoException) => {
      if (e.code !== 'ENOENT') throw e;
      await this.init();
      return open(tmp, 'w', 0o600);
    });
    try {
      await fh.writeFile(encodeEntry(entry));
      await fh.sync();
    } finally {
      await fh.close();
    }
    await rename(tmp, path);
    await syncDir(this.dir);
  }

  /** Reads a pending report; an error names why it is unusable. */
  async read(name: string): Promise<{ ok: true; value: OutboxEntry } | { ok: false; error: string }> {
    let text: string;
    try {
      text = await readFile(join(this.dir, name), 'utf8');
    } catch (e) {
      return { ok: false, error: `unreadable: ${(e as Error).message}` };
    }
    return decodeEntry(text);
  }

  /**
   * After JetStream's ack: the pending file moves to `sent/`. With `keep` (an attempt's end) it keeps
   * its content, so the node can tell that result again ({@link readSent}); otherwise it becomes an
   * empty tombstone.
   */
  async markSent(name: string, keep = false): Promise<void> {
    const to = join(this.sentDir, name);
    await rename(join(this.dir, name), to);
    if (!keep) await truncate(to, 0).catch(() => undefined);
  }

  /** A delivered report kept in `sent/`; undefined when absent, emptied or unreadable. */
  async readSent(name: string): Promise<OutboxEntry | undefined> {
    const text = await readFile(join(this.sentDir, name), 'utf8').catch(() => '');
    if (!text) return undefined;
    const d = decodeEntry(text);
    return d.ok ? d.value : undefined;
  }

  /** Moves an unusable file aside (`quarantine/<name>.<now>`), never deleting what an operator may want to read. */
  async quarantine(name: string, now: number): Promise<void> {
    await rename(join(this.dir, name), join(this.quarantineDir, `${name}.${now}`)).catch(async () => {
      await rm(join(this.dir, name), { force: true });
    });
  }

  /**
   * Reads the outbox at start: pending reports (a file whose tombstone exists was delivered and is
   * removed), tombstones, and unreadable files (moved to `quarantine/`). Leftover temporary files
   * of a write cut short are removed: their report was never handed over as durable.
   */
  async scan(now: number): Promise<OutboxScan> {
    const sent = new Set(await list(this.sentDir));
    const pending: StoredEntry[] = [];
    const quarantined: { name: string; error: string }[] = [];
    for (const name of await list(this.dir)) {
      if (name.endsWith('.tmp')) {
        await rm(join(this.dir, name), { force: true });
        continue;
      }
      if (!name.endsWith('.json')) continue;
      if (sent.has(name)) {
        await rm(join(this.dir, name), { force: true });
        continue;
      }
      const d = await this.read(name);
      if (d.ok) pending.push({ name, entry: d.value });
      else {
        quarantined.push({ name, error: d.error });
        await this.quarantine(name, now);
      }
    }
    return { pending, sent, quarantined };
  }

  /** Removes tombstones older than `maxAgeMs`; returns their names. */
  async pruneSent(now: number, maxAgeMs: number): Promise<string[]> {
    const removed: string[] = [];
    for (const name of await list(this.sentDir)) {
      const path = join(this.sentDir, name);
      const s = await stat(path).catch(() => undefined);
      if (!s || now - s.mtimeMs <= maxAgeMs) continue;
      await rm(path, { force: true });
      removed.push(name);
    }
    return removed;
  }

  /** Files in `quarantine/`. */
  async quarantinedCount(): Promise<number> {
    return (await list(this.quarantineDir)).length;
  }
}

async function list(dir: string): Promise<string[]> {
  try {
    return (await readdir(dir, { withFileTypes: true })).filter((d) => d.isFile()).map((d) => d.name);
  } catch {
    return [];
  }
}

/** Makes a rename in `dir` durable. */
async function syncDir(dir: string): Promise<void> {
  const fh = await open(dir, 'r');
  try {
    await fh.sync();
  } finally {
    await fh.close();
  }
}
