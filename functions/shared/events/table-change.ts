import type { AttributeValue } from '@aws-sdk/client-dynamodb';
import { unmarshall } from '@aws-sdk/util-dynamodb';
import type { DynamoDBRecord } from 'aws-lambda';
import type { TableChange } from './derive.js';

const imageOf = (image: unknown): Record<string, unknown> | undefined =>
  image ? unmarshall(image as Record<string, AttributeValue>) : undefined;

/** A DynamoDB Streams record of the table (NEW_AND_OLD_IMAGES) as the change events are derived from. */
export const tableChange = (record: DynamoDBRecord): TableChange => {
  const change = record.dynamodb;
  const changeId = record.eventID;
  if (!changeId) throw new Error('A stream record without an eventID');
  return {
    changeId,
    pk: String(change?.Keys?.pk?.S ?? ''),
    old: imageOf(change?.OldImage),
    new: record.eventName === 'REMOVE' ? undefined : imageOf(change?.NewImage),
  };
};
