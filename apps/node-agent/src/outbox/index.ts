export { OutboxEntry, decodeEntry, encodeEntry, outboxFileName, reportMsgId, type ReportRef } from './outbox-entry.js';
export { OutboxStore, type OutboxScan, type StoredEntry } from './outbox-store.js';
export { OUTBOX_CAP, type OutboxCounters, type PutResult, ReportOutbox, type ReportOutboxDeps, SENT_KEEP_MS } from './report-outbox.js';
