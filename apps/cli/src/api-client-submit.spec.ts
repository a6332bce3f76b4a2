import { type IncomingMessage, type Server, type ServerResponse, createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { ApiClient, ApiError } from './api-client.js';

/** A stand-in API on a free local port that answers `POST /runs` from a script and records each request's headers. */
async function scriptedApi(answers: Array<(res: ServerResponse) => void>): Promise<{ url: string; keys: Array<string | undefined>; close: () => Promise<void> }> {
  const keys: Array<string | undefined> = [];
  const server: Server = createServer((req: IncomingMessage, res: ServerResponse) => {
    req.resume();
    req.on('end', () => {
      keys.push(req.headers['idempotency-key'] as string | undefined);
      const answer = answers.shift() ?? ((r: ServerResponse) => r.writeHead(500).end('{}'));
      answer(res);
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const { port } = server.address() as AddressInfo;
  return { url: `http://127.0.0.1:${port}`, keys, close: () => new Promise((r) => server.close(() => r())) };
}

const json = (status: number, body: unknown) => (res: ServerResponse) => res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(body));
const run = { id: 'p-1', plan: 'p', state: 'running', submittedAt: 1, phases: [], tasks: [] };
const standby = json(503, { error: 'E_TRANSPORT', message: 'this coordinator is a standby' });

describe('ApiClient.submit: safe to retry', () => {
  it('retries a 503 with the same Idempotency-Key on every try, and answers the run', async () => {
    const api = await scriptedApi([standby, standby, json(201, run)]);
    try {
      await expect(new ApiClient(api.url).submit('name: p', { retryForMs: 30_000 })).resolves.toMatchObject({ id: 'p-1' });
      expect(api.keys).toHaveLength(3);
      expect(api.keys[0]).toMatch(/^[0-9a-f-]{36}$/);
      expect(new Set(api.keys).size).toBe(1);
    } finally {
      await api.close();
    }
  });

  it('sends the key it is given; a new submission gets a new key', async () => {
    const api = await scriptedApi([json(201, run), json(201, run), json(201, run)]);
    try {
      const client = new ApiClient(api.url);
      await client.submit('name: p', { idempotencyKey: 'ci-job-42' });
      await client.submit('name: p');
      await client.submit('name: p');
      expect(api.keys[0]).toBe('ci-job-42');
      expect(api.keys[1]).not.toBe(api.keys[2]);
    } finally {
      await api.close();
    }
  });

  it('does not retry a refusal other than 503, nor anything with retryForMs 0', async () => {
    const api = await scriptedApi([json(409, { error: 'E_CONFLICT', message: 'key used for another plan' }), standby]);
    try {
      const client = new ApiClient(api.url);
      await expect(client.submit('name: p')).rejects.toMatchObject({ status: 409 });
      await expect(client.submit('name: p', { retryForMs: 0 })).rejects.toBeInstanceOf(ApiError);
      expect(api.keys).toHaveLength(2);
    } finally {
      await api.close();
    }
  });

  it('fails at once when nothing listens at the API (connection refused on the first try)', async () => {
    const api = await scriptedApi([]);
    await api.close(); // the port is free again: connections are refused
    const t0 = Date.now();
    await expect(new ApiClient(api.url).submit('name: p', { retryForMs: 60_000 })).rejects.toMatchObject({ code: 'E_TRANSPORT', message: expect.stringContaining('ECONNREFUSED') });
    expect(Date.now() - t0).toBeLessThan(30_000); // no minute of retries
  });
});
