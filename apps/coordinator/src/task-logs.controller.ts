import { Controller, Get, Param, Query } from '@nestjs/common';
import { NotFoundError, type TaskLogReply, ValidationError } from '@shoal/protocol';
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
   * `GET /runs/:id/tasks/:taskId/logs` -> the streamed tail kept here; with `?source=node` the tail
   * of the log file on the task's node (`bytes`, default 64 KiB; `attempt`, default the latest).
   */
  @Get(':id/tasks/:taskId/logs')
  @RequireScope('read')
  async logs(@Param('id') runId: string, @Param('taskId') taskId: string, @Query('source') source?: string, @Query('bytes') bytes?: string, @Query('attempt') attempt?: string): Promise<TaskLogReply> {
    const run = await this.runs.get(runId);
    const task = run.tasks.find((t) => t.id === taskId);
    if (!task) throw new NotFoundError(`no task ${taskId} in run ${runId}`);
    if (source === 'node') {
      if (!task.nodeId) throw new NotFoundError(`task ${taskId} has not run on any node yet`);
      const n = bytes === undefined ? undefined : Number(bytes);
      const a = attempt === undefined ? undefined : Number(attempt);
      if (n !== undefined && !(Number.isInteger(n) && n >= 1 && n <= 256 * 1024)) throw new ValidationError([{ path: 'bytes', message: 'must be an integer from 1 to 262144' }]);
      if (a !== undefined && !(Number.isInteger(a) && a >= 1 && a <= 100)) throw new ValidationError([{ path: 'attempt', message: 'must be an integer from 1 to 100' }]);
      const r = await this.control.logTail(task.nodeId, runId, taskId, a ?? task.attempt, n);
      if (!r.ok) throw new NotFoundError(r.message);
      return { runId, taskId, attempt: a ?? task.attempt, source: 'node', nodeId: task.nodeId, file: r.message, text: r.data ?? '' };
    }
    const tail = this.ring.get(runId, taskId);
    return { runId, taskId, attempt: tail?.attempt ?? task.attempt, source: 'stream', state: task.state, truncated: tail?.truncated ?? false, text: tail?.text ?? '' };
  }
}
