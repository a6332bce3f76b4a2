/** Windows started ahead of time, waiting in their resource group for a task. See {@link WarmPool}. */
export { WarmPool, WARM_SESSION, type WarmPoolDeps, type WarmStart } from './warm-pool.js';
export { encodeWarmSpec, warmArgv, WARM_SCRIPT, WARM_NAME, WARM_FAILED_STATUS, type WarmSpec } from './warm-spec.js';
