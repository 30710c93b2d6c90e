import { randomUUID } from 'node:crypto';
import * as z from 'zod';
import type { Deps } from '../shared/deps.js';
import { businessPair } from '../shared/http/business-pair.js';
import { HttpError } from '../shared/http/errors.js';
import { businessApi, type LambdaHandler } from '../shared/http/middleware.js';
import { json } from '../shared/http/respond.js';
import { plivoDigits } from '../shared/numbers.js';
import { requestRefusal } from '../shared/rules/permission.js';
import { releasePermissionRequest, reservePermissionRequest } from '../shared/store/permissions.js';
import { TelephonyError } from '../shared/telephony/port.js';

const bodySchema = z.object({
  from: z.string('is required: the business number'),
  to: z.string('is required: the user number'),
});

/**
 * Sends the call-permission request template to a user. The request is counted first (one conditional
 * write that also refuses it while a permission is active or a window is full), then sent; if Plivo
 * does not take it, the count is undone, so parallel callers can never send more than the limits allow.
 */
export const createHandler = (deps: Deps): LambdaHandler =>
  businessApi(deps, async (request) => {
    const body = bodySchema.parse(request.body);
    const { business, user, number } = businessPair(deps.config, {
      business: body.from,
      user: body.to,
    });
    const rules = deps.config.rules;
    const now = deps.clock();
    const requestId = randomUUID();
    const pairKey = { business: business.e164, user: user.e164 };
    const reservation = await reservePermissionRequest(deps.db, {
      ...pairKey,
      requestId,
      now,
      rules,
    });
    if (!reservation.reserved) {
      const refusal = requestRefusal(reservation.pair, now, rules);
      if (refusal?.code === 'permission_active') {
        throw new HttpError(
          409,
          'permission_active',
          'The user has already granted call permission',
        );
      }
      // The condition and the rules agree; should they not (slots out of order after clock skew), refuse briefly.
      throw new HttpError(
        429,
        'request_limit',
        `Permission request limit reached for this user: at most ${rules.permissionRequests.per24Hours} per 24 h and ${rules.permissionRequests.per7Days} per 7 days`,
        refusal?.retryAfter ?? 1,
      );
    }
    try {
      const sent = await deps.telephony.sendTemplate({
        src: plivoDigits(business.e164),
        dst: plivoDigits(user.e164),
        type: 'whatsapp',
        template: {
          name: number.permissionTemplate.name,
          language: number.permissionTemplate.language,
        },
      });
      deps.logger.info('call-permission request sent', { messageUuid: sent.messageUuid });
      return json(202, {
        messageId: sent.messageUuid,
        from: business.e164,
        to: user.e164,
        requestedAt: new Date(now).toISOString(),
      });
    } catch (error) {
      const released = await releasePermissionRequest(deps.db, {
        ...pairKey,
        requestId,
        now,
        rules,
        previousSlots: reservation.previousSlots,
      }).catch((releaseError: unknown) => {
        deps.logger.error('permission request not released after a failed send', {
          error: releaseError as Error,
        });
        return false;
      });
      deps.logger.warn('call-permission request not sent', { error: error as Error, released });
      if (error instanceof TelephonyError) {
        throw new HttpError(
          502,
          'plivo_error',
          `Plivo did not send the template: ${error.message}`,
        );
      }
      throw error;
    }
  });
