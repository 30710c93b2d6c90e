import type { Deps } from '../shared/deps.js';
import { HttpError } from '../shared/http/errors.js';
import {
  type LambdaHandler,
  plivoWebhook,
  replayedSignature,
  v2NonceUse,
} from '../shared/http/middleware.js';
import { json } from '../shared/http/respond.js';
import {
  type AccountUpdateApplied,
  applyPermissionReply,
  recordV2Nonce,
} from '../shared/operations/permission-reply.js';

/**
 * Meta's account update: 200 whatever it said, so Plivo never retries it. What was restricted is logged
 * (numbers masked); what could not be applied is logged as a warning and counted (AccountUpdatesIgnored).
 */
const accountUpdateAnswer = (deps: Deps, outcome: AccountUpdateApplied) => {
  for (const applied of outcome.applied) {
    deps.logger.warn('business number restricted by Meta', {
      business: applied.business,
      restriction: applied.restriction,
      until: new Date(applied.until).toISOString(),
      untilAssumed: applied.untilAssumed,
    });
  }
  if (outcome.numberUnknown > 0) {
    deps.logger.warn(
      'account update names no readable business number: every number it could be is restricted',
      {
        changes: outcome.numberUnknown,
      },
    );
  }
  if (outcome.unknownNumbers > 0) {
    deps.logger.warn('account update for an unconfigured business number ignored', {
      changes: outcome.unknownNumbers,
    });
  }
  if (outcome.ended > 0) {
    deps.logger.info('account update ignored: its restriction had ended before it arrived', {
      changes: outcome.ended,
    });
  }
  for (const reason of outcome.unreadable) {
    deps.logger.warn('account update not understood: ignored', {
      unreadableAccountUpdate: true,
      reason,
    });
  }
  if (outcome.otherEvents.length > 0) {
    deps.logger.info('account update ignored: not about calling', { events: outcome.otherEvents });
  }
  return json(200, {
    outcome:
      outcome.applied.length > 0 ? 'applied' : outcome.duplicates > 0 ? 'duplicate' : 'ignored',
    restricted: outcome.applied.map((applied) => ({
      business: applied.business,
      restriction: applied.restriction,
      until: new Date(applied.until).toISOString(),
    })),
  });
};

/**
 * WhatsApp message webhook. A call-permission reply from the user (`From`) to the business number
 * (`To`) replaces the pair's permission; any other message from the user keeps the pair's
 * customer-service window open; every status is acknowledged and ignored.
 * Always 200 for what Plivo may send, so Plivo does not retry it: an interactive payload callgate cannot
 * read is logged with `unrecognizedInteractive: true` (a metric filter counts it) and answered 200.
 */
export const createHandler = (deps: Deps): LambdaHandler =>
  plivoWebhook(
    deps,
    async (request, context) => {
      const outcome = await applyPermissionReply(deps, request.body, v2NonceUse(request, context));
      switch (outcome.kind) {
        case 'invalid':
          throw new HttpError(400, 'invalid_request', outcome.message);
        case 'other':
          deps.logger.info('message ignored: not a call-permission reply', {
            description: outcome.description,
            messageUuid: outcome.messageUuid,
          });
          return json(200, { outcome: 'ignored', reason: 'not_a_permission_reply' });
        case 'user_message':
          deps.logger.info('user message: customer-service window', {
            window: outcome.window,
            description: outcome.description,
            messageId: outcome.messageId,
          });
          switch (outcome.window) {
            case 'opened':
            case 'kept':
              return json(200, { outcome: 'user_message', window: outcome.window });
            case 'duplicate':
              return json(200, { outcome: 'duplicate' });
            case 'invalid_number':
            case 'unknown_business_number':
              return json(200, { outcome: 'ignored', reason: outcome.window });
          }
          break;
        case 'unrecognized':
          deps.logger.warn('interactive message not understood: ignored', {
            unrecognizedInteractive: true,
            reason: outcome.reason,
            messageUuid: outcome.messageUuid,
            payload: outcome.payload,
          });
          return json(200, { outcome: 'ignored', reason: 'unrecognized_interactive' });
        case 'account_update':
          return accountUpdateAnswer(deps, outcome);
        case 'user_id_change':
          if (outcome.applied === 'linked') {
            deps.logger.info("user's business-scoped user ID changed: linked");
            return json(200, { outcome: 'user_id_changed' });
          }
          deps.logger.warn("user's business-scoped user ID change not applied", {
            applied: outcome.applied,
            reason: outcome.reason,
          });
          return json(200, { outcome: 'ignored', reason: outcome.applied });
        case 'invalid_number':
          throw new HttpError(
            400,
            'invalid_number',
            `${outcome.field} is not a valid phone number`,
          );
        case 'unknown_business_number':
          deps.logger.warn('call-permission reply to an unconfigured business number ignored', {
            messageId: outcome.messageId,
          });
          return json(200, { outcome: 'ignored', reason: 'unknown_business_number' });
        case 'replayed_signature':
          throw replayedSignature(deps);
        case 'duplicate':
        case 'stale':
          deps.logger.info('call-permission reply', {
            outcome: outcome.kind,
            messageId: outcome.messageId,
          });
          return json(200, { outcome: outcome.kind });
        case 'applied':
          deps.logger.info('call-permission reply', {
            outcome: outcome.kind,
            permission: outcome.permission,
            messageId: outcome.messageId,
          });
          return json(200, { outcome: outcome.kind, permission: outcome.permission });
      }
    },
    { acceptV2: { recordNonce: recordV2Nonce } },
  );
