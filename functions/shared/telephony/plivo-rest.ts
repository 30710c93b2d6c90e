import type { Metrics } from '../metrics.js';
import type {
  CallParams,
  PlacedCall,
  SentMessage,
  Telephony,
  TemplateMessageParams,
} from './port.js';
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

  /** A POST with a JSON body, or a GET with a query (`body` undefined). */
  const send = async (
    resource: string,
    body: object | undefined,
    query = '',
  ): Promise<Record<string, unknown>> => {
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
    if (!response.ok) {
      let detail = '';
      try {
        const parsed = JSON.parse(text) as { error?: unknown };
        if (typeof parsed.error === 'string') detail = `: ${parsed.error.slice(0, 200)}`;
      } catch {}
      throw new TelephonyError(
        'refused',
        `Plivo ${resource} API answered ${response.status}${detail}`,
        response.status,
      );
    }
    try {
      return JSON.parse(text) as Record<string, unknown>;
    } catch {
      throw new TelephonyError('refused', `Plivo ${resource} API answered with invalid JSON`);
    }
  };

  return {
    placeCall: (params: CallParams): Promise<PlacedCall> =>
      counted(params.from, async () => {
        const body = await send('Call', params);
        const requestUuid = body.request_uuid;
        if (typeof requestUuid !== 'string') {
          throw new TelephonyError('refused', 'Plivo Call API answered without a request_uuid');
        }
        return { requestUuid };
      }),
    sendTemplate: (params: TemplateMessageParams): Promise<SentMessage> =>
      counted(params.src, async () => {
        const body = await send('Message', params);
        const uuids = body.message_uuid;
        const messageUuid = Array.isArray(uuids) ? uuids[0] : uuids;
        if (typeof messageUuid !== 'string') {
          throw new TelephonyError('refused', 'Plivo Message API answered without a message_uuid');
        }
        return { messageUuid };
      }),
    async liveCallUuids(): Promise<ReadonlySet<string>> {
      const body = await counted(undefined, () => send('Call', undefined, '?status=live'));
      // Plivo lists live calls by CallUUID; an entry may also come as an object with `call_uuid`.
      const calls = Array.isArray(body.calls) ? (body.calls as unknown[]) : [];
      return new Set(
        calls
          .map((call) =>
            typeof call === 'string' ? call : (call as { call_uuid?: unknown } | null)?.call_uuid,
          )
          .filter((uuid): uuid is string => typeof uuid === 'string'),
      );
    },
  };
};
