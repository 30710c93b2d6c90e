import * as z from 'zod';
import type { Deps } from '../shared/deps.js';
import { pathPair } from '../shared/http/business-pair.js';
import { HttpError } from '../shared/http/errors.js';
import { businessApi, type LambdaHandler } from '../shared/http/middleware.js';
import { json } from '../shared/http/respond.js';
import { correctPermission } from '../shared/operations/permission-correction.js';
import type {
  CorrectionRefusal,
  PermissionCorrection,
  PermissionSettings,
} from '../shared/rules/permission.js';

const bodySchema = z.strictObject({
  status: z.enum(['temporary', 'permanent', 'rejected', 'revoked', 'none']),
  expiresAt: z.iso
    .datetime({ offset: true, message: 'must be an ISO 8601 time such as 2027-01-31T12:00:00Z' })
    .transform((at) => Date.parse(at))
    .optional(),
});

/** `604800` → `7 days`: whole days or hours where they divide, else seconds. */
const duration = (seconds: number): string => {
  const [amount, unit] =
    seconds % 86_400 === 0
      ? [seconds / 86_400, 'day']
      : seconds % 3600 === 0
        ? [seconds / 3600, 'hour']
        : [seconds, 'second'];
  return `${amount} ${unit}${amount === 1 ? '' : 's'}`;
};

const refusalMessage = (
  refusal: CorrectionRefusal,
  status: PermissionCorrection['status'],
  settings: PermissionSettings,
): string => {
  switch (refusal) {
    case 'expiry_not_allowed':
      return 'expiresAt is only for temporary, rejected and revoked';
    case 'expiry_in_the_past':
      return 'expiresAt must be in the future';
    case 'expiry_too_late':
      return status === 'temporary'
        ? `expiresAt must be at most ${duration(settings.permissionSeconds)} from now (permissionSeconds): a temporary permission lasts no longer; send status permanent for a permanent one`
        : `expiresAt must be at most ${duration(settings.refusalStandsSeconds)} from now (refusalStandsSeconds): a ${status} permission stands no longer`;
  }
};

/**
 * PUT /v1/permissions/{business}/{user}: an operator's correction of the permission state (source
 * `manual`), answered with the state view as GET shows it.
 */
export const createHandler = (deps: Deps): LambdaHandler =>
  businessApi(deps, async (request) => {
    const { business, user } = pathPair(deps.config, request.pathParameters);
    const correction = bodySchema.parse(request.body);
    const outcome = await correctPermission(deps, business, user, correction);
    if (outcome.kind === 'refused') {
      throw new HttpError(
        400,
        'invalid_request',
        refusalMessage(outcome.refusal, correction.status, deps.config.rules),
      );
    }
    deps.logger.info('permission corrected by an operator', { status: correction.status });
    return json(200, { business: business.e164, user: user.e164, ...outcome.view });
  });
