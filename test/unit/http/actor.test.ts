import type { APIGatewayProxyEventV2 } from 'aws-lambda';
import { describe, expect, it } from 'vitest';
import { actorOf } from '../../../functions/shared/http/actor.js';
import { toPayloadV2Event } from '../../../local/event.js';

/** A payload-v2 event as the local host builds it, with the authorizer API Gateway adds on AWS. */
const event = (authorizer?: Record<string, unknown>): APIGatewayProxyEventV2 => {
  const local = toPayloadV2Event(
    {
      method: 'POST',
      url: new URL('http://localhost:3000/v1/calls'),
      headers: { authorization: 'Bearer secret-token-1', 'x-api-key': 'cg_live_secret' },
      body: Buffer.alloc(0),
      sourceIp: '127.0.0.1',
    },
    'POST /v1/calls',
    {},
    new Date(0),
  );
  return authorizer === undefined
    ? local
    : ({
        ...local,
        requestContext: { ...local.requestContext, authorizer },
      } as APIGatewayProxyEventV2);
};

describe('actorOf', () => {
  it('names an API key by its name alone: never the key, its hash or a token', () => {
    const actor = actorOf(
      event({
        lambda: { keyId: 'k-0f3a', keyName: 'hubspot-prod', scopes: 'calls:write calls:read' },
      }),
    );
    expect(actor).toBe('key:hubspot-prod');
    expect(actor).not.toMatch(/k-0f3a|secret|cg_live/);
  });

  it('names an IAM caller by its ARN', () => {
    const userArn = 'arn:aws:sts::123456789012:assumed-role/dialer/session-1';
    expect(actorOf(event({ iam: { userArn, accessKey: 'AKIAEXAMPLE' } }))).toBe(`iam:${userArn}`);
  });

  it('is local when no authorizer ran (the local host)', () => {
    expect(actorOf(event())).toBe('local');
    expect(actorOf(event({}))).toBe('local');
    expect(actorOf(event({ lambda: { keyName: '' } }))).toBe('local');
    expect(actorOf(event({ lambda: { keyName: 7 }, iam: { userArn: null } }))).toBe('local');
  });

  it('prefers the key when both are present', () => {
    expect(
      actorOf(event({ lambda: { keyName: 'zendesk' }, iam: { userArn: 'arn:aws:iam::1:user/a' } })),
    ).toBe('key:zendesk');
  });

  it('keeps a name printable and bounded', () => {
    expect(actorOf(event({ lambda: { keyName: 'crm\nforged line\u0000' } }))).toBe(
      'key:crmforged line',
    );
    expect(actorOf(event({ lambda: { keyName: 'x'.repeat(1000) } }))).toHaveLength(256);
  });
});
