/** What a systemd unit of `shoal join` needs. */
export interface SystemdUnitOptions {
  nodeId: string;
  /** Absolute path of node. */
  node: string;
  /** Absolute path of the CLI's main.js. */
  cli: string;
  /** Arguments after `join` (see `planJoin`). */
  args: string[];
  /** The join token, only while the node has no credentials yet. */
  joinToken?: string;
}

/** Quotes a word for an ExecStart= or Environment= line (systemd's own quoting rules). */
export function systemdWord(s: string): string {
  if (/^[A-Za-z0-9_@%+=:,./-]+$/.test(s)) return s.replace(/%/g, '%%');
  return `"${s.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/%/g, '%%').replace(/\$/g, '$$$$')}"`;
}

/**
 * A unit file running `shoal join` as a service. `KillMode=process` and
 * `SHOAL_KEEP_AGENTS_ON_EXIT=1`: a restart stops the CLI and its node-agent, never the agents in
 * tmux (the next node-agent re-adopts them).
 * The join token appears only while the node has not enrolled yet; afterwards the node uses the
 * credentials in its data dir and the unit holds no secret.
 */
export function renderSystemdUnit(o: SystemdUnitOptions): string {
  const exec = [o.node, o.cli, 'join', ...o.args].map(systemdWord).join(' ');
  return [
    ...(o.joinToken ? ['# Holds a one-time join token until the node has enrolled: install it with mode 0600.'] : []),
    '[Unit]',
    `Description=Shoal node-agent ${o.nodeId}`,
    'Wants=network-online.target',
    'After=network-online.target',
    '',
    '[Service]',
    'Type=simple',
    `ExecStart=${exec}`,
    'Restart=on-failure',
    'RestartSec=5',
    '# 3: this node was removed from the cluster (`shoal nodes remove`); join again with a new token',
    'RestartPreventExitStatus=3',
    'KillMode=process',
    'KillSignal=SIGTERM',
    'TimeoutStopSec=30',
    ...(o.joinToken ? [`Environment=${systemdWord(`SHOAL_JOIN_TOKEN=${o.joinToken}`)}`] : []),
    '# A restart (upgrade) leaves the agents running; the next node-agent re-adopts them.',
    '# `shoal stop-all --node <id>` stops them.',
    'Environment=SHOAL_KEEP_AGENTS_ON_EXIT=1',
    'Environment=NODE_ENV=production',
    '',
    '[Install]',
    'WantedBy=multi-user.target',
    '',
  ].join('\n');
}
