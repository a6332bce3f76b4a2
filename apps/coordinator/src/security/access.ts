import { SetMetadata } from '@nestjs/common';
import type { Scope } from '@shoal/protocol';

/** What a route needs: a token of at least this scope, or nothing (`public`). */
export type Access = Scope | 'public';

/** Metadata key of a route's (or controller's) access declaration. */
export const ACCESS_KEY = 'shoal:access';

/** The route needs a bearer token whose scope is at least `scope`. */
export const RequireScope = (scope: Scope) => SetMetadata(ACCESS_KEY, scope satisfies Access);

/**
 * The route takes no token (`/healthz`, and `/enrol`, which authenticates by the join token in
 * its body). Browser requests from a foreign origin are refused all the same.
 */
export const Public = () => SetMetadata(ACCESS_KEY, 'public' satisfies Access);

/**
 * What an agent's task token (`shc1.`, its SHOAL_CACHE_TOKEN: claims run, team, expiry) may do on
 * a route, besides `/cache` (which checks it itself): `own-run` — the route's `:id` must be the
 * token's run (its status, its tasks' screens and send); `entry` — any valid task token passes
 * (`POST /mcp`, whose tools go through the API again with the same token). A route without this
 * declaration refuses task tokens (403).
 */
export type TaskTokenReach = 'own-run' | 'entry';

/** Metadata key of a route's {@link TaskTokenReach}. */
export const TASK_TOKEN_KEY = 'shoal:task-token';

/** The route also opens to a task token, as far as `reach` says (see {@link TaskTokenReach}). */
export const TaskTokenMay = (reach: TaskTokenReach) => SetMetadata(TASK_TOKEN_KEY, reach);
