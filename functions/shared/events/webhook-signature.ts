import { createHmac } from 'node:crypto';

/**
 * Standard Webhooks signatures (https://www.standardwebhooks.com): HMAC-SHA256 over
 * `<id>.<timestamp>.<body>` with the secret `whsec_<base64 key>`, sent as `v1,<base64>`. Signed with
 * node:crypto rather than the `standardwebhooks` package: that one hashes in JavaScript (fast-sha256)
 * and would add two dependencies to the bundle for five lines; the tests verify with it instead, so the
 * signer is checked against an implementation it shares nothing with.
 */

const secretPrefix = 'whsec_';

/** The HMAC key of a `whsec_` secret. The message never quotes the secret: errors are logged. */
export const signingKey = (secret: string): Buffer => {
  const encoded = secret.startsWith(secretPrefix) ? secret.slice(secretPrefix.length) : '';
  const key = Buffer.from(encoded, 'base64');
  // 24 bytes at least, as the specification recommends; base64 that decodes to something else is a typo.
  if (key.length < 24 || key.toString('base64').replace(/=+$/, '') !== encoded.replace(/=+$/, '')) {
    throw new Error(
      'The webhook signing secret must be whsec_ and a base64 key of at least 24 bytes',
    );
  }
  return key;
};

/** The three headers of one delivery attempt; `timestamp` is its time in epoch seconds. */
export const signatureHeaders = (input: {
  readonly key: Buffer;
  readonly id: string;
  readonly timestamp: number;
  readonly body: string;
}): Record<'webhook-id' | 'webhook-timestamp' | 'webhook-signature', string> => {
  const signature = createHmac('sha256', input.key)
    .update(`${input.id}.${input.timestamp}.${input.body}`)
    .digest('base64');
  return {
    'webhook-id': input.id,
    'webhook-timestamp': String(input.timestamp),
    'webhook-signature': `v1,${signature}`,
  };
};
