import { randomUUID } from 'node:crypto';
import type { APIGatewayProxyEventV2, Context } from 'aws-lambda';

/** HTTP API passes JSON and text through as is and base64-encodes everything else, forms included. */
const passedAsText = (contentType: string): boolean =>
  /^(application\/(json|[\w.+-]+\+json)|text\/)/i.test(contentType);

export interface IncomingRequest {
  readonly method: string;
  readonly url: URL;
  /** Every value of each header, as Node's `headersDistinct` gives them: API Gateway joins them with commas. */
  readonly headers: Readonly<Record<string, string | readonly string[] | undefined>>;
  readonly body: Buffer;
  readonly sourceIp: string;
}

/** Builds the payload-v2 event API Gateway HTTP API would hand the function for this request. */
export const toPayloadV2Event = (
  request: IncomingRequest,
  routeKey: string,
  pathParameters: Record<string, string>,
  now: Date,
): APIGatewayProxyEventV2 => {
  const headers: Record<string, string> = {};
  for (const [name, value] of Object.entries(request.headers)) {
    if (value !== undefined)
      headers[name.toLowerCase()] = typeof value === 'string' ? value : value.join(',');
  }
  const query: Record<string, string> = {};
  for (const [name, value] of request.url.searchParams) {
    query[name] = name in query ? `${query[name]},${value}` : value;
  }
  const contentType = headers['content-type'] ?? '';
  const hasBody = request.body.length > 0;
  const asText = hasBody && passedAsText(contentType);
  const requestId = randomUUID();
  return {
    version: '2.0',
    routeKey,
    rawPath: request.url.pathname,
    rawQueryString: request.url.search.replace(/^\?/, ''),
    headers,
    ...(Object.keys(query).length ? { queryStringParameters: query } : {}),
    ...(Object.keys(pathParameters).length ? { pathParameters } : {}),
    requestContext: {
      accountId: 'local',
      apiId: 'local',
      domainName: request.url.host,
      domainPrefix: request.url.hostname.split('.')[0] ?? 'localhost',
      http: {
        method: request.method,
        path: request.url.pathname,
        protocol: 'HTTP/1.1',
        sourceIp: request.sourceIp,
        userAgent: headers['user-agent'] ?? '',
      },
      requestId,
      routeKey,
      stage: '$default',
      time: now.toUTCString(),
      timeEpoch: now.getTime(),
    },
    ...(hasBody
      ? {
          body: asText ? request.body.toString('utf8') : request.body.toString('base64'),
          isBase64Encoded: !asText,
        }
      : { isBase64Encoded: false }),
  };
};

export const localContext = (functionName: string): Context => ({
  callbackWaitsForEmptyEventLoop: false,
  functionName: `callgate-${functionName}`,
  functionVersion: '$LATEST',
  invokedFunctionArn: `arn:aws:lambda:local:000000000000:function:callgate-${functionName}`,
  memoryLimitInMB: '512',
  awsRequestId: randomUUID(),
  logGroupName: `/aws/lambda/callgate-${functionName}`,
  logStreamName: 'local',
  getRemainingTimeInMillis: () => 10_000,
  done: () => undefined,
  fail: () => undefined,
  succeed: () => undefined,
});
