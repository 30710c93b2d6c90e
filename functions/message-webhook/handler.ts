import type { Deps } from '../shared/deps.js';
import { HttpError } from '../shared/http/errors.js';
import { type LambdaHandler, plivoWebhook } from '../shared/http/middleware.js';
import { json } from '../shared/http/respond.js';
import { parsePhoneNumber } from '../shared/numbers.js';
import { readInboundMessage } from '../shared/plivo/permission-reply.js';
import { decisionFromReply } from '../shared/rules/permission.js';
import { applyPermissionDecision } from '../shared/store/permissions.js';

/**
 * WhatsApp message webhook. A call-permission reply from the user (`From`) to the business number
 * (`To`) replaces the pair's permission; every other message or status is acknowledged and ignored.
 * Always 200 for what is understood, so Plivo does not retry it.
 */
export const createHandler = (deps: Deps): LambdaHandler =>
  plivoWebhook(
    deps,
    async (request) => {
      const message = readInboundMessage(request.body);
      if (message.kind === 'other') {
        deps.logger.info('message ignored: not a call-permission reply', {
          description: message.description,
          messageUuid: message.messageUuid,
        });
        return json(200, { outcome: 'ignored', reason: 'not_a_permission_reply' });
      }
      const user = parsePhoneNumber(message.from);
      const business = parsePhoneNumber(message.to);
      if (!user || !business) {
        throw new HttpError(
          400,
          'invalid_number',
          `${user ? 'To' : 'From'} is not a valid phone number`,
        );
      }
      if (!deps.config.numbers.some((n) => n.number === business.e164)) {
        deps.logger.warn('call-permission reply to an unconfigured business number ignored', {
          messageUuid: message.messageUuid,
        });
        return json(200, { outcome: 'ignored', reason: 'unknown_business_number' });
      }
      if (!message.messageUuid) {
        deps.logger.warn('call-permission reply without MessageUUID: applied without dedupe');
      }
      const now = deps.clock();
      const decision = decisionFromReply(message.reply, now, deps.config.rules);
      const outcome = await applyPermissionDecision(deps.db, {
        business: business.e164,
        user: user.e164,
        decision,
        now,
        messageUuid: message.messageUuid,
        v2Nonce: request.signature?.version === 'v2' ? request.signature.nonce : undefined,
      });
      if (outcome === 'replayed_signature') {
        throw new HttpError(403, 'bad_signature', 'This V2 signature was already used');
      }
      deps.logger.info('call-permission reply', {
        outcome,
        permission: decision.permission,
        messageUuid: message.messageUuid,
      });
      return json(200, {
        outcome,
        ...(outcome === 'applied' ? { permission: decision.permission } : {}),
      });
    },
    { acceptV2: true },
  );
