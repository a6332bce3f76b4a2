import { Body, Controller, Delete, Get, Param, Put } from '@nestjs/common';
import { type CacheDeleteReply, type CacheEntryView, type CacheListReply, PutCacheRequest } from '@shoal/protocol';
import { RequireScope } from '../security/access.js';
import { parseBody } from '../security/parse-body.js';
import { SharedCache, putBody } from './shared-cache.service.js';

/** The cache agents share: `/cache/:ns` (list) and `/cache/:ns/:key` (get, put, delete). */
@Controller('cache')
export class SharedCacheController {
  constructor(private readonly cache: SharedCache) {}

  /** `GET /cache/:ns` -> the live keys of `global`, `run:<id>` or `team:<name>`. */
  @Get(':ns')
  @RequireScope('read')
  list(@Param('ns') ns: string): Promise<CacheListReply> {
    return this.cache.list(ns);
  }

  /** `GET /cache/:ns/:key` -> the entry, or 404 (absent or expired). */
  @Get(':ns/:key')
  @RequireScope('read')
  get(@Param('ns') ns: string, @Param('key') key: string): Promise<CacheEntryView> {
    return this.cache.get(ns, key);
  }

  /** `PUT /cache/:ns/:key` `{ value, ttl? }` -> the stored entry; 413 over 256 KiB. */
  @Put(':ns/:key')
  @RequireScope('operate')
  put(@Param('ns') ns: string, @Param('key') key: string, @Body() body: unknown): Promise<CacheEntryView> {
    const req = parseBody(PutCacheRequest, putBody(body));
    return this.cache.put(ns, key, req.value, req.ttl);
  }

  /** `DELETE /cache/:ns/:key` -> whether a live entry was there. */
  @Delete(':ns/:key')
  @RequireScope('operate')
  delete(@Param('ns') ns: string, @Param('key') key: string): Promise<CacheDeleteReply> {
    return this.cache.delete(ns, key);
  }
}
