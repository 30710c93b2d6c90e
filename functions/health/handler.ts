import type { Deps } from '../shared/deps.js';
import { type LambdaHandler, openRoute } from '../shared/http/middleware.js';
import { json } from '../shared/http/respond.js';

/** Liveness: the function runs and its configuration loaded. */
export const createHandler = (deps: Deps): LambdaHandler =>
  openRoute(deps, async () =>
    json(200, {
      status: 'ok',
      businessNumbers: deps.config.numbers.length,
      time: new Date(deps.clock()).toISOString(),
    }),
  );
