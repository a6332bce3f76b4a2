import { Body, Controller, Delete, Get, Param, Put, Req } from '@nestjs/common';
import { type CacheDeleteReply, type CacheEntryView, type CacheListReply, PutCacheRequest } from '@shoal/protocol';
import { Public } from '../security/access.js';
import type { AuthorizedRequest } from '../security/api-auth.guard.js';
import { parseBody } from '../security/parse-body.js';
import { CacheAccess } from './cache-access.js';
import { SharedCache, putBody } from './shared-cache.service.js';

/**
 * The cache agents share: `/cache/:ns` (list) and `/cache/:ns/:key` (get, put, delete). Tokens are
 * checked by {@link CacheAccess} (API tokens: read to GET, operate to PUT/DELETE; an agent's
 * task-scoped cache token: its namespaces), hence `@Public()` for the global guard, which still
 * refuses cross-site browser requests.
 */
@Controller('cache')
@Public()
export class SharedCacheController {
  constructor(
    private readonly cache: SharedCache,
    private readonly access: CacheAccess,
  ) {}

  /** `GET /cache/:ns` -> the live keys of `global`, `run:<id>` or `team:<name>`. */
  @Get(':ns')
  list(@Req() req: AuthorizedRequest, @Param('ns') ns: string): Promise<CacheListReply> {
    this.access.authorize(req, ns, 'read');
    return this.cache.list(ns);
  }

  /** `GET /cache/:ns/:key` -> the entry, or 404 (absent or expired). */
  @Get(':ns/:key')
  get(@Req() req: AuthorizedRequest, @Param('ns') ns: string, @Param('key') key: string): Promise<CacheEntryView> {
    this.access.authorize(req, ns, 'read');
    return this.cache.get(ns, key);
  }

  /** `PUT /cache/:ns/:key` `{ value, ttl? }` -> the stored entry; 413 over 256 KiB. */
  @Put(':ns/:key')
  put(@Req() req: AuthorizedRequest, @Param('ns') ns: string, @Param('key') key: string, @Body() body: unknown): Promise<CacheEntryView> {
    this.access.authorize(req, ns, 'operate');
    const r = parseBody(PutCacheRequest, putBody(body));
    return this.cache.put(ns, key, r.value, r.ttl);
  }

  /** `DELETE /cache/:ns/:key` -> whether a live entry was there. */
  @Delete(':ns/:key')
  delete(@Req() req: AuthorizedRequest, @Param('ns') ns: string, @Param('key') key: string): Promise<CacheDeleteReply> {
    this.access.authorize(req, ns, 'operate');
    return this.cache.delete(ns, key);
  }
}
