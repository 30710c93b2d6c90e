/**
 * The events function on stream batches shaped as Lambda delivers them, over an in-memory bus: what it
 * puts, in which order, and which record it reports so Lambda retries from there.
 */

import { randomUUID } from 'node:crypto';
import { marshall } from '@aws-sdk/util-dynamodb';
import type { DynamoDBRecord, DynamoDBStreamEvent, StreamRecord } from 'aws-lambda';
import { describe, expect, it } from 'vitest';
import { createHandler } from '../../../functions/events/handler.js';
import type { EventBus } from '../../../functions/shared/events/bus.js';
import type { Envelope } from '../../../functions/shared/events/envelope.js';
import type { Logger } from '../../../functions/shared/log.js';
import { type CountedMetric, createMetricsRecorder } from '../../../functions/shared/metrics.js';
import { keys } from '../../../functions/shared/store/keys.js';
import { temporaryGrantMs } from '../../support/fixtures.js';

const business = '+918035737458';
const user = '+919800000001';
const caller = '+919800000002';
const t0 = Date.UTC(2030, 5, 1, 10);
const day = 86_400_000;

type Item = Record<string, unknown>;
type Image = StreamRecord['NewImage'];
const image = (item: Item | undefined) =>
  item && (marshall(item, { removeUndefinedValues: true }) as Image);

let counter = 0;
/** A stream record (NEW_AND_OLD_IMAGES) as Lambda hands it to the function. */
const record = (
  eventName: 'INSERT' | 'MODIFY' | 'REMOVE',
  change: { old?: Item; new?: Item },
): DynamoDBRecord => {
  const n = ++counter;
  const item = (change.new ?? change.old) as Item;
  return {
    eventID: `${n.toString(16).padStart(8, '0')}c4ca4238a0b923820dcc509a`,
    eventName,
    eventVersion: '1.1',
    eventSource: 'aws:dynamodb',
    awsRegion: 'ap-south-1',
    eventSourceARN:
      'arn:aws:dynamodb:ap-south-1:123456789012:table/callgate/stream/2030-06-01T00:00:00.000',
    dynamodb: {
      ApproximateCreationDateTime: Math.floor(t0 / 1000) + n,
      Keys: image({ pk: item.pk, sk: item.sk }),
      ...(change.new && eventName !== 'REMOVE' ? { NewImage: image(change.new) } : {}),
      ...(change.old ? { OldImage: image(change.old) } : {}),
      SequenceNumber: `${100_000_000_000_000_000_000n + BigInt(n)}`,
      SizeBytes: 256,
      StreamViewType: 'NEW_AND_OLD_IMAGES',
    },
  };
};

const pairAsked = {
  pk: keys.pair(business, user).pk,
  sk: 'STATE',
  business,
  user,
  request0: t0 - 3_600_000,
  lastRequestId: 'req-1',
  sentRequestId: 'req-1',
  requestSentAt: t0 - 3_600_000,
  version: 1,
};
const pairGranted = {
  ...pairAsked,
  permission: 'temporary',
  permissionAt: t0,
  permissionUntil: t0 + temporaryGrantMs,
  permissionSource: 'reply',
  version: 2,
};

const outboundCall = (callId: string) => ({
  pk: keys.call(callId).pk,
  sk: 'CALL',
  callId,
  direction: 'outbound',
  business,
  user,
  agent: 'agent-7',
  leaseShard: 3,
  startedAt: t0 + 60_000,
  leaseExpiresAt: t0 + 60_000 + 3_600_000,
  ttl: Math.floor((t0 + 31 * day) / 1000),
});

/** Five records, each with events: a grant, an outbound call placed/answered/ended, an inbound call. */
const batchOfFive = () => {
  const call = outboundCall(randomUUID());
  const placed = { ...call, placedAt: t0 + 60_400, requestUuid: randomUUID() };
  const answered = {
    ...placed,
    dialedAt: t0 + 70_000,
    dialStatus: 'completed',
    dialStatusAt: t0 + 75_000,
  };
  const ended = {
    ...answered,
    endedAt: t0 + 200_000,
    durationSeconds: 125,
    hangupCause: 'NORMAL_CLEARING',
  };
  // The hangup of an inbound call whose record was not written yet writes it started and ended at once.
  const { agent: _, ...inboundCall } = outboundCall(randomUUID());
  const inbound = { ...inboundCall, direction: 'inbound', user: caller, endedAt: t0 + 90_000 };
  return [
    record('MODIFY', { old: pairAsked, new: pairGranted }),
    record('MODIFY', { old: call, new: placed }),
    record('MODIFY', { old: placed, new: answered }),
    record('INSERT', { new: inbound }),
    record('MODIFY', { old: answered, new: ended }),
  ];
};

