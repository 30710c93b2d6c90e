import type { NewTimelineEntry } from './timeline.js';

export interface ApiExchange {
  readonly method: string;
  /** The request's URL as the host received it. */
  readonly url: URL;
  readonly body: Buffer;
  readonly status: number;
  readonly contentType: string;
  readonly responseBody: string;
}

const maxShownBody = 2_000;

const parsedJson = (text: string): unknown => {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
};

const isObject = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

const decoded = (segment: string | undefined): string | undefined => {
  if (segment === undefined) return undefined;
  try {
    return decodeURIComponent(segment);
  } catch {
    return segment;
  }
};

/** A body's top-level fields as the timeline shows a request's params; text that is not JSON whole. */
const paramsOf = (body: Buffer): Record<string, string> => {
  if (body.length === 0) return {};
  const text = body.toString('utf8');
  const json = parsedJson(text);
  if (!isObject(json)) return { body: text.slice(0, maxShownBody) };
  return Object.fromEntries(
    Object.entries(json).map(([key, value]) => [
      key,
      typeof value === 'string' ? value : JSON.stringify(value),
    ]),
  );
};

/**
 * A request the business's systems made to `/v1`, for the sandbox's timeline: every one that changes
 * something or is refused, with its error code (`POST /v1/calls → 429 daily_call_limit`). A read that
 * succeeded is left out: the page reads each permission after every change, and would fill the
 * timeline with its own polling.
 */
export const apiTimelineEntry = (exchange: ApiExchange): NewTimelineEntry | undefined => {
  const { method, url, status } = exchange;
  if (!url.pathname.startsWith('/v1/')) return undefined;
  if ((method === 'GET' || method === 'HEAD') && status < 400) return undefined;
  const answer = parsedJson(exchange.responseBody);
  const code = isObject(answer) && typeof answer.error === 'string' ? answer.error : undefined;
  const request = parsedJson(exchange.body.toString('utf8'));
  const segments = url.pathname.split('/');
  // /v1/permissions/{business}/{user}, /v1/calls/{callId}; else the body's from and to.
  const pair =
    segments[2] === 'permissions'
      ? { business: decoded(segments[3]), user: decoded(segments[4]) }
      : isObject(request)
        ? { business: request.from, user: request.to }
        : {};
  const callId =
    (isObject(answer) && typeof answer.callId === 'string' ? answer.callId : undefined) ??
    (segments[2] === 'calls' ? decoded(segments[3]) : undefined);
  return {
    kind: 'api',
    summary: `${method} ${url.pathname} → ${status}${code ? ` ${code}` : ''}`,
    ...(typeof pair.business === 'string' ? { business: pair.business } : {}),
    ...(typeof pair.user === 'string' ? { user: pair.user } : {}),
    ...(callId ? { callId } : {}),
    request: { method, url: url.href, params: paramsOf(exchange.body) },
    response: {
      status,
      contentType: exchange.contentType,
      body: exchange.responseBody.slice(0, maxShownBody),
    },
  };
};
