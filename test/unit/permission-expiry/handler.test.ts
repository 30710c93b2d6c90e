/**
 * The permission-expiry function on stream batches shaped as Lambda delivers them, over an in-memory
 * Scheduler: which changes set a look at a permission's end, and which record it reports so Lambda
 * retries from there. The look's own path writes the table: test/integration/permission-expiry-store.test.ts
 * and test/e2e/permission-expiry.test.ts.
 */
import { marshall } from '@aws-sdk/util-dynamodb';
import type { Context, DynamoDBRecord, StreamRecord } from 'aws-lambda';
import { describe, expect, it } from 'vitest';
import { createHandler } from '../../../functions/permission-expiry/handler.js';
import type { Deps } from '../../../functions/shared/deps.js';
import type { Logger } from '../../../functions/shared/log.js';
import type {
  PermissionExpiryWakeup,
  PermissionExpiryWakeups,
} from '../../../functions/shared/scheduling/wakeups.js';
import { keys } from '../../../functions/shared/store/keys.js';
import { exampleNumbers, newUser, temporaryGrantMs } from '../../support/fixtures.js';

const business = exampleNumbers.india;
const t0 = Date.UTC(2030, 5, 1, 10);
const day = 86_400_000;
const functionArn = 'arn:aws:lambda:ap-south-1:123456789012:function:permission-expiry';

type Item = Record<string, unknown>;
const image = (item: Item) =>
  marshall(item, { removeUndefinedValues: true }) as StreamRecord['NewImage'];

let counter = 0;
const record = (
  eventName: 'INSERT' | 'MODIFY' | 'REMOVE',
  old: Item | undefined,
  now: Item,
): DynamoDBRecord => {
  const n = ++counter;
  return {
    eventID: `event-${n}`,
    eventName,
    dynamodb: {
      Keys: image({ pk: now.pk, sk: now.sk }),
      ...(eventName === 'REMOVE' ? {} : { NewImage: image(now) }),
      ...(old ? { OldImage: image(old) } : {}),
      SequenceNumber: `${1000 + n}`,
      StreamViewType: 'NEW_AND_OLD_IMAGES',
    },
  };
};

const pairOf = (user: string, fields: Item = {}): Item => ({
  ...keys.pair(business, user),
  business,
  user,
  ...fields,
});
const granted = (user: string, until = t0 + temporaryGrantMs) =>
  pairOf(user, {
    permission: 'temporary',
    permissionAt: t0,
    permissionUntil: until,
    permissionSource: 'reply',
    version: 1,
  });

const errors: string[] = [];
const logger = {
  debug: () => {},
  info: () => {},
  warn: () => {},
  error: (message: string) => errors.push(message),
} as unknown as Logger;
const deps = { logger, clock: () => t0 } as unknown as Deps;

/** An in-memory Scheduler that refuses the looks of the users in `refusing`. */
const scheduler = (refusing: ReadonlySet<string> = new Set()) => {
  const watched: PermissionExpiryWakeup[] = [];
  const arns: string[] = [];
  const wakeupsFor = (arn: string): PermissionExpiryWakeups => {
    arns.push(arn);
    return {
      watch: async (expiry) => {
        if (refusing.has(expiry.user)) throw new Error('ThrottlingException');
        watched.push(expiry);
      },
    };
  };
  return { watched, arns, wakeupsFor };
};

const context = { invokedFunctionArn: functionArn } as Context;

describe('the permission-expiry function on the stream', () => {
  it('sets one look per grant or renewal, at its end, as the function itself', async () => {
    const [a, b] = [newUser(), newUser()];
    const { watched, arns, wakeupsFor } = scheduler();
    const handler = createHandler(deps, wakeupsFor);
    const renewed = { ...granted(b, t0 + temporaryGrantMs + day), permissionAt: t0 + day };
    const result = await handler(
      {
        Records: [
          record('INSERT', undefined, granted(a)),
          record('MODIFY', granted(b), renewed),
          // A call counted on the pair: the same permission.
          record('MODIFY', granted(a), { ...granted(a), calls: { c: t0 }, version: 2 }),
          // A permanent grant, a removal, another item.
          record('MODIFY', granted(b), pairOf(b, { permission: 'permanent', permissionAt: t0 })),
          record('REMOVE', undefined, granted(a)),
          record('INSERT', undefined, {
            ...keys.call('c'),
            business,
            user: a,
            permission: 'temporary',
          }),
        ],
      },
      context,
    );
    expect(result).toEqual({ batchItemFailures: [] });
    expect(watched).toEqual([
      { business, user: a, expiresAt: t0 + temporaryGrantMs },
      { business, user: b, expiresAt: t0 + temporaryGrantMs + day },
    ]);
    expect(new Set(arns)).toEqual(new Set([functionArn]));
  });

  it('reports the first record whose look Scheduler refused, and nothing after it is set', async () => {
    const [a, b, c] = [newUser(), newUser(), newUser()];
    const { watched, wakeupsFor } = scheduler(new Set([b]));
    errors.length = 0;
    const records = [
      record('INSERT', undefined, granted(a)),
      record('INSERT', undefined, granted(b)),
      record('INSERT', undefined, granted(c)),
    ];
    const result = await createHandler(deps, wakeupsFor)({ Records: records }, context);
    expect(result).toEqual({
      batchItemFailures: [{ itemIdentifier: records[1]?.dynamodb?.SequenceNumber }],
    });
    expect(watched.map((w) => w.user)).toEqual([a]);
    expect(errors).toEqual(['permission expiry not watched; retried from here']);
  });

  it('a look that is not one is logged and dropped, never retried', async () => {
    const { wakeupsFor } = scheduler();
    errors.length = 0;
    const handler = createHandler(deps, wakeupsFor);
    for (const event of [{}, { business, user: newUser(), expiresAt: 'soon' }, { intentId: 'x' }]) {
      await expect(handler(event as never, context)).resolves.toBeUndefined();
    }
    expect(errors).toHaveLength(3);
  });
});
