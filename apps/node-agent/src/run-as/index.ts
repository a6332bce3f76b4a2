export { AgentIdentity, RunAs, type RunAsOptions, prepareDataDir } from './run-as.js';
export { type AgentUser, passwdUsersInRange, resolveAgentUser } from './agent-user.js';
export { type AgentCredentials, privilegeDropArgv, withPrivilegeDrop } from './privilege-drop.js';
export { type ProcOwner, parseProcOwner, processesByUid } from './proc-uids.js';
export { DEFAULT_AGENT_UIDS, UidPool, type UidRange, inRange, parseUidRange } from './uid-pool.js';
