import type { AttributeValue } from '@aws-sdk/client-dynamodb';
import { unmarshall } from '@aws-sdk/util-dynamodb';
import type { DynamoDBRecord } from 'aws-lambda';
import { keyPrefixes, leaseShardPrefix } from '../keys.js';
import type { Leases } from './leases.js';

/** Leases a committed write added to one lease shard. */
export interface LeasesAdded {
  readonly business: string;
  readonly shard: number;
  readonly added: Leases;
}

const imageOf = (image: unknown): Record<string, unknown> | undefined =>
  image ? unmarshall(image as Record<string, AttributeValue>) : undefined;

/**
 * What a DynamoDB Streams record of the table says about leases (NEW_AND_OLD_IMAGES): the leases in the
 * new image of a lease shard that the old one did not hold. Undefined for every other item, and for
 * removals.
 */
export const leasesAdded = (record: DynamoDBRecord): LeasesAdded | undefined => {
  const change = record.dynamodb;
  const pk = String(change?.Keys?.pk?.S ?? '');
  const sk = String(change?.Keys?.sk?.S ?? '');
  if (!pk.startsWith(keyPrefixes.leaseShard) || !sk.startsWith(leaseShardPrefix)) return undefined;
  const before = (imageOf(change?.OldImage)?.leases ?? {}) as Leases;
  const after = (imageOf(change?.NewImage)?.leases ?? {}) as Leases;
  const added = Object.fromEntries(
    Object.entries(after).filter(([callId]) => before[callId] === undefined),
  );
  if (Object.keys(added).length === 0) return undefined;
  return {
    business: pk.slice(keyPrefixes.leaseShard.length),
    shard: Number(sk.slice(leaseShardPrefix.length)),
    added,
  };
};
