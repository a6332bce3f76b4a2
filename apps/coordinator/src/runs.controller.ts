import { Body, Controller, Get, HttpCode, Param, Post, Req, Res } from '@nestjs/common';
import type { RunEvent } from '@shoal/protocol';
import { TERMINAL_RUN, ValidationError } from '@shoal/protocol';
import type { OperatorAction } from '@shoal/scheduler';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { EventBus } from './event-bus.js';
import { RunsService } from './runs.service.js';

const ACTIONS: readonly OperatorAction[] = ['retry', 'skip', 'cancel'];

/** HTTP API of runs. */
@Controller('runs')
export class RunsController {
  constructor(
    private readonly runs: RunsService,
    private readonly bus: EventBus,
  ) {}

  /** Submits a plan (YAML or JSON body). 201 with the run view; 400 with every problem listed. */
  @Post()
  @HttpCode(201)
  submit(@Body() body: unknown) {
    return this.runs.submit(body);
  }

  @Get()
  list() {
    return this.runs.list();
  }

  @Get(':id')
  get(@Param('id') id: string) {
    return this.runs.get(id);
  }

  @Post(':id/cancel')
  cancel(@Param('id') id: string) {
    return this.runs.cancel(id);
  }

  /** Operator decision on a task awaiting one: retry, skip or cancel. */
  @Post(':id/tasks/:taskId/:action')
  operator(@Param('id') id: string, @Param('taskId') taskId: string, @Param('action') action: string) {
    if (!ACTIONS.includes(action as OperatorAction)) {
      throw new ValidationError([{ path: 'action', message: `must be one of ${ACTIONS.join(', ')}` }]);
    }
    return this.runs.operator(id, taskId, action as OperatorAction);
  }

  /** Server-sent events: a `snapshot` of the run, then every change until the run ends. */
  @Get(':id/events')
  async events(@Param('id') id: string, @Req() req: FastifyRequest, @Res() reply: FastifyReply): Promise<void> {
    const view = await this.runs.get(id);
    reply.hijack();
    const res = reply.raw;
    res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache', connection: 'keep-alive' });
    const send = (event: string, data: unknown) => res.write(`event: ${event}\ndata: ${JSON.stringify(data)}\n\n`);
    send('snapshot', view);
    if (TERMINAL_RUN.includes(view.state)) {
      res.end();
      return;
    }
    const keepAlive = setInterval(() => res.write(': keep-alive\n\n'), 15_000);
    const off = this.bus.on(id, (e: RunEvent) => {
      send(e.type, e);
      if (e.type === 'run' && TERMINAL_RUN.includes(e.state)) {
        void this.runs.get(id).then((v) => {
          send('snapshot', v);
          close();
        });
      }
    });
    const close = () => {
      clearInterval(keepAlive);
      off();
      res.end();
    };
    req.raw.on('close', () => {
      clearInterval(keepAlive);
      off();
    });
  }
}
