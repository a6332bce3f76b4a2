/**
 * `@shoal/testing`: real-process test harness (nats-server, tmux sockets, temp dirs,
 * spawned apps) with deterministic cleanup. Used by integration and e2e tests only.
 */
export { HarnessError, isHarnessError, type HarnessErrorCode } from './errors.js';
export { waitFor, type WaitForOptions } from './wait-for.js';
export { tempDir, type TempDir } from './temp-dir.js';
export { freePort } from './free-port.js';
export { Disposables, type DisposeFn } from './disposables.js';
export {
  spawnProcess,
  type SpawnProcessOptions,
  type SpawnedProcess,
  type ProcessExit,
  type LineStream,
} from './spawn-process.js';
export { findBinary, locateNatsServer, locateTmux } from './binaries.js';
export { isDockerAvailable } from './docker.js';
export {
  startNats,
  type StartNatsOptions,
  type NatsServerHandle,
  type NatsServerKind,
  type NatsConnectOptions,
} from './nats-server.js';
export { startNatsCluster, type StartNatsClusterOptions, type NatsClusterHandle } from './nats-cluster.js';
export { startNatsLeafPair, type StartNatsLeafPairOptions, type NatsLeafPair, type HubPorts, type LeafPorts } from './nats-leaf.js';
export { tmuxSocket, isNoTmuxServerError, type TmuxSocket } from './tmux-socket.js';
export { createNetnsLink, netnsUnsupportedReason, type NetnsLink } from './netns.js';
