import { Body, Controller, Delete, Get, HttpCode, Param, Post } from '@nestjs/common';
import type { ScheduleRemovedReply, ScheduleView } from '@shoal/protocol';
import { SchedulesService } from './schedules.service.js';
import { RequireScope } from './security/access.js';

/** HTTP API of cron schedules. */
@Controller('schedules')
export class SchedulesController {
  constructor(private readonly schedules: SchedulesService) {}

  /** Registers a plan that declares `schedule:` (YAML or JSON body); 201 with the schedule and its next fire time. */
  @Post()
  @RequireScope('operate')
  @HttpCode(201)
  register(@Body() body: unknown): Promise<ScheduleView> {
    return this.schedules.register(body);
  }

  /** Every registered schedule with its next fire time, by name. */
  @Get()
  @RequireScope('read')
  list(): Promise<ScheduleView[]> {
    return this.schedules.list();
  }

  /** Unregisters a schedule (runs it started are kept). */
  @Delete(':name')
  @RequireScope('operate')
  remove(@Param('name') name: string): Promise<ScheduleRemovedReply> {
    return this.schedules.remove(name);
  }
}
