import type { APIGatewayProxyStructuredResultV2 } from 'aws-lambda';
import { ZodError } from 'zod';
import type { Logger } from '../log.js';
import { HttpError } from './errors.js';

export const json = (statusCode: number, body: unknown): APIGatewayProxyStructuredResultV2 => ({
  statusCode,
  headers: { 'content-type': 'application/json' },
  body: JSON.stringify(body),
});

/** Plivo XML for an answer or action URL. */
export const xml = (body: string): APIGatewayProxyStructuredResultV2 => ({
  statusCode: 200,
  headers: { 'content-type': 'application/xml' },
  body,
});

const transientNames = new Set([
  'TimeoutError',
  'RequestTimeout',
  'ProvisionedThroughputExceededException',
  'ThrottlingException',
  'RequestLimitExceeded',
  'InternalServerError',
  'ServiceUnavailable',
  'TransactionConflictException',
]);

/** Seconds a client should wait after a passing storage or network fault. */
const transientRetryAfter = 1;

const isTransient = (error: Error): boolean => {
  if (transientNames.has(error.name)) return true;
  const code = (error as { code?: unknown }).code;
  return (
    typeof code === 'string' && /^(ECONNREFUSED|ECONNRESET|ETIMEDOUT|EPIPE|ENOTFOUND)$/.test(code)
  );
};

/** Maps any thrown value to the contract's JSON error. Only HttpError and ZodError messages reach the client. */
export const errorResponse = (
  error: unknown,
  logger: Logger,
): APIGatewayProxyStructuredResultV2 => {
  if (error instanceof HttpError) {
    const response = json(error.status, error.toBody());
    return error.retryAfter === undefined
      ? response
      : { ...response, headers: { ...response.headers, 'retry-after': String(error.retryAfter) } };
  }
  if (error instanceof ZodError) {
    const message = error.issues
      .map((issue) => `${issue.path.join('.') || 'body'}: ${issue.message}`)
      .join('; ');
    return json(400, { error: 'invalid_request', message });
  }
  const err = error instanceof Error ? error : new Error(String(error));
  if (isTransient(err)) {
    // Plivo retries a webhook that does not get 200, so a passing storage fault is not lost.
    logger.warn('storage or network unavailable', { error: err });
    return errorResponse(
      new HttpError(
        503,
        'unavailable',
        'Temporarily unavailable, retry later',
        transientRetryAfter,
      ),
      logger,
    );
  }
  logger.error('unexpected error', { error: err });
  return json(500, { error: 'internal_error', message: 'Internal error' });
};
