import type { Deps } from '../shared/deps.js';
import { HttpError } from '../shared/http/errors.js';
import { businessApi, type LambdaHandler } from '../shared/http/middleware.js';

export const createHandler = (deps: Deps): LambdaHandler =>
  businessApi(deps, async () => {
    throw new HttpError(501, 'not_implemented', 'This route is not implemented yet');
  });
