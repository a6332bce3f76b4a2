import { Controller, Get, Param, Query } from '@nestjs/common';
import { LOG_RENDERS, type LogRender, NotFoundError, type TaskLogReply, ValidationError } from '@shoal/protocol';
import { renderTerminal } from '@shoal/runtime';
import { NodeControlService } from './node-control.service.js';
import { OutputRing } from './output-ring.js';
import { RunsService } from './runs.service.js';
import { RequireScope } from './security/access.js';

/** A task's output: the coordinator's bounded ring of streamed output, or the node's log file. */
@Controller('runs')
export class TaskLogsController {
  constructor(
    private readonly runs: RunsService,
    private readonly ring: OutputRing,
    private readonly control: NodeControlService,
  ) {}

  /**
   * `GET /runs/:id/tasks/:taskId/logs` -> the streamed tail kept here (rendered as text on the
   * node); with `?source=node` the tail of the log file on the task's node (`bytes`, default 64
   * KiB; `attempt`, default the latest; `render=text` (default) plays it in a headless terminal
   * and gives the text, `render=raw` the bytes as recorded).
   */
  @Get(':id/tasks/:taskId/logs')
  @RequireScope('read')
  async logs(@Param('id') runId: string, @Param('taskId') taskId: string, @Query('source') source?: string, @Query('bytes') bytes?: string, @Query('attempt') attempt?: string, @Query('render') render?: string): Promise<TaskLogReply> {
    const run = await this.runs.get(runId);
    const task = run.tasks.find((t) => t.id === taskId);
    if (!task) throw new NotFoundError(`no task ${taskId} in run ${runId}`);
    if (render !== undefined && !LOG_RENDERS.includes(render as LogRender)) throw new ValidationError([{ path: 'render', message: `must be one of ${LOG_RENDERS.join(', ')}` }]);
    if (source === 'node') {
      if (!task.nodeId) throw new NotFoundError(`task ${taskId} has not run on any node yet`);
      const n = bytes === undefined ? undefined : Number(bytes);
      const a = attempt === undefined ? undefined : Number(attempt);
      if (n !== undefined && !(Number.isInteger(n) && n >= 1 && n <= 256 * 1024)) throw new ValidationError([{ path: 'bytes', message: 'must be an integer from 1 to 262144' }]);
      if (a !== undefined && !(Number.isInteger(a) && a >= 1 && a <= 100)) throw new ValidationError([{ path: 'attempt', message: 'must be an integer from 1 to 100' }]);
      const r = await this.control.logTail(task.nodeId, runId, taskId, a ?? task.attempt, n);
      if (!r.ok) throw new NotFoundError(r.message);
      const raw = r.data ?? '';
      const as: LogRender = render === 'raw' ? 'raw' : 'text';
      return { runId, taskId, attempt: a ?? task.attempt, source: 'node', nodeId: task.nodeId, file: r.message, render: as, text: as === 'raw' ? raw : await renderTerminal(raw) };
    }
    if (render === 'raw') throw new ValidationError([{ path: 'render', message: 'raw bytes come from the log file on the node: add source=node' }]);
    const tail = this.ring.get(runId, taskId);
    return { runId, taskId, attempt: tail?.attempt ?? task.attempt, source: 'stream', state: task.state, truncated: tail?.truncated ?? false, render: 'text', text: tail?.text ?? '' };
  }
}
