import { Controller, Get, type OnModuleDestroy, Req, Res } from '@nestjs/common';
import type { RunEvent } from '@shoal/protocol';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { EventBus } from '../event-bus.js';
import { LeadershipService } from '../leadership/leadership.service.js';
import { StoredRuns } from '../leadership/stored-runs.js';
import { OpenStreams } from '../open-streams.js';
import { RunsService } from '../runs.service.js';
import { RequireScope } from '../security/access.js';

/** Interval of the comment lines that keep idle streams (and proxies) open. */
const KEEP_ALIVE_MS = 15_000;

/**
 * `GET /events`: the fleet's live stream for the dashboard. A `runs` event with the run list
 * first, then every run, phase, task and check-in event of every run (task output is left out:
 * it is fetched per task from `/runs/:id/tasks/:task/logs`). Never ends by itself: the streams
 * still open are ended when the coordinator shuts down (an open response would hold the HTTP
 * server's close, and the process, until killed).
 */
@Controller()
export class FleetEventsController implements OnModuleDestroy {
  private readonly open = new OpenStreams();

  constructor(
    private readonly runs: RunsService,
    private readonly bus: EventBus,
    private readonly leadership: LeadershipService,
    private readonly stored: StoredRuns,
  ) {}

  @Get('events')
  @RequireScope('read')
  async events(@Req() req: FastifyRequest, @Res() reply: FastifyReply): Promise<void> {
    this.open.assertOpen();
    const list = this.leadership.role === 'standby' ? await this.stored.list() : this.runs.list();
    reply.hijack();
    const res = reply.raw;
    res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache', connection: 'keep-alive' });
    const send = (event: string, data: unknown) => res.write(`event: ${event}\ndata: ${JSON.stringify(data)}\n\n`);
    send('runs', list);
    const keepAlive = setInterval(() => res.write(': keep-alive\n\n'), KEEP_ALIVE_MS);
    const off = this.bus.onAny((e: RunEvent) => {
      if (e.type !== 'output') send(e.type, e);
    });
    const stop = () => {
      clearInterval(keepAlive);
      off();
      forget();
    };
    const end = () => {
      stop();
      res.end();
    };
    const forget = this.open.add(end);
    req.raw.on('close', stop);
  }

  /** Ends every open stream and refuses new ones (Nest calls this before it closes the HTTP server). */
  onModuleDestroy(): void {
    this.open.endAll();
  }
}
