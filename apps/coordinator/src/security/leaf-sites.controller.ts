import { Body, Controller, Delete, Get, Param, Put, Req } from '@nestjs/common';
import { LeafSiteName, type LeafSiteRemovedReply, type LeafSiteView, PutLeafSiteRequest } from '@shoal/protocol';
import { RequireScope } from './access.js';
import { type AuthorizedRequest, actor } from './api-auth.guard.js';
import { LeafSitesService } from './leaf-sites.service.js';
import { parseBody } from './parse-body.js';

/** Remote sites linked to this control host's NATS as leaf nodes (admin only; docs/multi-cluster.md). */
@Controller('leaf-sites')
@RequireScope('admin')
export class LeafSitesController {
  constructor(private readonly sites: LeafSitesService) {}

  /** `GET /leaf-sites`: every site and the nodes its link may act as. */
  @Get()
  list(): LeafSiteView[] {
    return this.sites.list();
  }

  /** `PUT /leaf-sites/:name {passwordHash}`: records the site; answered once the bus accepts its link. */
  @Put(':name')
  put(@Param('name') name: string, @Body() body: unknown, @Req() req: AuthorizedRequest): Promise<LeafSiteView> {
    return this.sites.put(parseBody(LeafSiteName, name), parseBody(PutLeafSiteRequest, body), actor(req));
  }

  /** `DELETE /leaf-sites/:name`: answered once the bus has dropped the site's link. */
  @Delete(':name')
  remove(@Param('name') name: string, @Req() req: AuthorizedRequest): Promise<LeafSiteRemovedReply> {
    return this.sites.remove(name, actor(req));
  }
}
