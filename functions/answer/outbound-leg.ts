import { plivoPaths } from '../../infra/routes.js';
import type { Deps } from '../shared/deps.js';
import type { Result } from '../shared/http/middleware.js';
import type { ParsedRequest } from '../shared/http/request.js';
import { xml } from '../shared/http/respond.js';
import { plivoDigits } from '../shared/numbers.js';
import { element, renderPlivoXml } from '../shared/plivo/xml.js';
import { callIdSchema } from '../shared/store/calls.js';
import { markDialed } from '../shared/store/outbound.js';

/** How long the WhatsApp user's phone rings before the dial counts as unanswered. */
export const userRingSeconds = 45;

/**
 * The agent leg of a business-initiated call answered (answer URL `?call=<call id>`): bridge it to
 * the WhatsApp user. `<Dial callType="whatsapp">` goes through callgate's own XML builder because
 * the SDK's builder rejects the `callType` attribute.
 */
export const answerOutboundLeg = async (deps: Deps, request: ParsedRequest): Promise<Result> => {
  const callId = request.query.call ?? '';
  const call = callIdSchema.safeParse(callId).success
    ? await markDialed(deps.db, callId, deps.clock())
    : undefined;
  if (call?.direction !== 'outbound') {
    deps.logger.warn('answer for an unknown business-initiated call', { callId });
    return xml(
      renderPlivoXml([
        element('Speak', {}, ['This call could not be connected.']),
        element('Hangup'),
      ]),
    );
  }
  return xml(
    renderPlivoXml([
      element(
        'Dial',
        {
          callerId: plivoDigits(call.business),
          callType: 'whatsapp',
          action: `${deps.publicBaseUrl}${plivoPaths.dialStatus}?call=${call.callId}`,
          method: 'POST',
          timeout: userRingSeconds,
          timeLimit: deps.config.rules.maxCallSeconds,
        },
        [element('User', {}, [plivoDigits(call.user)])],
      ),
    ]),
  );
};
