import { existsSync, mkdirSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { start } from '../processes.js';
import { Supervisor } from '../supervise/supervisor.js';
import { recordChild, stopLeftovers } from '../up/leftovers.js';
import type { JoinPlan } from './join-options.js';

/** The node-agent's words when NATS refuses its credentials. */
const REMOVED = /NATS does not accept this node's credentials/;
/** Exit status of `shoal join` for a removed node (its systemd unit does not restart on it). */
export const EXIT_REMOVED = 3;

/** What running a joined node needs besides its plan. */
export interface RunNodeOptions {
  /** The coordinator URL as given. */
  url: string;
  /** The join token (only used while the node has no credentials). */
  token?: string;
  /** The node-agent's main.js. */
  main: string;
  /** Resolves with the name of the first SIGINT/SIGTERM. */
  stopSignal: Promise<string>;
  out: (s: string) => void;
}

/**
 * Runs the node-agent of a joined host in the foreground: enrols with the token when there are no
 * credentials yet, forwards its output, restarts it with backoff, stops it on Ctrl-C. Resolves with
 * the exit status: 0 stopped, 1 could not be kept running, 3 removed from the cluster, 130
 * interrupted while starting. Throws when it does not start (e.g. a used join token).
 */
export async function runJoinedNode(plan: JoinPlan, o: RunNodeOptions): Promise<number> {
  const enrolled = existsSync(plan.credentials);
  if (!enrolled && !o.token) throw new Error(`this node has no credentials in ${plan.dataDir} yet: pass --token <join token> (mint one on the control host with \`shoal token join\`)`);
  if (enrolled) warnOtherCluster(plan.credentials, o.url, !!o.token, o.out);
  const env = { ...process.env, ...plan.env };
  for (const k of ['SHOAL_TOKEN', 'SHOAL_CREDENTIALS', 'SHOAL_JOIN_TOKEN']) delete env[k];
  const firstEnv = enrolled ? env : { ...env, SHOAL_JOIN_TOKEN: o.token! };
  // A `shoal join` killed with -9 leaves its node-agent running: stop it before starting another.
  const pidsFile = join(plan.dataDir, 'join.pids');
  if (!existsSync(plan.dataDir)) mkdirSync(plan.dataDir, { recursive: true, mode: 0o711 });
  await stopLeftovers(pidsFile, o.out, 'shoal join');
  const sup = new Supervisor(o.out);
  sup.onSpawn = (name, p) => p.child.pid && recordChild(pidsFile, process.pid, name, p.child.pid, join('node-agent', 'dist', 'main.js'));
  const stopAll = async () => {
    await sup.stopAll();
    rmSync(pidsFile, { force: true });
  };
  const echo = (line: string) => o.out(`[node-agent] ${line}`);
  const agent = sup.launch({
    name: 'node-agent',
    // Once enrolled, a restart uses the credentials file; the join token is spent.
    start: () => start('node-agent', [process.execPath, o.main], existsSync(plan.credentials) ? env : firstEnv, echo),
    hopeless: (p) => (p.lines.some((l) => REMOVED.test(l)) ? `NATS refuses this node's credentials (removed with \`shoal nodes remove\`?): join again with a new token` : undefined),
  });
  o.out(`${enrolled ? 'starting' : 'enrolling'} node ${plan.nodeId} with ${o.url} (data dir ${plan.dataDir})...`);
  const ready = await Promise.race([agent.waitFor(/ready: governor/, 120_000).then(() => undefined), o.stopSignal]).catch((e: Error) => e);
  if (ready instanceof Error) {
    await stopAll();
    throw new Error(`the node-agent did not start: ${/node-agent failed to start: (.*)/.exec(ready.message)?.[1] ?? ready.message}`);
  }
  if (ready) {
    await stopAll();
    o.out(`${ready}: stopped.`);
    return 130;
  }
  sup.supervise('node-agent');
  o.out(`node ${plan.nodeId} joined ${o.url}${plan.env.SHOAL_LABELS ? ` (labels ${plan.env.SHOAL_LABELS})` : ''}; credentials in ${plan.credentials}. Press Ctrl-C to stop.`);
  const ended = await Promise.race([o.stopSignal.then((sig) => ({ sig })), sup.gaveUp.then((name) => ({ name }))]);
  if ('sig' in ended) {
    o.out(`\n${ended.sig}: stopping the node-agent...`);
    await stopAll();
    o.out('stopped.');
    return 0;
  }
  await stopAll();
  const removed = sup.current('node-agent')?.lines.some((l) => REMOVED.test(l));
  o.out(removed ? `node ${plan.nodeId} is no longer part of the cluster: stopped.` : 'the node-agent could not be kept running: stopped.');
  return removed ? EXIT_REMOVED : 1;
}

/** Says so when existing credentials were issued by another coordinator than the one given. */
function warnOtherCluster(path: string, url: string, tokenGiven: boolean, out: (s: string) => void): void {
  let coordinator: string | undefined;
  try {
    coordinator = (JSON.parse(readFileSync(path, 'utf8')) as { coordinator?: string }).coordinator;
  } catch {
    return;
  }
  if (coordinator && coordinator.replace(/\/+$/, '') !== url) {
    out(`note: ${path} was issued by ${coordinator}; this node keeps using it${tokenGiven ? ' and ignores --token' : ''}. To join ${url} instead, remove that file (and the node on the old cluster).`);
  } else if (tokenGiven) {
    out(`note: this node already has credentials (${path}); --token is not needed and was not used.`);
  }
}
