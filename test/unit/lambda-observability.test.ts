import type { Context } from 'aws-lambda';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { lambdaObservability } from '../../functions/shared/lambda-observability.js';
import { jsonLinesWhile } from '../support/stdout.js';

const context = {
  functionName: 'Callgate-PlaceCall-abc',
  functionVersion: '$LATEST',
  invokedFunctionArn: 'arn:aws:lambda:eu-west-1:123456789012:function:Callgate-PlaceCall-abc',
  memoryLimitInMB: '512',
  awsRequestId: 'req-1',
} as Context;

describe('the Lambda entry around a handler', () => {
  afterEach(() => {
    vi.unstubAllEnvs();
  });

  it('puts the Lambda context on every log line, clears request keys after, and counts the cold start once', async () => {
    vi.stubEnv('POWERTOOLS_METRICS_DISABLED', 'false');
    // As Lambda sets it: Powertools counts a cold start only for on-demand environments.
    vi.stubEnv('AWS_LAMBDA_INITIALIZATION_TYPE', 'on-demand');
    const observability = lambdaObservability('place-call');
    const handler = observability.wrap(async (event: { n: number }) => {
      if (event.n === 1) observability.logger.appendKeys({ correlation_id: 'call-1' });
      observability.logger.info('placed');
      return event.n;
    });
    const first = await jsonLinesWhile(() => handler({ n: 1 }, context));
    const second = await jsonLinesWhile(() =>
      handler({ n: 2 }, { ...context, awsRequestId: 'req-2' }),
    );
    const logOf = (lines: Record<string, unknown>[]) => lines.find((l) => l.message === 'placed');
    expect(logOf(first)).toMatchObject({
      function_name: 'Callgate-PlaceCall-abc',
      function_memory_size: '512',
      function_request_id: 'req-1',
      correlation_id: 'call-1',
    });
    expect(logOf(first)).toHaveProperty('cold_start', true);
    expect(logOf(second)).toMatchObject({ function_request_id: 'req-2', cold_start: false });
    expect(logOf(second)).not.toHaveProperty('correlation_id');
    const coldStarts = [...first, ...second].filter((l) => 'ColdStart' in l);
    expect(coldStarts).toHaveLength(1);
    expect(coldStarts[0]).toMatchObject({ function_name: 'Callgate-PlaceCall-abc' });
  });
});
