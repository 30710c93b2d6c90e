import type { Deps } from '../shared/deps.js';
import { HttpError } from '../shared/http/errors.js';
import { type LambdaHandler, plivoWebhook } from '../shared/http/middleware.js';
import { json } from '../shared/http/respond.js';
import { applyPermissionReply } from '../shared/operations/permission-reply.js';
import { readInboundMessage } from '../shared/plivo/permission-reply.js';

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
      if (message.kind === 'invalid') throw new HttpError(400, 'invalid_request', message.message);
      if (message.kind === 'other') {
        deps.logger.info('message ignored: not a call-permission reply', {
          description: message.description,
          messageUuid: message.messageUuid,
        });
        return json(200, { outcome: 'ignored', reason: 'not_a_permission_reply' });
      }
      if (!message.messageUuid) {
        deps.logger.warn('call-permission reply without MessageUUID: applied without dedupe');
      }
      const v2Nonce = request.signature?.version === 'v2' ? request.signature.nonce : undefined;
      const outcome = await applyPermissionReply(deps, message, v2Nonce);
      const messageUuid = message.messageUuid;
      switch (outcome.kind) {
        case 'invalid_number':
          throw new HttpError(
            400,
            'invalid_number',
            `${outcome.field} is not a valid phone number`,
          );
        case 'unknown_business_number':
          deps.logger.warn('call-permission reply to an unconfigured business number ignored', {
            messageUuid,
          });
          return json(200, { outcome: 'ignored', reason: 'unknown_business_number' });
        case 'replayed_signature':
          throw new HttpError(403, 'bad_signature', 'This V2 signature was already used');
        case 'duplicate':
          deps.logger.info('call-permission reply', { outcome: outcome.kind, messageUuid });
          return json(200, { outcome: outcome.kind });
        case 'applied':
          deps.logger.info('call-permission reply', {
            outcome: outcome.kind,
            permission: outcome.permission,
            messageUuid,
          });
          return json(200, { outcome: outcome.kind, permission: outcome.permission });
      }
    },
    { acceptV2: true },
  );
