import { describe, expect, it } from 'vitest';
import { markRequestSentUpdate } from '../../../functions/shared/store/writes/permission-request.js';

const sent = {
  business: '+918035737458',
  user: '+919812345678',
  requestId: 'r-1',
  now: 1_000,
  kind: 'template',
} as const;

describe('markRequestSentUpdate', () => {
  it("writes the request's references and actor beside its id", () => {
    const update = markRequestSentUpdate('t', {
      ...sent,
      reference: 'T-1',
      metadata: { contact: 'c-1' },
      actor: 'key:crm',
    });
    expect(update.UpdateExpression).toBe(
      'SET #sentRequestId = :requestId, #requestSentAt = :now, #requestSentKind = :kind, #requestReference = :requestReference, #requestMetadata = :requestMetadata, #requestActor = :requestActor',
    );
    expect(update.ExpressionAttributeValues).toEqual({
      ':requestId': 'r-1',
      ':now': 1_000,
      ':kind': 'template',
      ':requestReference': 'T-1',
      ':requestMetadata': { contact: 'c-1' },
      ':requestActor': 'key:crm',
    });
  });

  it("removes an earlier request's that this one has not", () => {
    const update = markRequestSentUpdate('t', { ...sent, actor: 'local' });
    expect(update.UpdateExpression).toBe(
      'SET #sentRequestId = :requestId, #requestSentAt = :now, #requestSentKind = :kind, #requestActor = :requestActor REMOVE #requestReference, #requestMetadata',
    );
    expect(update.ExpressionAttributeNames).toMatchObject({
      '#requestReference': 'requestReference',
      '#requestMetadata': 'requestMetadata',
    });
    expect(update.ConditionExpression).toBe('attribute_exists(pk)');
  });
});
