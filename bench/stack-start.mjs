// A coordinator and one node-agent on a fresh local NATS, for the benchmarks that go through the whole stack.
import { join } from 'node:path';
import { startNats } from '../libs/testing/dist/index.js';
import { freePort, json, killTmux, rand, removeCgroups, sleep, startChild } from './lib.mjs';
import { startNodeAgent } from './node-agent-start.mjs';

const ROOT = new URL('..', import.meta.url).pathname;

/**
 * Starts NATS, a coordinator and one node-agent (`maxTasks` task slots, capacity otherwise
 * unbounded, CPU band off: it would refuse starts, by design, while a bench's bursts keep the host
 * busy) under `dir`; everything is registered with `cleanup`. Resolves once the node is alive.
 * The bus is private loopback: no tokens or nkeys (nkey authentication is one signature per
 * connection; subject permissions are checked by the server per publish).
 */
export async function startStack({ maxTasks, nodeId, dir }, cleanup) {
  const nats = await startNats({ mode: 'local' });
  cleanup.add(() => nats.stop());
  const ns = `b${rand()}`;
  const port = await freePort();
  const coordinator = startChild([process.execPath, join(ROOT, 'apps/coordinator/dist/main.js')], {
    name: 'coordinator',
    env: { ...process.env, NATS_URL: nats.url, SHOAL_NS: ns, PORT: String(port), SHOAL_HOST_CPU_HIGH: '100', OTEL_SDK_DISABLED: 'true', SHOAL_INSECURE: '1' },
  });
  cleanup.add(() => coordinator.stop());
  await coordinator.waitForLine(/listening on/, 60_000);
  const socket = `shoal-bench-${rand()}`;
  const prefix = `shoal-bench-${rand()}`;
  cleanup.add(() => removeCgroups(prefix));
  cleanup.add(() => killTmux(socket));
  const agent = await startNodeAgent({
    nats,
    ns,
    nodeId,
    dataDir: join(dir, 'node'),
    tmuxSocket: socket,
    governor: 'auto',
    prefix,
    env: { SHOAL_MAX_TASKS: String(maxTasks), SHOAL_CPU_CAPACITY: '100000', SHOAL_MEMORY_CAPACITY_MB: '10000000', SHOAL_PULSE_MS: '2500', SHOAL_CPU_BAND: 'off' },
  });
  cleanup.add(() => agent.stop());
  const api = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + 30_000;
  while (!(await json(api, '/nodes')).some((n) => n.id === nodeId && n.state === 'alive')) {
    if (Date.now() > deadline) throw new Error('node-agent did not register with the coordinator within 30 s');
    await sleep(100);
  }
  return { api, coordinator, agent };
}
