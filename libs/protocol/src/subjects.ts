import type { z } from 'zod';
import { ControlReply, ControlRequest, Heartbeat, RunSubmitted, ScaleDecided, TaskCheckin, TaskDispatched, TaskOutput, TaskStatus } from './messages.js';

/**
 * Names of every subject, stream, consumer and bucket, derived from one namespace so that
 * several Shoal installations (or tests) can share a NATS server without crossing.
 */
export interface Topology {
  readonly ns: string;
  work(nodeId: string): string;
  status(nodeId: string): string;
  heartbeat(nodeId: string): string;
  control(nodeId: string): string;
  /** Output batches of one task, published by the node that runs it. */
  output(nodeId: string, runId: string, taskId: string): string;
  /** Every output subject one node may publish on. */
  nodeOutput(nodeId: string): string;
  events(runId: string): string;
  /** Auto-scaling decisions of the coordinator. */
  readonly scale: string;
  /** Check-in replies of one task (core NATS, not persisted), published by the node that runs it. */
  checkin(nodeId: string, runId: string, taskId: string): string;
  /** Every check-in subject one node may publish on. */
  nodeCheckins(nodeId: string): string;
  readonly allCheckins: string;
  readonly allWork: string;
  readonly allStatus: string;
  readonly allHeartbeats: string;
  readonly allOutput: string;
  readonly workStream: string;
  readonly statusStream: string;
  readonly runsBucket: string;
  readonly nodesBucket: string;
  readonly cacheBucket: string;
  /** Coordinator leader lease (one key, see LeaderLease). */
  readonly leaderBucket: string;
  nodeConsumer(nodeId: string): string;
  readonly coordinatorConsumer: string;
  /** JetStream advisories of work messages a node consumer gave up on (max deliveries reached). */
  readonly workMaxDeliveries: string;
  /** Stream that keeps those advisories until the coordinator has failed the attempt. */
  readonly undeliverableStream: string;
}

/** Builds the topology for a namespace (default `shoal`). */
export function topology(ns = 'shoal'): Topology {
  if (!/^[a-z][a-z0-9-]{0,30}$/.test(ns)) throw new Error(`namespace "${ns}" must match ^[a-z][a-z0-9-]{0,30}$`);
  const up = ns.toUpperCase().replace(/-/g, '_');
  const low = ns.replace(/-/g, '_');
  return {
    ns,
    work: (nodeId) => `${ns}.work.${nodeId}`,
    status: (nodeId) => `${ns}.status.${nodeId}`,
    heartbeat: (nodeId) => `${ns}.hb.${nodeId}`,
    control: (nodeId) => `${ns}.ctl.${nodeId}`,
    output: (nodeId, runId, taskId) => `${ns}.out.${nodeId}.${runId}.${taskId}`,
    nodeOutput: (nodeId) => `${ns}.out.${nodeId}.>`,
    events: (runId) => `${ns}.evt.${runId}`,
    scale: `${ns}.scale`,
    checkin: (nodeId, runId, taskId) => `${ns}.chk.${nodeId}.${runId}.${taskId}`,
    nodeCheckins: (nodeId) => `${ns}.chk.${nodeId}.>`,
    allCheckins: `${ns}.chk.>`,
    allWork: `${ns}.work.>`,
    allStatus: `${ns}.status.>`,
    allHeartbeats: `${ns}.hb.*`,
    allOutput: `${ns}.out.>`,
    workStream: `${up}_WORK`,
    statusStream: `${up}_STATUS`,
    runsBucket: `${low}_runs`,
    nodesBucket: `${low}_nodes`,
    cacheBucket: `${low}_cache`,
    leaderBucket: `${low}_leader`,
    nodeConsumer: (nodeId) => `node-${nodeId}`,
    coordinatorConsumer: 'coordinator',
    workMaxDeliveries: `$JS.EVENT.ADVISORY.CONSUMER.MAX_DELIVERIES.${up}_WORK.*`,
    undeliverableStream: `${up}_UNDELIVERABLE`,
  };
}

/** Which payload travels on which kind of subject: the single map every edge decodes with. */
export const SUBJECT_SCHEMAS = {
  work: TaskDispatched,
  status: TaskStatus,
  heartbeat: Heartbeat,
  control: ControlRequest,
  controlReply: ControlReply,
  output: TaskOutput,
  events: RunSubmitted,
  scale: ScaleDecided,
  checkin: TaskCheckin,
} as const satisfies Record<string, z.ZodType>;

/** A subject kind. */
export type SubjectKind = keyof typeof SUBJECT_SCHEMAS;
/** The payload type carried by a subject kind. */
export type PayloadOf<K extends SubjectKind> = z.infer<(typeof SUBJECT_SCHEMAS)[K]>;
