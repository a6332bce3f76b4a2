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