/** Records that speak no event: a lease taken on a shard, a call record's TTL deletion. */
const silentRecords = () => {
  const shard = keys.leaseShard(business, 3);
  const lease = { e: t0 + 3_600_000, u: caller, s: t0 };
  const call = outboundCall(randomUUID());
  return [
    record('MODIFY', {
      old: { ...shard, leases: {} },
      new: { ...shard, leases: { [call.callId]: lease } },
    }),
    record('REMOVE', { old: { ...call, placedAt: t0, endedAt: t0 + 1000 } }),
  ];
};

/** An in-memory bus: records every put; fails the given ids, or throws. */
const memoryBus = (fail: { ids?: ReadonlySet<string>; throws?: boolean } = {}) => {
  const puts: Envelope[][] = [];
  const bus: EventBus = {
    put: async (envelopes) => {
      puts.push([...envelopes]);
      if (fail.throws) throw new Error('PutEvents: connect ECONNREFUSED');
      return { failedIds: envelopes.filter((e) => fail.ids?.has(e.id)).map((e) => e.id) };
    },
  };
  return { bus, puts, put: () => puts.flat() };
};

/** A logger that keeps its calls, each serialised as it would be logged (errors by name and message). */
const memoryLogger = () => {
  const lines: string[] = [];
  const serialise = (_: string, v: unknown) =>
    v instanceof Error ? { name: v.name, message: v.message } : v;
  const keep = (level: string) => [
    level,
    (...args: unknown[]) => lines.push(JSON.stringify({ level, args }, serialise)),
  ];
  const levels = ['debug', 'info', 'warn', 'error', 'critical'];
  return { logger: Object.fromEntries(levels.map(keep)) as Logger, lines };
};

const run = async (records: DynamoDBRecord[], fail?: Parameters<typeof memoryBus>[0]) => {
  const memory = memoryBus(fail);
  const log = memoryLogger();
  const event: DynamoDBStreamEvent = { Records: records };
  const metrics = createMetricsRecorder();
  const response = await createHandler({
    bus: memory.bus,
    logger: log.logger,
    metrics: metrics.forFunction('events'),
  })(event);
  for (const line of log.lines) {
    for (const number of [business, user, caller]) expect(line).not.toContain(number.slice(3));
  }
  return { ...memory, response, logs: log.lines, counted: metrics.counted };
};

/** `name country reason` of each count, and their values summed. */
const tally = (counted: readonly CountedMetric[]) => {
  const sums = new Map<string, number>();
  for (const { name, value, dimensions } of counted) {
    const key = [name, dimensions.country, dimensions.reason].filter(Boolean).join(' ');
    sums.set(key, (sums.get(key) ?? 0) + value);
  }
  return Object.fromEntries(sums);
};

const failureOf = (r: DynamoDBRecord | undefined) => [
  { itemIdentifier: r?.dynamodb?.SequenceNumber as string },
];
const idsOf = (r: DynamoDBRecord | undefined, count: number) =>
  Array.from({ length: count }, (_, i) => `${r?.eventID}-${i}`);

