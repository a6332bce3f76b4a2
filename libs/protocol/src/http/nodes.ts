import type { NodeState } from '../lifecycle.js';
import type { Heartbeat } from '../messages.js';

/** `GET /nodes`: each node's latest heartbeat with the coordinator's judgement of it. */
export type NodeRow = Heartbeat & {
  id: string;
  state: NodeState;
  /** Coordinator clock time the last heartbeat arrived. */
  lastHeartbeatAt: number;
};

/** Emergency actions of `POST /nodes/:id/<action>` (`stop-all` also as `POST /emergency/stop-all`). */
export const NODE_ACTIONS = ['stop-all', 'reset', 'emergency-cleanup'] as const;
export type NodeActionName = (typeof NODE_ACTIONS)[number];

/** One node's answer to an emergency action. */
export interface NodeActionReply {
  nodeId: string;
  ok: boolean;
  message: string;
  /** How many tasks, windows or groups the action touched. */
  affected?: number;
}

/** `POST /emergency/stop-all`: one answer per node not lost; `ok` when every node said ok. */
export interface StopEverywhereReply {
  ok: boolean;
  nodes: NodeActionReply[];
}

/** `DELETE /nodes/:id` (admin): the node's credentials are revoked and its unfinished tasks re-placed. */
export interface NodeRemovedReply {
  ok: true;
  removed: string;
}
