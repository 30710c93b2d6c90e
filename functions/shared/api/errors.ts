import * as z from 'zod';

/** The contract's error codes, each with the one HTTP status it is sent with (docs/api.md). */
export const errorStatuses = {
  invalid_request: 400,
  invalid_cursor: 400,
  invalid_number: 400,
  unauthorized: 401,
  country_restricted: 403,
  no_permission: 403,
  permission_expired: 403,
  permission_revoked: 403,
  permission_rejected: 403,
  number_paused: 403,
  bad_signature: 403,
  forbidden: 403,
  unknown_business_number: 404,
  not_found: 404,
  method_not_allowed: 405,
  permission_active: 409,
  idempotency_conflict: 409,
  idempotency_key_reused: 409,
  intent_placed: 409,
  window_closed: 409,
  free_form_off: 409,
  payload_too_large: 413,
  unsupported_media_type: 415,
  bsuid_not_dialable: 422,
  bsuid_not_messageable: 422,
  daily_call_limit: 429,
  request_limit: 429,
  concurrency_limit: 429,
  cps_limit: 429,
  internal_error: 500,
  plivo_error: 502,
  plivo_outcome_unknown: 502,
  unavailable: 503,
} as const;

export type ErrorCode = keyof typeof errorStatuses;

export const errorCodes = Object.keys(errorStatuses) as [ErrorCode, ...ErrorCode[]];

/** The body of every refusal and fault, the codes narrowed to `codes` where a route documents them. */
export const errorBodySchema = (codes: readonly ErrorCode[] = errorCodes) =>
  z.strictObject({
    error: z.enum(codes as [ErrorCode, ...ErrorCode[]]),
    message: z.string().meta({ description: 'What went wrong, safe to show.' }),
    retryAfter: z.number().int().min(0).optional().meta({
      description: 'Seconds after which the same request may succeed (also Retry-After).',
    }),
    requestPermissionAfter: z.number().int().min(0).optional().meta({
      description:
        'A refused call: seconds after which a permission request may be sent (0: now), the only way to a call.',
    }),
    reason: z
      .string()
      .optional()
      .meta({ description: "number_paused: Meta's reason for the pause." }),
    pausedUntil: z.iso
      .datetime()
      .optional()
      .meta({ description: 'number_paused: when the pause ends.' }),
  });

export type ErrorBody = z.output<ReturnType<typeof errorBodySchema>>;
