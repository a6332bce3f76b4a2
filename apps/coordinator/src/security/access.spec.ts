import 'reflect-metadata';
import { RequestMethod } from '@nestjs/common';
import { METHOD_METADATA, PATH_METADATA } from '@nestjs/common/constants.js';
import { HTTP_ENDPOINTS } from '@shoal/protocol';
import { AppModule } from '../app.module.js';
import { ACCESS_KEY, TASK_TOKEN_KEY } from './access.js';

/** Every route of every controller of the app, as `METHOD /path` -> its access declaration (or its `key` metadata). */
function routes(key = ACCESS_KEY): Map<string, string | undefined> {
  const out = new Map<string, string | undefined>();
  const controllers = Reflect.getMetadata('controllers', AppModule) as (new (...a: never[]) => object)[];
  for (const c of controllers) {
    const base = String(Reflect.getMetadata(PATH_METADATA, c) ?? '').replace(/^\/|\/$/g, '');
    for (const name of Object.getOwnPropertyNames(c.prototype)) {
      const handler = Object.getOwnPropertyDescriptor(c.prototype, name)?.value as unknown;
      if (typeof handler !== 'function' || name === 'constructor') continue;
      const method = Reflect.getMetadata(METHOD_METADATA, handler) as RequestMethod | undefined;
      if (method === undefined) continue;
      const path = String(Reflect.getMetadata(PATH_METADATA, handler) ?? '').replace(/^\/|\/$/g, '');
      const route = `${RequestMethod[method]} /${[base, path].filter(Boolean).join('/')}`;
      out.set(route, Reflect.getMetadata(key, handler) ?? Reflect.getMetadata(key, c));
    }
  }
  return out;
}

describe('API access declarations', () => {
  it('every route of every controller declares its access (the guard refuses undeclared ones)', () => {
    const all = routes();
    expect(all.size).toBeGreaterThan(20);
    const undeclared = [...all].filter(([, a]) => !a).map(([r]) => r);
    expect(undeclared).toEqual([]);
  });

  it('matches the contract: reads need read, changes need operate, tokens and removal need admin', () => {
    expect(Object.fromEntries(routes())).toEqual({
      'GET /healthz': 'public',
      'POST /enrol': 'public',
      'GET /metrics': 'read',
      'GET /nodes': 'read',
      'GET /runs': 'read',
      'GET /runs/:id': 'read',
      'GET /runs/:id/events': 'read',
      'GET /runs/:id/tasks/:taskId/capture': 'read',
      'GET /runs/:id/tasks/:taskId/logs': 'read',
      'GET /schedules': 'read',
      'GET /scaling': 'read',
      'GET /breakers': 'read',
      'GET /estimates': 'read',
      'GET /leader': 'read',
      'GET /analytics': 'read',
      // the web dashboard: its page and assets hold no data; its fleet stream needs read
      'GET /': 'public',
      'GET /assets/:name': 'public',
      'GET /events': 'read',
      'POST /runs': 'operate',
      'POST /runs/:id/cancel': 'operate',
      'POST /runs/:id/tasks/:taskId/send': 'operate',
      'POST /runs/:id/tasks/:taskId/keys': 'operate',
      'POST /runs/:id/tasks/:taskId/choose': 'operate',
      'POST /runs/:id/tasks/:taskId/:action': 'operate',
      'POST /nodes/:id/:action': 'operate',
      'POST /emergency/stop-all': 'operate',
      'POST /schedules': 'operate',
      'DELETE /schedules/:name': 'operate',
      'POST /tokens': 'admin',
      'GET /tokens': 'admin',
      'DELETE /tokens/:id': 'admin',
      'POST /tokens/join': 'admin',
      'GET /leaf-sites': 'admin',
      'PUT /leaf-sites/:name': 'admin',
      'DELETE /leaf-sites/:name': 'admin',
      'DELETE /nodes/:id': 'admin',
      // the shared cache checks its tokens itself (CacheAccess: API tokens read/operate, or an agent's cache token)
      'GET /cache/:ns': 'public',
      'GET /cache/:ns/:key': 'public',
      'PUT /cache/:ns/:key': 'public',
      'DELETE /cache/:ns/:key': 'public',
      // Shoal as an MCP server: any API token (each tool needs its endpoint's scope) or a task token; GET/DELETE answer 405
      'POST /mcp': 'read',
      'GET /mcp': 'public',
      'DELETE /mcp': 'public',
    });
  });

  it('a task token opens /mcp and its own run\'s status, screens, send, keys and choose; no other guarded route', () => {
    const open = Object.fromEntries([...routes(TASK_TOKEN_KEY)].filter(([, reach]) => reach));
    expect(open).toEqual({
      'POST /mcp': 'entry',
      'GET /runs/:id': 'own-run',
      'GET /runs/:id/tasks/:taskId/capture': 'own-run',
      'POST /runs/:id/tasks/:taskId/send': 'own-run',
      'POST /runs/:id/tasks/:taskId/keys': 'own-run',
      'POST /runs/:id/tasks/:taskId/choose': 'own-run',
    });
  });

  it('every JSON route is declared in the protocol\'s HttpApi table, and the table has no route the app lacks', () => {
    const shape = (route: string) => route.replace(/:[A-Za-z]+/g, ':_');
    const page = (route: string) => route === 'GET /' || route.startsWith('GET /assets');
    const served = [...routes().keys()].filter((r) => !page(r)).map(shape).sort();
    expect(served).toEqual([...HTTP_ENDPOINTS].map(shape).sort());
  });
});
