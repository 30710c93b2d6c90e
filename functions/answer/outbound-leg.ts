import type { Deps } from '../shared/deps.js';
import { HttpError } from '../shared/http/errors.js';
import type { ParsedRequest } from '../shared/http/request.js';
import type { Result } from '../shared/http/middleware.js';

/** The agent leg of a business-initiated call answered: bridge it to the WhatsApp user. */
export const answerOutboundLeg = async (_deps: Deps, _request: ParsedRequest): Promise<Result> => {
  throw new HttpError(501, 'not_implemented', 'Business-initiated calls are not implemented yet');
};
