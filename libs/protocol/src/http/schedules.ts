/** `GET /schedules`, and `POST /schedules` (201): a registered cron schedule of a plan. */
export interface ScheduleView {
  /** The plan's name. */
  name: string;
  expression: string;
  timezone: string;
  /** Registration time: only fire times after it are due. */
  since: number;
  /** The fire time last claimed (written before its run is started). */
  lastFiredAt?: number;
  /** Ids of the latest runs it started, newest last. */
  runs: string[];
  lastReason?: string;
  /** The next fire time, when there is one. */
  nextAt?: number;
}

/** `DELETE /schedules/:name`. */
export interface ScheduleRemovedReply {
  deleted: string;
}
