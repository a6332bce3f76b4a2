#!/usr/bin/env node
// A dependency-free stand-in dev server for the seed's Server windows:
//   node examples/seed/dev-server.mjs <name> <port>
// Answers every request with "<name> ok" and keeps serving until it is stopped (the run is
// cancelled: Shoal sends Ctrl-C, then kills the window's process tree).
import { createServer } from 'node:http';

const [name = 'dev', portText = '3000'] = process.argv.slice(2);
const port = Number(portText);
if (!Number.isInteger(port) || port < 1 || port > 65535) {
  console.error(`usage: dev-server.mjs <name> <port> (got port ${portText})`);
  process.exit(2);
}
let served = 0;
const server = createServer((req, res) => {
  served += 1;
  res.setHeader('content-type', 'text/plain');
  res.end(`${name} ok\n`);
  console.log(`${new Date().toISOString()} ${req.method} ${req.url} (${served} served)`);
});
server.on('error', (e) => {
  console.error(`${name}: cannot listen on :${port}: ${e.message}`);
  process.exit(1);
});
server.listen(port, '127.0.0.1', () => console.log(`${name} dev server on http://127.0.0.1:${port}/ (Ctrl-C stops it)`));
for (const signal of ['SIGINT', 'SIGTERM']) {
  process.on(signal, () => {
    console.log(`${name}: ${signal}, closing after ${served} request(s)`);
    server.close(() => process.exit(0));
    server.closeAllConnections();
  });
}
