import { Injectable, Logger } from '@nestjs/common';
import { DependencyError, type LeafSiteRemovedReply, type LeafSiteView, NotFoundError, type PutLeafSiteRequest } from '@shoal/protocol';
import { SITE_LABEL, type SecurityStore, siteLinkUserName } from '@shoal/runtime';
import { BusAuthorization } from './bus-authorization.service.js';
import { SecurityContext } from './security-context.js';

/**
 * Leaf sites (docs/multi-cluster.md): recorded in the security store; the bus is reloaded so a
 * site's link user (rights of the nodes enrolled with `site=<name>`) is accepted, or refused, at once.
 */
@Injectable()
export class LeafSitesService {
  private readonly log = new Logger('leaf-sites');

  constructor(
    private readonly security: SecurityContext,
    private readonly bus: BusAuthorization,
  ) {}

  list(): LeafSiteView[] {
    const state = this.store.snapshot;
    return (state.leafSites ?? []).map((s) => ({
      name: s.name,
      user: siteLinkUserName(s.name),
      createdAt: s.createdAt,
      nodes: state.nodes.filter((n) => n.labels?.[SITE_LABEL] === s.name).map((n) => n.id),
    }));
  }

  /** Records a site (or replaces its password hash) and resolves once the bus accepts its link. */
  async put(name: string, req: PutLeafSiteRequest, by: string): Promise<LeafSiteView> {
    this.bus.assertManaged();
    this.store.putLeafSite(name, req.passwordHash);
    this.log.log(`leaf site ${name} recorded${by}`);
    await this.bus.apply();
    return this.list().find((s) => s.name === name)!;
  }

  /** Forgets a site; resolves once the bus has dropped its link. */
  async remove(name: string, by: string): Promise<LeafSiteRemovedReply> {
    this.bus.assertManaged();
    if (!this.store.removeLeafSite(name)) throw new NotFoundError(`no leaf site ${name}`);
    this.log.warn(`leaf site ${name} removed${by}`);
    await this.bus.apply();
    return { ok: true, removed: name };
  }

  private get store(): SecurityStore {
    if (!this.security.store) throw new DependencyError('this coordinator runs without security (SHOAL_INSECURE=1): leaf sites need the secured bus');
    return this.security.store;
  }
}
