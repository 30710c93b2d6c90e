import type { Metrics } from '../metrics.js';
import {
  type LiveCallList,
  type LiveCallLookup,
  type LiveCallPage,
  liveCallList,
  liveCallPageSize,
  maxLiveCallPages,
  readLiveCallLookup,
  readLiveCallPage,
} from '../plivo/live-calls.js';
import { isObject } from '../plivo/reply-fields.js';
import type { CallParams, MessageParams, PlacedCall, SentMessage, Telephony } from './port.js';
import { TelephonyError } from './port.js';

export interface PlivoCredentials {
  readonly authId: string;
  readonly authToken: string;
}

export interface PlivoRestOptions {
  readonly credentials: () => Promise<PlivoCredentials>;
  /** Plivo's API root; tests point it at a loopback server. */
  readonly baseUrl?: string;
  readonly timeoutMs?: number;
  /** Counts each failed request (PlivoApiErrors, by status). */
  readonly metrics?: Metrics | undefined;
}

/** Live Call API pages asked for at once. */
const liveCallPagesAtOnce = 10;

interface PlivoAnswer {
  readonly status: number;
  readonly ok: boolean;
  /** The body's JSON; undefined when it is not JSON. */
  readonly json: unknown;
}

/**
 * Plivo's REST API over fetch. Hand-written rather than the `plivo` SDK: the SDK bundles to ~1 MB and
 * ~100 ms of cold start, and its voice APIs ignore a custom base URL, so they could not be tested
 * over real HTTP against a local server.
 */
export const createPlivoRest = ({
  credentials,
  baseUrl = 'https://api.plivo.com',
  timeoutMs = 5_000,
  metrics,
}: PlivoRestOptions): Telephony => {
  /** A request whose failure is counted against the business number it was for (digits, as Plivo's). */
  const counted = async <T>(business: string | undefined, run: () => Promise<T>): Promise<T> => {
    try {
      return await run();
    } catch (error) {
      if (error instanceof TelephonyError) {
        const status = error.status === undefined ? error.kind : String(error.status);
        metrics?.count('PlivoApiErrors', { status, business: business && `+${business}` });
      }
      throw error;
    }
  };

  /** A POST with a JSON body, or a GET with a query (`body` undefined): Plivo's status and JSON, as sent. */
  const request = async (
    resource: string,
    body: object | undefined,
    query: string,
  ): Promise<PlivoAnswer> => {
    const { authId, authToken } = await credentials();
    const url = `${baseUrl.replace(/\/$/, '')}/v1/Account/${encodeURIComponent(authId)}/${resource}/${query}`;
    let response: Response;
    try {
      response = await fetch(url, {
        method: body === undefined ? 'GET' : 'POST',
        headers: {
          authorization: `Basic ${Buffer.from(`${authId}:${authToken}`).toString('base64')}`,
          ...(body === undefined ? {} : { 'content-type': 'application/json' }),
        },
        ...(body === undefined ? {} : { body: JSON.stringify(body) }),
        // Plivo's API never redirects: a redirect is answered as a refusal, so neither the request
        // nor its credentials go anywhere else, and nothing is counted as sent.
        redirect: 'manual',
        signal: AbortSignal.timeout(timeoutMs),
      });
    } catch (error) {
      const name = (error as Error).name;
      if (name === 'TimeoutError' || name === 'AbortError') {
        throw new TelephonyError(
          'timeout',
          `Plivo ${resource} API did not answer within ${timeoutMs} ms`,
        );
      }
      throw new TelephonyError('unreachable', `Plivo ${resource} API could not be reached`);
    }
    const text = await response.text().catch(() => '');
    let json: unknown;
    try {
      json = JSON.parse(text);
    } catch {}
    return { status: response.status, ok: response.ok, json };
  };

  const refused = (resource: string, { status, json }: PlivoAnswer) => {
    const error = isObject(json) ? json.error : undefined;
    const detail = typeof error === 'string' ? `: ${error.slice(0, 200)}` : '';
    return new TelephonyError(
      'refused',
      `Plivo ${resource} API answered ${status}${detail}`,
      status,
    );
  };

  /** A POST Plivo must take (2xx) and answer with a JSON object. */
  const send = async (resource: string, body: object): Promise<Record<string, unknown>> => {
    const answer = await request(resource, body, '');
    if (!answer.ok) throw refused(resource, answer);
    if (!isObject(answer.json)) {
      throw new TelephonyError('unreadable', `Plivo ${resource} API answered with invalid JSON`);
    }
    return answer.json;
  };

  /** One page of live calls; a 2xx that is not the documented shape is an unknown page, not a failure. */
  const page = (offset: number): Promise<LiveCallPage> =>
    counted(undefined, async () => {
      const answer = await request(
        'Call',
        undefined,
        `?status=live&limit=${liveCallPageSize}&offset=${offset}`,
      );
      if (!answer.ok) throw refused('Call', answer);
      return readLiveCallPage(answer.json, offset);
    });

  return {
    placeCall: (params: CallParams): Promise<PlacedCall> =>
      counted(params.from, async () => {
        const body = await send('Call', params);
        const requestUuid = body.request_uuid;
        if (typeof requestUuid !== 'string') {
          throw new TelephonyError('unreadable', 'Plivo Call API answered without a request_uuid');
        }
        return { requestUuid };
      }),
    sendMessage: (params: MessageParams): Promise<SentMessage> =>
      counted(params.src, async () => {
        const body = await send('Message', params);
        const uuids = body.message_uuid;
        const messageUuid = Array.isArray(uuids) ? uuids[0] : uuids;
        if (typeof messageUuid !== 'string') {
          throw new TelephonyError(
            'unreadable',
            'Plivo Message API answered without a message_uuid',
          );
        }
        return { messageUuid };
      }),
    liveCalls: {
      // Pages are asked for a few at a time, then many: most accounts fit one or two, 1,000 calls are 51.
      async list(): Promise<LiveCallList> {
        const pages: LiveCallPage[] = [];
        for (let wave = 1; ; wave = Math.min(wave * 2, liveCallPagesAtOnce)) {
          const first = pages.length;
          const offsets = Array.from(
            { length: Math.min(wave, maxLiveCallPages - first) },
            (_, index) => (first + index) * liveCallPageSize,
          );
          pages.push(...(await Promise.all(offsets.map(page))));
          const list = liveCallList(pages);
          if (list.kind !== 'more') return list;
        }
      },
      lookup: (callUuid: string): Promise<LiveCallLookup> =>
        counted(undefined, async () => {
          const answer = await request(
            'Call',
            undefined,
            `${encodeURIComponent(callUuid)}/?status=live`,
          );
          // 404 is Plivo's answer for a call that is not live, not a failure.
          if (answer.ok || answer.status === 404) {
            return readLiveCallLookup(callUuid, answer.status, answer.json);
          }
          throw refused('Call', answer);
        }),
    },
  };
};
