import { describe, expect, it } from 'vitest';
import { permissionDecisionUpdate } from '../../../functions/shared/store/items/pair.js';

const decide = (permissionSource: 'reply' | 'manual', actor?: string) =>
  permissionDecisionUpdate(
    't',
    '+918035737458',
    '+919812345678',
    { permission: 'permanent', permissionAt: 1_000, permissionSource },
    1_000,
    undefined,
    undefined,
    actor,
  );

describe('permissionDecisionUpdate', () => {
  it("a reply takes the request's references off the pair: they belong to the request it answers", () => {
    const { UpdateExpression, ExpressionAttributeNames } = decide('reply');
    const removed = UpdateExpression.split(' REMOVE ')[1]?.split(' ADD ')[0]?.split(', ') ?? [];
    expect(removed).toEqual(
      expect.arrayContaining([
        '#requestReference',
        '#requestMetadata',
        '#requestActor',
        '#decisionActor',
      ]),
    );
    expect(ExpressionAttributeNames['#requestReference']).toBe('requestReference');
  });

  it("an operator's correction records its actor and leaves the request's alone", () => {
    const { UpdateExpression, ExpressionAttributeValues } = decide('manual', 'key:ops');
    expect(UpdateExpression).toContain('#decisionActor = :decisionActor');
    expect(ExpressionAttributeValues[':decisionActor']).toBe('key:ops');
    expect(UpdateExpression).not.toContain('#requestReference');
  });
});
