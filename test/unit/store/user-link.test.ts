import { describe, expect, it } from 'vitest';
import { linkItem, linkRenewal } from '../../../functions/shared/store/items/user-link.js';
import { keys } from '../../../functions/shared/store/keys.js';
import { exampleNumbers, newBsuid, newUser } from '../../support/fixtures.js';

const business = exampleNumbers.india;
const number = newUser();
const userId = newBsuid();
// Not a whole second: the TTL, rounded up, outlives the expiry by most of a second.
const expiry = Date.parse('2026-07-01T10:00:00.000Z') + 250;

describe('a user link as stored', () => {
  it('is the BSUID’s key naming the number, with a TTL from its expiry', () => {
    expect(linkItem(business, number, userId, 2, expiry)).toStrictEqual({
      ...keys.pair(business, userId),
      business,
      user: number,
      userId,
      linkedTo: number,
      version: 2,
      ttl: Math.ceil(expiry / 1000),
    });
  });

  it('has no TTL while the number’s pair keeps a permanent grant', () => {
    expect(linkItem(business, number, userId, 1, undefined)).not.toHaveProperty('ttl');
  });
});

describe('a link renewed', () => {
  it('sets the new TTL only while the link still names the number', () => {
    expect(linkRenewal('t', { business, number, userId }, expiry)).toStrictEqual({
      TableName: 't',
      Key: keys.pair(business, userId),
      UpdateExpression: 'SET #ttl = :ttl',
      ConditionExpression: '#linkedTo = :number',
      ExpressionAttributeNames: { '#ttl': 'ttl', '#linkedTo': 'linkedTo' },
      ExpressionAttributeValues: { ':number': number, ':ttl': Math.ceil(expiry / 1000) },
    });
  });

  it('removes the TTL when the number’s pair now keeps a permanent grant', () => {
    expect(linkRenewal('t', { business, number, userId }, undefined)).toMatchObject({
      UpdateExpression: 'REMOVE #ttl',
      ExpressionAttributeValues: { ':number': number },
    });
  });
});
