import { Body, Controller, Delete, HttpCode, Logger, Param, Post, Req } from '@nestjs/common';
import { type EnrolReply, EnrolRequest, type NodeRemovedReply } from '@shoal/protocol';
import { Public, RequireScope } from './access.js';
import { type AuthorizedRequest, actor } from './api-auth.guard.js';
import { EnrolmentService } from './enrolment.service.js';
import { parseBody } from './parse-body.js';

/** `POST /enrol` (authenticated by the join token in its body) and `DELETE /nodes/:id`. */
@Controller()
export class EnrolmentController {
  private readonly log = new Logger('enrolment');

  constructor(private readonly enrolment: EnrolmentService) {}

  /** A host exchanges a one-time join token for the right to connect to NATS with its own key. */
  @Post('enrol')
  @Public()
  @HttpCode(200)
  enrol(@Body() body: unknown): Promise<EnrolReply> {
    return this.enrolment.enrol(parseBody(EnrolRequest, body));
  }

  /** Removes a node: credentials revoked on the bus at once, its unfinished tasks re-placed. */
  @Delete('nodes/:id')
  @RequireScope('admin')
  remove(@Param('id') id: string, @Req() req: AuthorizedRequest): Promise<NodeRemovedReply> {
    this.log.warn(`removal of node ${id} requested${actor(req)}`);
    return this.enrolment.remove(id);
  }
}
