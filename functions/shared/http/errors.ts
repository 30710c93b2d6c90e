/** The contract's error codes (docs/api.md). */
export type ErrorCode =
  | 'invalid_request'
  | 'invalid_cursor'
  | 'invalid_number'
  | 'unknown_business_number'
  | 'country_restricted'
  | 'no_permission'
  | 'permission_expired'
  | 'permission_revoked'
  | 'permission_rejected'
  | 'permission_active'
  | 'daily_call_limit'
  | 'request_limit'
  | 'concurrency_limit'
  | 'cps_limit'
  | 'number_paused'
  | 'bsuid_not_dialable'
  | 'bsuid_not_messageable'
  | 'idempotency_conflict'
  | 'idempotency_key_reused'
  | 'intent_placed'
  | 'window_closed'
  | 'free_form_off'
  | 'plivo_error'
  | 'plivo_outcome_unknown'
  | 'bad_signature'
  | 'unauthorized'
  | 'not_found'
  | 'method_not_allowed'
  | 'payload_too_large'
  | 'unsupported_media_type'
  | 'unavailable'
  | 'internal_error';

export interface ErrorBody {
  readonly error: ErrorCode;
  readonly message: string;
  /** Seconds after which the same request may succeed. */
  readonly retryAfter?: number;
  /** A refused call: seconds after which a permission request may be sent (0: now), the only way to a call. */
  readonly requestPermissionAfter?: number;
  /** number_paused: Meta's reason for the pause. */
  readonly reason?: string;
  /** number_paused: ISO time the pause ends. */
  readonly pausedUntil?: string;
}

/** What a number_paused refusal adds to its body. */
export interface PauseDetail {
  readonly reason: string;
  readonly pausedUntil: string;
}

/** A refusal the client should see as is: its status, code and message are safe to show. */
export class HttpError extends Error {
  override name = 'HttpError';
  constructor(
    readonly status: number,
    readonly code: ErrorCode,
    message: string,
    readonly retryAfter?: number,
    readonly requestPermissionAfter?: number,
    readonly pause?: PauseDetail,
  ) {
    super(message);
  }

  toBody(): ErrorBody {
    return {
      error: this.code,
      message: this.message,
      ...(this.retryAfter === undefined ? {} : { retryAfter: this.retryAfter }),
      ...(this.requestPermissionAfter === undefined
        ? {}
        : { requestPermissionAfter: this.requestPermissionAfter }),
      ...this.pause,
    };
  }
}

export const badRequest = (message: string): HttpError =>
  new HttpError(400, 'invalid_request', message);
