import { Body, Controller, Delete, Get, HttpCode, Param, Post } from '@nestjs/common';
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
  register(@Body() body: unknown) {
    return this.schedules.register(body);
  }

  @Get()
  @RequireScope('read')
  list() {
    return this.schedules.list();
  }

  @Delete(':name')
  @RequireScope('operate')
  remove(@Param('name') name: string) {
    return this.schedules.remove(name);
  }
}
