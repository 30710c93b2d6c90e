import type { Deps } from '../shared/deps.js';
import { type LambdaHandler, openRoute } from '../shared/http/middleware.js';
import { json } from '../shared/http/respond.js';
import { health } from '../shared/operations/health.js';

/** Liveness: the function runs and its configuration loaded. */
export const createHandler = (deps: Deps): LambdaHandler =>
  openRoute(deps, async () => json(200, health(deps)));
