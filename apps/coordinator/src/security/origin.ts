/** The request headers the CSRF check reads. */
export interface OriginHeaders {
  origin?: string;
  host?: string;
  'sec-fetch-site'?: string;
}

/**
 * Why a request is refused as a cross-site (CSRF) request, or undefined when it is not one.
 * Browsers send `Origin` on every cross-origin request and every POST; a request carrying one
 * must come from the coordinator's own origin (`<scheme>://<Host>` of the request, or the origin
 * of SHOAL_PUBLIC_URL). `Sec-Fetch-Site: cross-site` is refused too. Non-browser clients (the
 * CLI, curl, node-agents) send neither header and are judged by their token alone.
 */
export function crossSiteReason(h: OriginHeaders, scheme: string, publicUrl?: string): string | undefined {
  if (h['sec-fetch-site']?.toLowerCase() === 'cross-site') return 'cross-site browser request refused (Sec-Fetch-Site: cross-site)';
  if (h.origin === undefined) return undefined;
  const own = [...new Set([h.host ? originOf(`${scheme}://${h.host}`) : undefined, publicUrl ? originOf(publicUrl) : undefined].filter((o): o is string => !!o))];
  const origin = originOf(h.origin);
  if (origin && own.includes(origin)) return undefined;
  return `request from origin ${JSON.stringify(h.origin)} refused: only ${own.join(' or ') || "the coordinator's own origin"} may call this API from a browser`;
}

/** The normalised origin (`scheme://host[:port]`, default port dropped) of a URL, or undefined. */
function originOf(url: string): string | undefined {
  try {
    const u = new URL(url);
    return u.protocol === 'http:' || u.protocol === 'https:' ? u.origin.toLowerCase() : undefined;
  } catch {
    return undefined;
  }
}
