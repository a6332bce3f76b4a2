import { Controller, Get, Param, Res } from '@nestjs/common';
import type { FastifyReply } from 'fastify';
import { Public } from '../security/access.js';
import { type DashboardAsset, DashboardAssets } from './dashboard-assets.js';

/**
 * The page may load only its own scripts and styles and talk only to its own origin; no framing,
 * no inline script or style (preact and uPlot set styles through the DOM, which CSP allows).
 */
const PAGE_POLICY = "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'";

/**
 * The web dashboard: its page and static assets are public (they hold no data); every figure it
 * shows comes from the API, behind the same bearer tokens as the CLI (the page keeps the token
 * in sessionStorage, taken from the `#token=` fragment, which browsers never send).
 */
@Controller()
export class DashboardController {
  constructor(private readonly assets: DashboardAssets) {}

  @Get()
  @Public()
  async page(@Res() reply: FastifyReply): Promise<void> {
    await send(reply, await this.assets.index(), 'no-cache');
  }

  @Get('assets/:name')
  @Public()
  async asset(@Param('name') name: string, @Res() reply: FastifyReply): Promise<void> {
    await send(reply, await this.assets.asset(name), 'no-cache');
  }
}

function send(reply: FastifyReply, a: DashboardAsset, cache: string) {
  return reply
    .header('content-type', a.type)
    .header('cache-control', cache)
    .header('x-content-type-options', 'nosniff')
    .header('referrer-policy', 'no-referrer')
    .header('content-security-policy', PAGE_POLICY)
    .send(a.body);
}
