import { Controller, Get } from '@nestjs/common';
import type { LeaderStatus } from '@shoal/protocol';
import { RequireScope } from '../security/access.js';
import { LeadershipService } from './leadership.service.js';

/** `GET /leader`: this replica's role and term, and the lease as it last read it. */
@Controller('leader')
export class LeadershipController {
  constructor(private readonly leadership: LeadershipService) {}

  @Get()
  @RequireScope('read')
  get(): LeaderStatus {
    return this.leadership.status();
  }
}
