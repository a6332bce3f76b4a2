import { existsSync, readFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import type { RunEvent, RunView } from '@shoal/protocol';
import { splitSse } from './sse.js';

/** Where `shoal up` records the local cluster, so other commands find its API. */
export function clusterFile(dataDir = join(homedir(), '.shoal')): string {
  return join(dataDir, 'cluster.json');
}

/** Picks the API URL: flag, then SHOAL_API, then a running `shoal up`, then localhost:8080. */
export function resolveApi(flag?: string, env = process.env): string {
  if (flag) return flag.replace(/\/$/, '');
  if (env.SHOAL_API) return env.SHOAL_API.replace(/\/$/, '');
  const file = clusterFile(env.SHOAL_HOME);
  if (existsSync(file)) {
    try {
      return (JSON.parse(readFileSync(file, 'utf8')) as { api: string }).api;
    } catch {
      /* fall through */
    }
  }
  return 'http://127.0.0.1:8080';
}

/** An error answer of the API. */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly body: { error?: string; message?: string; issues?: { path: string; message: string }[] },
  ) {
    super(body.message ?? `HTTP ${status}`);
  }
}

/** Thin client of the coordinator's HTTP API. */
export class ApiClient {
  constructor(readonly base: string) {}

  submit(planText: string): Promise<RunView> {
    return this.call('POST', '/runs', planText, 'application/yaml');
  }
  run(id: string): Promise<RunView> {
    return this.call('GET', `/runs/${encodeURIComponent(id)}`);
  }
  runs(): Promise<{ id: string; plan: string; state: string; submittedAt: number; finishedAt?: number; tasks: number }[]> {
    return this.call('GET', '/runs');
  }
  nodes(): Promise<Record<string, unknown>[]> {
    return this.call('GET', '/nodes');
  }
  cancel(id: string): Promise<RunView> {
    return this.call('POST', `/runs/${encodeURIComponent(id)}/cancel`);
  }
  operator(id: string, task: string, action: 'retry' | 'skip' | 'cancel'): Promise<RunView> {
    return this.call('POST', `/runs/${encodeURIComponent(id)}/tasks/${encodeURIComponent(task)}/${action}`);
  }

  /** Follows a run's server-sent events until the stream ends; yields each event. */
  async *follow(id: string): AsyncGenerator<{ event: string; data: RunView | RunEvent }> {
    const res = await this.fetch(`/runs/${encodeURIComponent(id)}/events`, { headers: { accept: 'text/event-stream' } });
    if (!res.ok || !res.body) throw new ApiError(res.status, (await res.json().catch(() => ({}))) as ApiError['body']);
    const decoder = new TextDecoder();
    let buf = '';
    for await (const chunk of res.body as unknown as AsyncIterable<Uint8Array>) {
      buf += decoder.decode(chunk, { stream: true });
      const { events, rest } = splitSse(buf);
      buf = rest;
      for (const e of events) yield { event: e.event, data: JSON.parse(e.data) as RunView | RunEvent };
    }
  }

  private async call<T>(method: string, path: string, body?: string, contentType?: string): Promise<T> {
    const res = await this.fetch(path, { method, body, headers: contentType ? { 'content-type': contentType } : {} });
    const json = (await res.json().catch(() => ({}))) as unknown;
    if (!res.ok) throw new ApiError(res.status, json as ApiError['body']);
    return json as T;
  }

  private async fetch(path: string, init: RequestInit): Promise<Response> {
    try {
      return await fetch(`${this.base}${path}`, init);
    } catch (e) {
      throw new Error(`cannot reach the Shoal API at ${this.base} (${(e as Error).cause ?? (e as Error).message}). Is \`shoal up\` running? Set --api or SHOAL_API.`);
    }
  }
}
