import { MetricsServer } from './metrics-server.js';

describe('MetricsServer', () => {
  it('answers GET /metrics with the rendered text, 404 elsewhere, 500 when collection fails; closes', async () => {
    let fail = false;
    const server = new MetricsServer(async () => {
      if (fail) throw new Error('boom');
      return '# HELP x X\n# TYPE x gauge\nx 1\n';
    });
    const at = await server.listen('127.0.0.1', 0);
    const base = `http://127.0.0.1:${at.port}`;
    try {
      const ok = await fetch(`${base}/metrics?x=1`);
      expect(ok.status).toBe(200);
      expect(ok.headers.get('content-type')).toMatch(/^text\/plain; version=0\.0\.4/);
      expect(await ok.text()).toBe('# HELP x X\n# TYPE x gauge\nx 1\n');
      expect((await fetch(`${base}/`)).status).toBe(404);
      expect((await fetch(`${base}/metrics`, { method: 'POST' })).status).toBe(404);
      fail = true;
      const bad = await fetch(`${base}/metrics`);
      expect(bad.status).toBe(500);
      expect(await bad.text()).toContain('boom');
    } finally {
      await server.close();
    }
    await expect(fetch(`${base}/metrics`)).rejects.toThrow();
  });

  it('fails to listen on a port already taken, saying so', async () => {
    const a = new MetricsServer(async () => '');
    const at = await a.listen('127.0.0.1', 0);
    const b = new MetricsServer(async () => '');
    try {
      await expect(b.listen('127.0.0.1', at.port)).rejects.toThrow(/EADDRINUSE/);
    } finally {
      await a.close();
      await b.close();
    }
  });
});
