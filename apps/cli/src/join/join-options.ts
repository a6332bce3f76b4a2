import { homedir } from 'node:os';
import { join } from 'node:path';
import { toNodeId } from '@shoal/protocol';

/** The options of `shoal join`, as given. */
export interface JoinFlags {
  url: string;
  token?: string;
  nodeId: string;
  labels?: string;
  tmuxSocket?: string;
  dataDir?: string;
  runAs: string;
  tlsCa?: string;
}

/** `shoal join` resolved: where the node keeps its credentials and the node-agent's environment. */
export interface JoinPlan {
  nodeId: string;
  dataDir: string;
  credentials: string;
  /** Environment added to the node-agent's (without the token). */
  env: Record<string, string>;
  /** CLI arguments after `join` that reproduce this plan (for a systemd unit; without the token). */
  args: string[];
}

const LABEL = /^[a-z0-9][a-z0-9._/-]{0,62}=[A-Za-z0-9._-]{0,63}$/;

/** Checks `k=v,k2=v2` labels; throws naming the bad pair. */
export function checkLabels(raw: string): string {
  const pairs = raw.split(',').map((s) => s.trim()).filter(Boolean);
  for (const p of pairs) if (!LABEL.test(p)) throw new Error(`--labels: "${p}" is not k=v (keys lower case, [a-z0-9._/-]; values [A-Za-z0-9._-])`);
  return pairs.join(',');
}

/** Checks the coordinator URL (http or https, no path). */
export function checkCoordinatorUrl(raw: string): string {
  let u: URL;
  try {
    u = new URL(raw);
  } catch {
    throw new Error(`${raw} is not a URL: give the coordinator's API, e.g. http://10.0.0.5:8080 (what \`shoal up\` printed)`);
  }
  if (u.protocol !== 'http:' && u.protocol !== 'https:') throw new Error(`${raw}: the coordinator URL must start with http:// or https://`);
  return raw.replace(/\/+$/, '');
}

/** Resolves `shoal join`'s flags (pure but for the home directory default). */
export function planJoin(f: JoinFlags, home = process.env.SHOAL_HOME || join(homedir(), '.shoal')): JoinPlan {
  const url = checkCoordinatorUrl(f.url);
  const nodeId = toNodeId(f.nodeId);
  const dataDir = f.dataDir ?? join(home, 'node', nodeId);
  const labels = f.labels ? checkLabels(f.labels) : undefined;
  const env: Record<string, string> = {
    SHOAL_JOIN_URL: url,
    SHOAL_NODE_ID: nodeId,
    SHOAL_DATA_DIR: dataDir,
    SHOAL_RUN_AS: f.runAs,
    ...(labels ? { SHOAL_LABELS: labels } : {}),
    ...(f.tmuxSocket ? { SHOAL_TMUX_SOCKET: f.tmuxSocket } : {}),
    ...(f.tlsCa ? { NODE_EXTRA_CA_CERTS: f.tlsCa } : {}),
  };
  const args = [
    url,
    '--node-id',
    nodeId,
    '--data-dir',
    dataDir,
    '--run-as',
    f.runAs,
    ...(labels ? ['--labels', labels] : []),
    ...(f.tmuxSocket ? ['--tmux-socket', f.tmuxSocket] : []),
    ...(f.tlsCa ? ['--tls-ca', f.tlsCa] : []),
  ];
  return { nodeId, dataDir, credentials: join(dataDir, 'credentials.json'), env, args };
}
