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
}: PlivoRestOptions): Telephony => {
  const post = async (resource: string, body: object): Promise<Record<string, unknown>> => {
    const { authId, authToken } = await credentials();
    const url = `${baseUrl.replace(/\/$/, '')}/v1/Account/${encodeURIComponent(authId)}/${resource}/`;
    let response: Response;
    try {
      response = await fetch(url, {
        method: 'POST',
        headers: {
          authorization: `Basic ${Buffer.from(`${authId}:${authToken}`).toString('base64')}`,
          'content-type': 'application/json',
        },
        body: JSON.stringify(body),
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
    async placeCall(params: CallParams): Promise<PlacedCall> {
      const body = await post('Call', params);
      const requestUuid = body.request_uuid;
      if (typeof requestUuid !== 'string') {
        throw new TelephonyError('refused', 'Plivo Call API answered without a request_uuid');
      }
      return { requestUuid };
    },
    async sendTemplate(params: TemplateMessageParams): Promise<SentMessage> {
      const body = await post('Message', params);
      const uuids = body.message_uuid;
      const messageUuid = Array.isArray(uuids) ? uuids[0] : uuids;
      if (typeof messageUuid !== 'string') {
        throw new TelephonyError('refused', 'Plivo Message API answered without a message_uuid');
      }
      return { messageUuid };
    },
  };
};
