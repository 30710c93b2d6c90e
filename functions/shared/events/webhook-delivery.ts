import { signatureHeaders, signingKey } from './webhook-signature.js';

/** What one delivery needs from the webhook's secret, read at run time. */
export interface WebhookCredentials {
  /** The HMAC key (`signingKey` of the `whsec_` secret). */
  readonly key: Buffer;
  /** A header sent as well, for receivers that want one of their own. */
  readonly authHeader?: { readonly name: string; readonly value: string };
}

/** How the webhook's secret is laid out (the configuration's `events.webhook`). */
export interface WebhookSecretLayout {
  /** The JSON key of the `whsec_` secret; the whole secret string without one. */
  readonly signingSecretField?: string | undefined;
  /** The header to send and the JSON key of its value. */
  readonly authHeader?: { readonly name: string; readonly secretField: string } | undefined;
}

/**
 * The signing key and the header the layout names, from the secret string. Errors name the fields,
 * never the values: they are logged.
 */
export const webhookCredentials = (
  secret: string,
  layout: WebhookSecretLayout,
): WebhookCredentials => {
  if (!layout.signingSecretField && !layout.authHeader) return { key: signingKey(secret) };
  let fields: unknown;
  try {
    fields = JSON.parse(secret);
  } catch {
    throw new Error('The webhook secret is not JSON, but the configuration names fields in it');
  }
  const field = (name: string): string => {
    const value = (fields as Record<string, unknown> | null)?.[name];
    if (typeof value !== 'string' || value === '') {
      throw new Error(`The webhook secret has no string field ${name}`);
    }
    return value;
  };
  return {
    key: signingKey(layout.signingSecretField ? field(layout.signingSecretField) : secret),
    ...(layout.authHeader
      ? {
          authHeader: { name: layout.authHeader.name, value: field(layout.authHeader.secretField) },
        }
      : {}),
  };
};

export type WebhookOutcome =
  | { readonly outcome: 'delivered'; readonly status: number }
  /** The receiver answered, but not 2xx (a redirect included: it is not followed). */
  | { readonly outcome: 'refused'; readonly status: number }
  /** No answer within the timeout, or no connection: the receiver is down or slow. */
  | { readonly outcome: 'timeout' | 'unreachable' };

/**
 * POSTs one envelope, exactly the bytes signed, with this attempt's Standard Webhooks headers:
 * `webhook-id` is the event's id (every retry repeats it, so the receiver deduplicates on it) and
 * `webhook-timestamp` is now (a receiver refuses one older than 5 minutes: a captured request cannot
 * be replayed later).
 */
export const deliverEnvelope = async (input: {
  readonly url: string;
  readonly credentials: WebhookCredentials;
  readonly id: string;
  readonly body: string;
  /** Epoch milliseconds of this attempt. */
  readonly now: number;
  readonly timeoutMs: number;
}): Promise<WebhookOutcome> => {
  const { credentials } = input;
  try {
    const response = await fetch(input.url, {
      method: 'POST',
      headers: {
        ...(credentials.authHeader
          ? { [credentials.authHeader.name]: credentials.authHeader.value }
          : {}),
        'content-type': 'application/json',
        ...signatureHeaders({
          key: credentials.key,
          id: input.id,
          timestamp: Math.floor(input.now / 1000),
          body: input.body,
        }),
      },
      body: input.body,
      redirect: 'manual',
      signal: AbortSignal.timeout(input.timeoutMs),
    });
    await response.body?.cancel();
    return response.status >= 200 && response.status < 300
      ? { outcome: 'delivered', status: response.status }
      : { outcome: 'refused', status: response.status };
  } catch (error) {
    return { outcome: (error as Error).name === 'TimeoutError' ? 'timeout' : 'unreachable' };
  }
};
