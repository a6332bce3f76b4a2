import { PassThrough } from 'node:stream';
import { mcpConnection, serveMcpOverStdio } from './mcp.js';

describe('shoal mcp', () => {
  const none = { SHOAL_HOME: '/nonexistent-shoal-home' };

  it('uses SHOAL_API and SHOAL_TOKEN like every command', () => {
    expect(mcpConnection({}, { ...none, SHOAL_API: 'http://ctl:8080/', SHOAL_TOKEN: 'shoal_read_x', SHOAL_CACHE_TOKEN: 'shc1.a.b' })).toMatchObject({ base: 'http://ctl:8080', token: 'shoal_read_x', tokenSource: 'SHOAL_TOKEN' });
    expect(mcpConnection({ api: 'http://flag:1', token: 't' }, { ...none, SHOAL_CACHE_URL: 'http://agent:2/cache' })).toMatchObject({ base: 'http://flag:1', token: 't' });
  });

  it("inside an agent, falls back to the agent's SHOAL_CACHE_URL (minus /cache) and SHOAL_CACHE_TOKEN", () => {
    expect(mcpConnection({}, { ...none, SHOAL_CACHE_URL: 'https://ctl.example:8443/cache', SHOAL_CACHE_TOKEN: 'shc1.a.b' })).toMatchObject({ base: 'https://ctl.example:8443', token: 'shc1.a.b', tokenSource: 'SHOAL_CACHE_TOKEN' });
    expect(mcpConnection({}, none)).toMatchObject({ base: 'http://127.0.0.1:8080', token: undefined });
  });

  it('writes nothing but MCP frames (one JSON-RPC message a line) to stdout, and ends with stdin', async () => {
    const stdin = new PassThrough();
    const stdout = new PassThrough();
    let written = '';
    stdout.on('data', (d: Buffer) => (written += d.toString()));
    const port = { request: async () => ({ status: 200, body: [{ id: 'r-1' }] }) };
    const served = serveMcpOverStdio(port, stdin, stdout);
    const send = (m: object) => stdin.write(`${JSON.stringify({ jsonrpc: '2.0', ...m })}\n`);
    send({ id: 1, method: 'initialize', params: { protocolVersion: '2025-06-18', capabilities: {}, clientInfo: { name: 'spec', version: '0' } } });
    send({ method: 'notifications/initialized' });
    send({ id: 2, method: 'tools/call', params: { name: 'list_runs', arguments: {} } });
    const frames = () => written.split('\n').filter(Boolean).map((l) => JSON.parse(l) as { id?: number; result?: { structuredContent?: unknown } });
    for (let i = 0; i < 200 && frames().length < 2; i++) await new Promise((r) => setImmediate(r));
    stdin.end();
    await served;
    expect(written.endsWith('\n')).toBe(true);
    expect(frames().map((f) => f.id)).toEqual([1, 2]);
    expect(frames()[1]!.result!.structuredContent).toEqual({ runs: [{ id: 'r-1' }] });
  });
});
