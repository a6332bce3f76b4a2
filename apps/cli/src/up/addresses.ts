import { isLoopback, localHost, urlHost } from './network.js';

/** Where the parts of a control host are reached, from this host and from others. */
export interface ClusterAddresses {
  /** The API as processes on this host reach it. */
  api: string;
  /** The API as other hosts reach it (join command, allowed Origin). */
  publicUrl: string;
  /** NATS as the coordinator and the local node-agent reach it. */
  natsLocal: string;
  /** NATS as joined hosts reach it (handed to them at enrolment). */
  natsPublic: string;
  /** True when other hosts can reach the listeners (not loopback). */
  exposed: boolean;
}

/**
 * The URLs of a control host. With TLS, local clients use the advertised name too: the certificate
 * is made out to it. A wildcard listen address is reached locally on loopback. Pure.
 */
export function clusterAddresses(o: { listen: string; advertise: string; apiPort: number; natsPort: number; tls: boolean }): ClusterAddresses {
  const natsScheme = o.tls ? 'tls' : 'nats';
  const local = urlHost(o.tls ? o.advertise : localHost(o.listen));
  const publicUrl = `${o.tls ? 'https' : 'http'}://${urlHost(o.advertise)}:${o.apiPort}`;
  return {
    api: o.tls ? publicUrl : `http://${local}:${o.apiPort}`,
    publicUrl,
    natsLocal: `${natsScheme}://${local}:${o.natsPort}`,
    natsPublic: `${natsScheme}://${urlHost(o.advertise)}:${o.natsPort}`,
    exposed: !isLoopback(o.listen),
  };
}
