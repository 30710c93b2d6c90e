import type { CorrectionRefused } from '../operations/permission-correction.js';
import type { RequestRefusal } from '../rules/permission-request.js';
import type { PlacementRefusal } from '../rules/place-call.js';
import type { BsuidRefusal } from '../rules/user-link.js';
import type { TelephonyError } from '../telephony/port.js';
import { HttpError } from './errors.js';

/** How each refusal of the rules reads over HTTP: its status and a message safe to show. */
const refusalMessages: Record<
  (PlacementRefusal | RequestRefusal | BsuidRefusal)['code'],
  [status: number, message: string]
> = {
  country_restricted: [403, 'Business-initiated calls are not available from business numbers'],
  no_permission: [403, 'The user has not granted this business number permission to call'],
  permission_expired: [403, "The user's call permission has expired; ask for it again"],
  permission_revoked: [403, 'The call permission was revoked'],
  permission_rejected: [403, 'The user declined the call permission request'],
  daily_call_limit: [429, 'The daily limit of business-initiated calls to this user is reached'],
  concurrency_limit: [429, 'The business number is at its limit of simultaneous calls'],
  cps_limit: [429, "The account's calls-per-second limit is reached"],
  number_paused: [
    403,
    'Meta has paused business-initiated calls and permission requests from this business number',
  ],
  permission_active: [409, 'The user has already granted call permission'],
  request_limit: [429, 'Permission request limit reached for this user'],
  bsuid_not_dialable: [
    422,
    'The user is known by a business-scoped user ID alone, and Plivo documents no way to call one',
  ],
  bsuid_not_messageable: [
    422,
    'The user is known by a business-scoped user ID alone, and Plivo documents no way to message one',
  ],
};

/**
 * `detail` completes the message (e.g. the limits that apply). `retryAfter` (and the Retry-After header)
 * only where the same request may succeed then; a call that only a new permission can let through says
 * when a permission request may be sent instead.
 */
export const refusalError = (
  refusal: PlacementRefusal | RequestRefusal | BsuidRefusal,
  detail = '',
): HttpError => {
  const [status, message] = refusalMessages[refusal.code];
  if ('requestPermissionAfter' in refusal) {
    const seconds = refusal.requestPermissionAfter;
    return new HttpError(
      status,
      refusal.code,
      `${message}${detail}; a call needs a new permission first: a permission request may be sent ${seconds === 0 ? 'now' : `in ${seconds} s`}`,
      undefined,
      seconds,
    );
  }
  if (refusal.code === 'number_paused') {
    const pausedUntil = new Date(refusal.pausedUntil).toISOString();
    return new HttpError(
      status,
      refusal.code,
      `${message} until ${pausedUntil} (${refusal.reason})${detail}`,
      refusal.retryAfter,
      undefined,
      { reason: refusal.reason, pausedUntil },
    );
  }
  return new HttpError(
    status,
    refusal.code,
    `${message}${detail}`,
    'retryAfter' in refusal ? refusal.retryAfter : undefined,
  );
};

/** A business-initiated call the rules refused (POST /v1/calls, POST /v1/call-intents). */
export const placementRefusalError = (refusal: PlacementRefusal): HttpError =>
  refusalError(
    refusal,
    refusal.code === 'country_restricted'
      ? ` in ${refusal.country ?? 'an unknown country'}`
      : 'requestPermissionAfter' in refusal &&
          (refusal.code === 'daily_call_limit' || refusal.code === 'cps_limit')
        ? ', and the permission ends before it frees'
        : '',
  );

const plivoFailure = (what: string, error: TelephonyError): string => {
  switch (error.kind) {
    case 'refused':
      return `Plivo refused ${what}${error.status ? ` (HTTP ${error.status})` : ''}`;
    case 'timeout':
      return 'Plivo did not answer in time';
    case 'unreadable':
      return `Plivo's answer to ${what} could not be read`;
    case 'unreachable':
      return 'Plivo could not be reached';
  }
};

/** Plivo did not take a request (`what`): 502, and nothing stays counted. */
export const plivoError = (what: string, error: TelephonyError): HttpError =>
  new HttpError(502, 'plivo_error', `${plivoFailure(what, error)}; nothing was counted`);

/** Plivo may have carried out a request (`what`) it gave no readable answer to: 502, and it stays counted. */
export const plivoOutcomeUnknown = (what: string, error: TelephonyError): HttpError =>
  new HttpError(
    502,
    'plivo_outcome_unknown',
    `${plivoFailure(what, error)}; it may have been sent, so it stays counted`,
  );

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

/** An operator's correction refused: 400 naming what is wrong, and the bound an expiry passed. */
export const correctionRefusalError = (refused: CorrectionRefused): HttpError =>
  new HttpError(400, 'invalid_request', correctionRefusalMessage(refused));

const correctionRefusalMessage = (refused: CorrectionRefused): string => {
  switch (refused.refusal) {
    case 'expiry_not_allowed':
      return 'expiresAt is only for temporary, rejected and revoked';
    case 'expiry_in_the_past':
      return 'expiresAt must be in the future';
    case 'expiry_too_late': {
      const { bound, status } = refused;
      const most = `expiresAt must be at most ${duration(bound.seconds)} from now (${bound.setting})`;
      return status === 'temporary'
        ? `${most}: a temporary permission lasts no longer; send status permanent for a permanent one`
        : `${most}: a ${status} permission stands no longer`;
    }
  }
};
