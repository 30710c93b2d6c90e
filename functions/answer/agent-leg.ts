import type { Deps } from '../shared/deps.js';
import type { Result } from '../shared/http/middleware.js';
import { xml } from '../shared/http/respond.js';
import { plivoDigits } from '../shared/numbers.js';
import { answerAgentLeg } from '../shared/operations/agent-leg.js';
import { element, renderPlivoXml } from '../shared/plivo/xml.js';
import { plivoUrls } from '../shared/routes.js';

/** How long the WhatsApp user's phone rings before the dial counts as unanswered. */
export const userRingSeconds = 45;

/**
 * The agent leg of a business-initiated call answered (answer URL `?call=<call id>`): bridge it to
 * the WhatsApp user, unless the permission no longer allows it (the agent is told why). `<Dial callType="whatsapp">` goes through callgate's own XML builder because
 * the SDK's builder rejects the `callType` attribute.
 */
export const answerOutboundLeg = async (deps: Deps, callId: string): Promise<Result> => {
  const outcome = await answerAgentLeg(deps, callId);
  if (outcome.kind === 'not_permitted') {
    deps.logger.info('agent leg answered, user not dialed: the permission no longer allows it', {
      callId,
      refusal: outcome.refusal,
    });
    return xml(
      renderPlivoXml([
        element('Speak', {}, [
          "The customer's call permission no longer allows this call. The call was not placed.",
        ]),
        element('Hangup'),
      ]),
    );
  }
  if (outcome.kind === 'unknown_call') {
    deps.logger.warn('answer for an unknown business-initiated call', { callId });
    return xml(
      renderPlivoXml([
        element('Speak', {}, ['This call could not be connected.']),
        element('Hangup'),
      ]),
    );
  }
  const { call } = outcome;
  return xml(
    renderPlivoXml([
      element(
        'Dial',
        {
          callerId: plivoDigits(call.business),
          callType: 'whatsapp',
          action: plivoUrls(deps.publicBaseUrl).dialStatus(call.callId),
          method: 'POST',
          timeout: userRingSeconds,
          timeLimit: deps.config.rules.maxCallSeconds,
        },
        [element('User', {}, [plivoDigits(call.user)])],
      ),
    ]),
  );
};
