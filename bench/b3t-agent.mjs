// The B3t agent of BENCHMARKS.md: a plain NATS request/reply agent that starts each requested argv
// through a tmux control-mode client (no JetStream, no KV, no governor, no logs). Requests are
// handled as they arrive (pipelined into tmux), each answered once tmux created the window.
// Usage: node bench/b3t-agent.mjs <nats-url> <subject> <tmux-socket>; prints "b3t ready".
import { connect } from '@nats-io/transport-node';
import { controlClient } from './tmux-control.mjs';

const [natsUrl, subject, socket] = process.argv.slice(2);
const nc = await connect({ servers: natsUrl, name: 'b3t-agent' });
const tc = await controlClient(socket);
const sub = nc.subscribe(subject);
const stop = async () => {
  await tc.close();
  await nc.drain();
  process.exit(0);
};
process.on('SIGTERM', () => void stop());
console.log('b3t ready');
for await (const m of sub) {
  const argv = JSON.parse(new TextDecoder().decode(m.data));
  tc.run('new-window', ['-d', '-t', 'base:', '--', ...argv]).then(
    () => m.respond('ok'),
    (e) => m.respond(`error: ${e.message}`),
  );
}
