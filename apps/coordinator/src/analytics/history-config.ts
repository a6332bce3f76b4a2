import { DEFAULT_HISTORY_RETENTION_MS, WINDOW_FORM, parseWindow } from '@shoal/protocol';
import { int } from '../config.js';

/** What the analytics history reads from the coordinator's environment. */
export interface HistoryConfig {
  /** `SHOAL_HISTORY_RETENTION` (e.g. `30d`, the default): how long JetStream keeps history records. */
  retentionMs: number;
  /** `SHOAL_HISTORY_SAMPLE_MS` (default 30 s): one utilisation sample per node this often. */
  sampleMs: number;
  /** `SHOAL_HISTORY_BUFFER` (default 10,000): records waiting to be published; beyond, the oldest are dropped and counted. */
  bufferLimit: number;
}

/** Reads the history settings; throws with the variable's name when one is malformed. */
export function loadHistoryConfig(env: NodeJS.ProcessEnv = process.env): HistoryConfig {
  const raw = env.SHOAL_HISTORY_RETENTION;
  const retentionMs = raw === undefined || raw === '' ? DEFAULT_HISTORY_RETENTION_MS : parseWindow(raw);
  if (retentionMs === undefined) throw new Error(`SHOAL_HISTORY_RETENTION=${raw}: must be ${WINDOW_FORM}`);
  return {
    retentionMs,
    sampleMs: int(env, 'SHOAL_HISTORY_SAMPLE_MS', 30_000, 1000, 3_600_000),
    bufferLimit: int(env, 'SHOAL_HISTORY_BUFFER', 10_000, 10, 1_000_000),
  };
}
