import type { ErrorBody, ErrorCode } from '../api/errors.js';

export type { ErrorBody, ErrorCode };

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
