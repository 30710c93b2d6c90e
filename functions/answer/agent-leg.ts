import type { Deps } from '../shared/deps.js';
import type { Result } from '../shared/http/middleware.js';
import { xml } from '../shared/http/respond.js';
import { answerAgentLeg } from '../shared/operations/agent-leg.js';

/**
 * The agent leg of a business-initiated call answered (answer URL `?call=<call id>`): bridged to the
 * WhatsApp user, unless the permission no longer allows it (the agent is told why).
 */
export const answerOutboundLeg = async (deps: Deps, callId: string): Promise<Result> => {
  const outcome = await answerAgentLeg(deps, callId);
  if (outcome.kind === 'not_permitted') {
    deps.logger.info('agent leg answered, user not dialed: the permission no longer allows it', {
      callId,
      refusal: outcome.refusal,
    });
  }
  if (outcome.kind === 'unknown_call') {
    deps.logger.warn('answer for an unknown business-initiated call', { callId });
  }
  return xml(outcome.document);
};
