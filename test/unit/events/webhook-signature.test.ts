/**
 * The Standard Webhooks signer: the specification's own vector, and every signature checked by the
 * `standardwebhooks` verifier, which shares no code with it.
 */

import { randomBytes } from 'node:crypto';
import { Webhook } from 'standardwebhooks';
import { describe, expect, it } from 'vitest';
import {
  signatureHeaders,
  signingKey,
} from '../../../functions/shared/events/webhook-signature.js';

// The vector of the Standard Webhooks reference libraries.
const vector = {
  secret: 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw',
  id: 'msg_p5jXN8AQM9LWM0D4loKWxJek',
  timestamp: 1614265330,
  body: '{"test": 2432232314}',
  signature: 'v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=',
};

describe('signatureHeaders', () => {
  it("signs the specification's vector as its libraries do", () => {
    expect(
      signatureHeaders({
        key: signingKey(vector.secret),
        id: vector.id,
        timestamp: vector.timestamp,
        body: vector.body,
      }),
    ).toEqual({
      'webhook-id': vector.id,
      'webhook-timestamp': '1614265330',
      'webhook-signature': vector.signature,
    });
  });

  it('is verified by the standardwebhooks library, and refused once the body, id or time changes', () => {
    const secret = `whsec_${randomBytes(32).toString('base64')}`;
    const body = JSON.stringify({ id: 'evt-1', type: 'call.ended', data: { text: 'ünïcode ✓' } });
    const headers = signatureHeaders({
      key: signingKey(secret),
      id: 'evt-1',
      timestamp: Math.floor(Date.now() / 1000),
      body,
    });
    const verifier = new Webhook(secret);
    expect(verifier.verify(body, headers)).toEqual(JSON.parse(body));
    expect(() => verifier.verify(body.replace('ended', 'placed'), headers)).toThrow(
      'No matching signature found',
    );
    expect(() => verifier.verify(body, { ...headers, 'webhook-id': 'evt-2' })).toThrow(
      'No matching signature found',
    );
    const later = String(Number(headers['webhook-timestamp']) + 1);
    expect(() => verifier.verify(body, { ...headers, 'webhook-timestamp': later })).toThrow(
      'No matching signature found',
    );
    expect(() =>
      new Webhook(`whsec_${randomBytes(32).toString('base64')}`).verify(body, headers),
    ).toThrow('No matching signature found');
  });

  it('a signature older than 5 minutes is refused by the verifier: a captured request cannot be replayed', () => {
    const secret = `whsec_${randomBytes(24).toString('base64')}`;
    const sign = (ageSeconds: number) =>
      signatureHeaders({
        key: signingKey(secret),
        id: 'evt-1',
        timestamp: Math.floor(Date.now() / 1000) - ageSeconds,
        body: '{}',
      });
    expect(() => new Webhook(secret).verify('{}', sign(240))).not.toThrow();
    expect(() => new Webhook(secret).verify('{}', sign(360))).toThrow('Message timestamp too old');
  });
});

describe('signingKey', () => {
  it('decodes the base64 key after whsec_', () => {
    const key = randomBytes(32);
    expect(signingKey(`whsec_${key.toString('base64')}`)).toEqual(key);
    expect(signingKey(`whsec_${randomBytes(24).toString('base64')}`)).toHaveLength(24);
  });

  it('refuses a secret without the prefix, not base64, or shorter than 24 bytes, never quoting it', () => {
    for (const secret of [
      randomBytes(32).toString('base64'),
      'whsec_',
      `whsec_${randomBytes(23).toString('base64')}`,
      'whsec_not*base64*at*all*but*long*enough*to*pass',
      `whsec_${randomBytes(32).toString('base64')}!`,
    ]) {
      let message = '';
      try {
        signingKey(secret);
      } catch (error) {
        message = (error as Error).message;
      }
      expect(message, secret).toMatch(/^The webhook signing secret must be whsec_/);
      expect(message).not.toContain(secret.slice(6, 12) || 'whsec_x');
    }
  });
});
