import { Body, Controller, Get, Headers, HttpCode, type OnModuleDestroy, Param, Post, Query, Req, Res } from '@nestjs/common';
import type { RunEvent, RunSummary, RunView, TaskCaptureReply, TaskChooseReply, TaskKeysReply, TaskSendReply } from '@shoal/protocol';
import { ChooseOptionRequest, IDEMPOTENCY_KEY_HEADER, IDEMPOTENT_REPLAYED_HEADER, IdempotencyKey, SendKeysRequest, SendTextRequest, TERMINAL_RUN, ValidationError } from '@shoal/protocol';
import type { OperatorAction } from '@shoal/scheduler';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { EventBus } from './event-bus.js';
import { OpenStreams } from './open-streams.js';
import { LeadershipService } from './leadership/leadership.service.js';
import { StoredRuns } from './leadership/stored-runs.js';
import { RunsService } from './runs.service.js';
import { RequireScope, TaskTokenMay } from './security/access.js';
import { parseBody, parseHeader } from './security/parse-body.js';

const ACTIONS: readonly OperatorAction[] = ['retry', 'skip', 'cancel'];

/** HTTP API of runs. */
@Controller('runs')
export class RunsController implements OnModuleDestroy {
  /** Ends of the event streams still open (ended at shutdown: an open response holds the HTTP server's close). */
  private readonly openStreams = new OpenStreams();

  constructor(
    private readonly runs: RunsService,
    private readonly bus: EventBus,
    private readonly leadership: LeadershipService,
    private readonly stored: StoredRuns,
  ) {}

  /**
   * Submits a plan (YAML or JSON body). 201 with the run view; 400 with every problem listed.
   * With an `Idempotency-Key` header a retry answers the run the key started (200,
   * `Idempotent-Replayed: true`), or 409 when the key was used for another plan.
   */
  @Post()
  @RequireScope('operate')
  @HttpCode(201)
  async submit(@Body() body: unknown, @Headers(IDEMPOTENCY_KEY_HEADER.toLowerCase()) key: string | undefined, @Res({ passthrough: true }) res: FastifyReply): Promise<RunView> {
    const { view, replayed } = await this.runs.submit(body, key === undefined ? undefined : parseHeader(IDEMPOTENCY_KEY_HEADER, IdempotencyKey, key));
    if (replayed) void res.status(200).header(IDEMPOTENT_REPLAYED_HEADER, 'true');
    return view;
  }

  /** Runs newest first: the leader's from memory, a standby's from the runs bucket. */
  @Get()
  @RequireScope('read')
  list(): RunSummary[] | Promise<RunSummary[]> {
    return this.leadership.role === 'standby' ? this.stored.list() : this.runs.list();
  }

  @Get(':id')
  @RequireScope('read')
  @TaskTokenMay('own-run')
  get(@Param('id') id: string): Promise<RunView> {
    return this.runs.get(id);
  }

  @Post(':id/cancel')
  @RequireScope('operate')
  cancel(@Param('id') id: string): Promise<RunView> {
    return this.runs.cancel(id);
  }

  /** `{ text }` typed into the running task's pane, then Enter; `verified` says the text was seen before Enter. */
  @Post(':id/tasks/:taskId/send')
  @RequireScope('operate')
  @TaskTokenMay('own-run')
  send(@Param('id') id: string, @Param('taskId') taskId: string, @Body() body: unknown): Promise<TaskSendReply> {
    return this.runs.sendToTask(id, taskId, parseBody(SendTextRequest, body).text);
  }

  /** `{ keys }`: allowed tmux key names (MENU_KEYS) pressed in the running task's pane; `changed` says whether the screen changed. */
  @Post(':id/tasks/:taskId/keys')
  @RequireScope('operate')
  @TaskTokenMay('own-run')
  keys(@Param('id') id: string, @Param('taskId') taskId: string, @Body() body: unknown): Promise<TaskKeysReply> {
    return this.runs.pressKeys(id, taskId, parseBody(SendKeysRequest, body).keys);
  }

  /** `{ option }` (number or label): picks that option of the menu the agent shows, confirms it, verifies the screen changed. */
  @Post(':id/tasks/:taskId/choose')
  @RequireScope('operate')
  @TaskTokenMay('own-run')
  choose(@Param('id') id: string, @Param('taskId') taskId: string, @Body() body: unknown): Promise<TaskChooseReply> {
    return this.runs.chooseOption(id, taskId, parseBody(ChooseOptionRequest, body).option);
  }

  /** The running task's pane text (`?lines=` of history above the screen, default 0). */
  @Get(':id/tasks/:taskId/capture')
  @RequireScope('read')
  @TaskTokenMay('own-run')
  capture(@Param('id') id: string, @Param('taskId') taskId: string, @Query('lines') lines?: string): Promise<TaskCaptureReply> {
    const n = lines === undefined ? undefined : Number(lines);
    if (n !== undefined && !(Number.isInteger(n) && n >= 0 && n <= 10_000)) throw new ValidationError([{ path: 'lines', message: 'must be an integer from 0 to 10000' }]);
    return this.runs.captureTask(id, taskId, n);
  }

  /** Operator decision on a task awaiting one: retry, skip or cancel. */
  @Post(':id/tasks/:taskId/:action')
  @RequireScope('operate')
  operator(@Param('id') id: string, @Param('taskId') taskId: string, @Param('action') action: string): Promise<RunView> {
    if (!ACTIONS.includes(action as OperatorAction)) {
      throw new ValidationError([{ path: 'action', message: `must be one of ${ACTIONS.join(', ')}` }]);
    }
    return this.runs.operator(id, taskId, action as OperatorAction);
  }

  /** Server-sent events: a `snapshot` of the run, then every change until the run ends. */
  @Get(':id/events')
  @RequireScope('read')
  async events(@Param('id') id: string, @Req() req: FastifyRequest, @Res() reply: FastifyReply): Promise<void> {
    this.openStreams.assertOpen();
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
    const stop = () => {
      clearInterval(keepAlive);
      off();
      forget();
    };
    const close = () => {
      stop();
      res.end();
    };
    const forget = this.openStreams.add(close);
    req.raw.on('close', stop);
  }

  /** Ends every open event stream and refuses new ones (Nest calls this before it closes the HTTP server). */
  onModuleDestroy(): void {
    this.openStreams.endAll();
  }
}
