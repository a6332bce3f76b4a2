import 'reflect-metadata';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Reflector } from '@nestjs/core';
import { ExecutionContextHost } from '@nestjs/core/helpers/execution-context-host.js';
import { AuthenticationError, PermissionError } from '@shoal/protocol';
import { SecurityStore } from '@shoal/runtime';
import { loadSecurityConfig } from '../config.js';
import { Public, RequireScope, TaskTokenMay } from './access.js';
import { mintCacheToken } from '../cache/cache-token.js';
import { ApiAuthGuard, bearerToken } from './api-auth.guard.js';
import { crossSiteReason } from './origin.js';
import { SecurityContext } from './security-context.js';

class Routes {
  @RequireScope('operate')
  submit() {}
  @RequireScope('operate')
  @TaskTokenMay('own-run')
  send() {}
  @RequireScope('read')
  @TaskTokenMay('entry')
  mcp() {}
  @Public()
  health() {}
  undeclared() {}
}

describe('API auth guard (real security store in a temp dir)', () => {
  let dir: string;
  let store: SecurityStore;
  let guard: ApiAuthGuard;
  let insecureGuard: ApiAuthGuard;
  let context: SecurityContext;

  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'shoal-guard-'));
    const secDir = SecurityStore.init(join(dir, 'sec')).dir;
    context = SecurityContext.open(loadSecurityConfig({ SHOAL_SECURITY_DIR: secDir, SHOAL_PUBLIC_URL: 'https://ctl.example:8443' }, 'nats://x:4222'));
    store = context.store!;
    guard = new ApiAuthGuard(new Reflector(), context);
    insecureGuard = new ApiAuthGuard(new Reflector(), SecurityContext.open(loadSecurityConfig({ SHOAL_INSECURE: '1' }, 'nats://x:4222')));
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  const call = (g: ApiAuthGuard, route: keyof Routes, headers: Record<string, string> = {}, params: Record<string, string> = {}) => {
    const req = { method: 'POST', url: '/x', protocol: 'http', params, headers: { host: '127.0.0.1:8080', ...headers } };
    const ctx = new ExecutionContextHost([req, {}], Routes, Routes.prototype[route]);
    ctx.setType('http');
    return () => g.canActivate(ctx);
  };
  const bearer = (t: string) => ({ authorization: `Bearer ${t}` });

  it('401 without a token or with an unknown one, saying how to get one', () => {
    expect(call(guard, 'submit')).toThrow(AuthenticationError);
    expect(call(guard, 'submit')).toThrow(/SHOAL_TOKEN.*shoal token create/);
    expect(call(guard, 'submit', bearer('shoal_operate_nope'))).toThrow(/unknown or revoked API token/);
  });

  it('403 naming the needed scope for a weaker token; equal or stronger scopes pass', () => {
    const read = store.createApiToken('read', 'r').token;
    expect(call(guard, 'submit', bearer(read))).toThrow(PermissionError);
    expect(call(guard, 'submit', bearer(read))).toThrow('needs scope operate; this token has read');
    expect(call(guard, 'submit', bearer(store.createApiToken('operate', 'o').token))()).toBe(true);
    expect(call(guard, 'submit', bearer(store.adminToken()!))()).toBe(true);
  });

  it('a revoked token is refused at once', () => {
    const { token, record } = store.createApiToken('admin', 'gone');
    expect(call(guard, 'submit', bearer(token))()).toBe(true);
    store.revokeApiToken(record.id);
    expect(call(guard, 'submit', bearer(token))).toThrow(AuthenticationError);
  });

  it('public routes need no token but still refuse a foreign origin', () => {
    expect(call(guard, 'health')()).toBe(true);
    expect(call(guard, 'health', { origin: 'http://evil.example' })).toThrow(PermissionError);
  });

  it('a foreign Origin is refused even with a valid token; the own origin and SHOAL_PUBLIC_URL pass', () => {
    const admin = store.adminToken()!;
    expect(call(guard, 'submit', { ...bearer(admin), origin: 'http://evil.example' })).toThrow(/origin "http:\/\/evil.example" refused/);
    expect(call(guard, 'submit', { ...bearer(admin), 'sec-fetch-site': 'cross-site' })).toThrow(/cross-site/);
    expect(call(guard, 'submit', { ...bearer(admin), origin: 'http://127.0.0.1:8080' })()).toBe(true);
    expect(call(guard, 'submit', { ...bearer(admin), origin: 'https://CTL.example:8443' })()).toBe(true);
  });

  it('a task token passes only routes that admit it: /mcp, and its own run\'s (the :id parameter)', () => {
    const task = mintCacheToken(context.taskTokenKey!, { r: 'r-1', t: 'fe', e: Date.now() + 60_000 });
    expect(call(guard, 'mcp', bearer(task))()).toBe(true);
    expect(call(guard, 'send', bearer(task), { id: 'r-1', taskId: 'dev' })()).toBe(true);
    expect(call(guard, 'send', bearer(task), { id: 'r-2', taskId: 'dev' })).toThrow('POST /x: this task token opens its own run r-1 only, not r-2');
    expect(call(guard, 'submit', bearer(task))).toThrow(PermissionError);
    expect(call(guard, 'submit', bearer(task))).toThrow(/POST \/x needs an API token with scope operate: a task token opens \/mcp, \/cache/);
    expect(call(guard, 'health', bearer(task))()).toBe(true);
  });

  it('a forged, foreign or expired task token is 401; a missing token on a route that admits task tokens says so', () => {
    const other = mintCacheToken(Buffer.alloc(32, 7), { r: 'r-1', t: 'fe', e: Date.now() + 60_000 });
    const expired = mintCacheToken(context.taskTokenKey!, { r: 'r-1', t: 'fe', e: Date.now() - 1 });
    for (const t of [other, expired, 'shc1.e30.AAAA']) expect(call(guard, 'mcp', bearer(t))).toThrow(/unknown or expired task token/);
    expect(call(guard, 'mcp')).toThrow(AuthenticationError);
    expect(call(guard, 'mcp')).toThrow(/SHOAL_CACHE_TOKEN/);
    expect(call(guard, 'submit')).not.toThrow(/SHOAL_CACHE_TOKEN/);
  });

  it('a route without a declaration is refused, also when insecure; otherwise insecure checks nothing', () => {
    expect(call(guard, 'undeclared', bearer(store.adminToken()!))).toThrow(/declares no access/);
    expect(call(insecureGuard, 'undeclared')).toThrow(PermissionError);
    expect(call(insecureGuard, 'submit', { origin: 'http://evil.example' })()).toBe(true);
  });
});

describe('origin and bearer parsing', () => {
  it('judges origins by scheme, host and port', () => {
    expect(crossSiteReason({ host: 'h:80' }, 'http')).toBeUndefined();
    expect(crossSiteReason({ host: 'h:80', origin: 'http://h' }, 'http')).toBeUndefined();
    expect(crossSiteReason({ host: 'h:8080', origin: 'http://h:3000' }, 'http')).toMatch(/refused/);
    expect(crossSiteReason({ host: 'h:8080', origin: 'https://h:8080' }, 'http')).toMatch(/refused/);
    expect(crossSiteReason({ host: 'h:8080', origin: 'null' }, 'http')).toMatch(/refused/);
  });

  it('reads only a well-formed bearer header', () => {
    expect(bearerToken('Bearer abc')).toBe('abc');
    expect(bearerToken('bearer  abc ')).toBe('abc');
    expect(bearerToken('Basic abc')).toBeUndefined();
    expect(bearerToken('Bearer a b')).toBeUndefined();
    expect(bearerToken(undefined)).toBeUndefined();
  });
});
