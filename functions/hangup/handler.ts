import type { Deps } from '../shared/deps.js';
import { HttpError } from '../shared/http/errors.js';
import { type LambdaHandler, plivoWebhook } from '../shared/http/middleware.js';

export const createHandler = (deps: Deps): LambdaHandler =>
  plivoWebhook(deps, async () => {
    throw new HttpError(501, 'not_implemented', 'This route is not implemented yet');
  });
