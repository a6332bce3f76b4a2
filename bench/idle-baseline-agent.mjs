// Baseline of benchmark 4: a plain Node process that publishes a small JSON heartbeat to NATS
// every pulse (no Nest, no tmux, no sampling). Run: node bench/idle-baseline-agent.mjs <natsUrl> <subject> <pulseMs>
import { hostname, loadavg } from 'node:os';
import { connect } from '@nats-io/transport-node';

const [url, subject, pulse = '2500'] = process.argv.slice(2);
const nc = await connect({ servers: url, name: 'bench-idle-baseline' });
const startedAt = Date.now();
const beat = () => nc.publish(subject, JSON.stringify({ kind: 'node.heartbeat', hostname: hostname(), sentAt: Date.now(), startedAt, load1: loadavg()[0], running: [] }));
beat();
const timer = setInterval(beat, Number(pulse));
process.stdout.write('baseline ready\n');
process.on('SIGTERM', async () => {
  clearInterval(timer);
  await nc.drain();
  process.exit(0);
});
