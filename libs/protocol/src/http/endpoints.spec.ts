import { HTTP_ENDPOINTS } from './endpoints.js';

describe('HTTP_ENDPOINTS', () => {
  it('lists exactly the coordinator endpoints, in this order', () => {
    // Written out here on purpose (not derived from the module): a changed route fails this test.
    const expected: [string, string][] = [
      ['GET', '/healthz'],
      ['GET', '/metrics'],
      ['GET', '/leader'],
      ['POST', '/runs'],
      ['GET', '/runs'],
      ['GET', '/runs/:id'],
      ['POST', '/runs/:id/cancel'],
      ['POST', '/runs/:id/tasks/:task/:decision'],
      ['POST', '/runs/:id/tasks/:task/send'],
      ['POST', '/runs/:id/tasks/:task/keys'],
      ['POST', '/runs/:id/tasks/:task/choose'],
      ['GET', '/runs/:id/tasks/:task/capture'],
      ['GET', '/runs/:id/tasks/:task/logs'],
      ['GET', '/runs/:id/events'],
      ['GET', '/events'],
      ['GET', '/nodes'],
      ['POST', '/nodes/:id/:action'],
      ['POST', '/emergency/stop-all'],
      ['DELETE', '/nodes/:id'],
      ['POST', '/enrol'],
      ['POST', '/tokens'],
      ['GET', '/tokens'],
      ['DELETE', '/tokens/:id'],
      ['POST', '/tokens/join'],
      ['GET', '/leaf-sites'],
      ['PUT', '/leaf-sites/:name'],
      ['DELETE', '/leaf-sites/:name'],
      ['GET', '/scaling'],
      ['GET', '/breakers'],
      ['GET', '/estimates'],
      ['POST', '/schedules'],
      ['GET', '/schedules'],
      ['DELETE', '/schedules/:name'],
      ['GET', '/analytics'],
      ['GET', '/cache/:ns'],
      ['GET', '/cache/:ns/:key'],
      ['PUT', '/cache/:ns/:key'],
      ['DELETE', '/cache/:ns/:key'],
      ['POST', '/mcp'],
      ['GET', '/mcp'],
      ['DELETE', '/mcp'],
    ];
    expect(HTTP_ENDPOINTS).toHaveLength(41);
    expect([...HTTP_ENDPOINTS]).toEqual(expected.map(([method, path]) => `${method} ${path}`));
  });

  it('has each endpoint once, as "<METHOD> <path>" with one space', () => {
    const list: readonly string[] = HTTP_ENDPOINTS;
    expect(new Set(list).size).toBe(41);
    for (const e of list) expect(e).toMatch(/^(GET|POST|PUT|DELETE) \/[a-z:/-]*$/);
  });

  it('counts 20 GETs, 13 POSTs, 2 PUTs and 6 DELETEs', () => {
    const count = (m: string) => HTTP_ENDPOINTS.filter((e) => e.startsWith(`${m} `)).length;
    expect([count('GET'), count('POST'), count('PUT'), count('DELETE')]).toEqual([20, 13, 2, 6]);
  });

  it('takes the public and leaf-site routes the docs name', () => {
    const list: readonly string[] = HTTP_ENDPOINTS;
    for (const e of ['GET /healthz', 'POST /enrol', 'GET /leaf-sites', 'PUT /leaf-sites/:name', 'DELETE /leaf-sites/:name', 'POST /emergency/stop-all']) expect(list).toContain(e);
    for (const e of ['GET /leaf-sites/:name', 'PUT /runs', 'POST /leaf-sites/:name']) expect(list).not.toContain(e);
  });
});