describe('events function', () => {
  it('puts every event of the batch in record order, with ids from the records', async () => {
    const records = batchOfFive();
    const { puts, response } = await run(records);
    expect(response).toEqual({ batchItemFailures: [] });
    expect(puts).toHaveLength(1);
    const put = puts[0] as Envelope[];
    expect(put.map((e) => e.type)).toEqual([
      'permission.granted',
      'call.placed',
      'call.answered',
      'call.started',
      'call.ended',
      'call.ended',
    ]);
    expect(put.map((e) => e.id)).toEqual(
      [1, 1, 1, 2, 1].flatMap((count, i) => idsOf(records[i], count)),
    );
    expect(put[0]).toEqual({
      id: `${records[0]?.eventID}-0`,
      type: 'permission.granted',
      time: new Date(t0).toISOString(),
      business,
      user,
      data: {
        permanent: false,
        expiresAt: new Date(t0 + temporaryGrantMs).toISOString(),
        source: 'reply',
      },
    });
    expect(put[3]).toMatchObject({ user: caller, time: new Date(t0 + 60_000).toISOString() });
  });

  it("counts each event in its metric by the business number's country, and every event published", async () => {
    const { counted } = await run(batchOfFive());
    expect(tally(counted)).toEqual({
      'PermissionGranted IN reply': 1,
      'CallsPlaced IN': 1,
      'CallsAnswered IN': 1,
      'InboundCalls IN': 1,
      'EventsPublished IN': 6,
    });
    expect(counted.every((c) => c.dimensions.function === 'events')).toBe(true);
    expect(JSON.stringify(counted)).not.toContain(business.slice(3));
  });

  it('counts only the changes before the first failed record: the rest are counted when retried', async () => {
    const records = batchOfFive();
    const { counted } = await run(records, { ids: new Set(idsOf(records[2], 1)) });
    expect(tally(counted)).toEqual({
      'PermissionGranted IN reply': 1,
      'CallsPlaced IN': 1,
      'EventsPublished IN': 2,
      'EventsFailed unknown': 1,
    });
    const thrown = await run(records, { throws: true });
    expect(tally(thrown.counted)).toEqual({ 'EventsFailed unknown': 6 });
  });

  it('reports the record whose event the bus did not take, the earliest of several', async () => {
    const records = batchOfFive();
    const one = await run(records, { ids: new Set(idsOf(records[2], 1)) });
    expect(one.response.batchItemFailures).toEqual(failureOf(records[2]));
    expect(one.logs.some((l) => l.includes(`${records[2]?.eventID}-0`))).toBe(true);
    // The second event of record 4 and the event of record 5.
    const ids = new Set([...idsOf(records[4], 1), idsOf(records[3], 2)[1] as string]);
    const two = await run(records, { ids });
    expect(two.response.batchItemFailures).toEqual(failureOf(records[3]));
  });

  it('reports the first record with events when the bus throws, not the silent ones before it', async () => {
    const records = [...silentRecords(), ...batchOfFive()];
    const { response, put } = await run(records, { throws: true });
    expect(put()).toHaveLength(6);
    expect(response.batchItemFailures).toEqual(failureOf(records[2]));
  });

  it('puts nothing for silent records, and does not report one before a failing record', async () => {
    const [grant, placed, answered] = batchOfFive();
    const records = [grant, ...silentRecords(), placed, answered] as DynamoDBRecord[];
    const { response, put } = await run(records, { ids: new Set(idsOf(placed, 1)) });
    expect(put()).toHaveLength(3);
    expect(response.batchItemFailures).toEqual(failureOf(placed));
    const silent = await run(silentRecords());
    expect(silent.response).toEqual({ batchItemFailures: [] });
    expect(silent.puts).toHaveLength(0);
  });

  it('reports a record without an eventID, after putting the events of the records before it', async () => {
    const records = batchOfFive();
    const malformed = { ...records[2], eventID: undefined } as DynamoDBRecord;
    const batch = [records[0], records[1], malformed, records[3]] as DynamoDBRecord[];
    const { response, put, logs } = await run(batch);
    expect(put().map((e) => e.id)).toEqual([...idsOf(records[0], 1), ...idsOf(records[1], 1)]);
    expect(response.batchItemFailures).toEqual(failureOf(records[2]));
    expect(logs.some((l) => l.includes('without an eventID'))).toBe(true);
  });

  it('reports a record whose image cannot be read', async () => {
    const records = batchOfFive();
    const bad = structuredClone(records[1]) as DynamoDBRecord;
    (bad.dynamodb as { NewImage: unknown }).NewImage = {
      pk: { S: keys.call('x').pk },
      user: { X: user },
    };
    const { response, put } = await run([records[0], bad, records[2]] as DynamoDBRecord[]);
    expect(put().map((e) => e.type)).toEqual(['permission.granted']);
    expect(response.batchItemFailures).toEqual(failureOf(bad));
  });

  it('reports the earlier of a failed event and a later unreadable record', async () => {
    const records = batchOfFive();
    const malformed = { ...records[3], eventID: undefined } as DynamoDBRecord;
    const batch = [records[0], records[1], malformed] as DynamoDBRecord[];
    const { response } = await run(batch, { ids: new Set(idsOf(records[1], 1)) });
    expect(response.batchItemFailures).toEqual(failureOf(records[1]));
  });

  it('puts identical envelopes, ids included, when the same batch is delivered again', async () => {
    const records = [...silentRecords(), ...batchOfFive()];
    const first = await run(structuredClone(records));
    const again = await run(structuredClone(records));
    expect(again.put()).toEqual(first.put());
    expect(first.put()).toHaveLength(6);
  });
});
