/**
 * The intents' wake-ups and the permission expiries' looks on EventBridge Scheduler over real HTTP: the SDK's client against a 127.0.0.1
 * server that answers CreateSchedule as the Scheduler does (REST JSON, a name taken is 409
 * ConflictException).
 */
import { SchedulerClient } from '@aws-sdk/client-scheduler';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import {
  createEventBridgePermissionExpiries,
  createEventBridgeWakeups,
  type SchedulerOptions,
} from '../../functions/shared/scheduling/eventbridge-scheduler.js';
import {
  permissionExpiryLookDelayMs,
  permissionExpiryNamePrefix,
} from '../../functions/shared/scheduling/wakeups.js';
import { exampleNumbers, newUser } from '../support/fixtures.js';
import { jsonAnswer, type Loopback, startLoopback } from '../support/loopback.js';

const intentId = '0b6f3c1e-2a4d-4f5e-9c8b-7a6d5e4f3c2b';
const t0 = Date.UTC(2030, 5, 1, 10);

interface Created {
  readonly name: string;
  readonly body: {
    readonly GroupName: string;
    readonly ScheduleExpression: string;
    readonly ScheduleExpressionTimezone: string;
    readonly ActionAfterCompletion: string;
    readonly FlexibleTimeWindow: { readonly Mode: string };
    readonly Target: { readonly Arn: string; readonly Input: string };
  };
}

const created: Created[] = [];
/** The schedules that exist: a second create of a name conflicts. */
const names = new Set<string>();
let scheduler: Loopback;

beforeAll(async () => {
  scheduler = await startLoopback((request) => {
    const name = decodeURIComponent(request.url.replace(/^\/schedules\//, ''));
    const headers = { 'x-amzn-requestid': 'r' };
    if (names.has(name)) {
      return jsonAnswer(
        409,
        { Message: `Schedule ${name} already exists.` },
        { ...headers, 'x-amzn-errortype': 'ConflictException' },
      );
    }
    names.add(name);
    created.push({ name, body: request.json<Created['body']>() });
    return jsonAnswer(200, { ScheduleArn: `arn:schedule/${name}` }, headers);
  });
});

afterAll(() => scheduler.close());

beforeEach(() => {
  created.length = 0;
  names.clear();
});

const options = (now: number): SchedulerOptions => ({
  groupName: 'callgate-wakeups',
  targetArn: 'arn:aws:lambda:us-east-1:1:function:dispatcher',
  roleArn: 'arn:aws:iam::1:role/wakeups',
  deadLetterArn: 'arn:aws:sqs:us-east-1:1:wakeups',
  clock: () => now,
  client: new SchedulerClient({
    endpoint: scheduler.url,
    region: 'us-east-1',
    credentials: { accessKeyId: 'x', secretAccessKey: 'y' },
    maxAttempts: 1,
  }),
});

const wakeups = (now: number) => createEventBridgeWakeups(options(now));
const expiries = (now: number) => createEventBridgePermissionExpiries(options(now));

describe('intent wake-ups on EventBridge Scheduler', () => {
  it('one one-time schedule per intent and minute, at the whole minute after the moment, deleted once run', async () => {
    await wakeups(t0).wakeAt(intentId, t0 + 90_500);
    expect(created).toHaveLength(1);
    const [schedule] = created;
    expect(schedule?.name).toBe(`intent-${intentId}-${(t0 + 120_000) / 1000}`);
    expect(schedule?.name.length).toBeLessThanOrEqual(64);
    expect(schedule?.body).toMatchObject({
      GroupName: 'callgate-wakeups',
      ScheduleExpression: 'at(2030-06-01T10:02:00)',
      ScheduleExpressionTimezone: 'UTC',
      ActionAfterCompletion: 'DELETE',
      FlexibleTimeWindow: { Mode: 'OFF' },
    });
    expect(JSON.parse(schedule?.body.Target.Input ?? '{}')).toEqual({ intentId });
  });

  it('the same wake-up asked again (a redelivered event) conflicts, which is success', async () => {
    await wakeups(t0).wakeAt(intentId, t0 + 90_500);
    await expect(wakeups(t0).wakeAt(intentId, t0 + 90_900)).resolves.toBeUndefined();
    expect(created).toHaveLength(1);
  });

  it('a moment the clock reached while the schedule was asked for is never written in the past', async () => {
    // Due at 10:00:00.000, asked for at 09:59:59.990; the create goes out at 10:00:00.400.
    await wakeups(t0 + 400).wakeAt(intentId, t0);
    expect(created[0]?.body.ScheduleExpression).toBe('at(2030-06-01T10:00:02)');
    // A second ahead at least, and the minute after the moment when that is later.
    await wakeups(t0 + 1_000).wakeAt(intentId, t0 + 1_500);
    expect(created[1]?.body.ScheduleExpression).toBe('at(2030-06-01T10:01:00)');
    await wakeups(t0 + 5_000).wakeAt(intentId, t0 - 60_000);
    expect(created[2]?.body.ScheduleExpression).toBe('at(2030-06-01T10:00:06)');
  });
});

describe('permission expiries on EventBridge Scheduler', () => {
  const business = exampleNumbers.india;
  const user = newUser();
  // 7 days after a grant at 10:00:20.250.
  const expiresAt = Date.UTC(2030, 5, 8, 10, 0, 20, 250);

  it('one one-time schedule per pair and expiry, at the whole minute after it, deleted once run', async () => {
    await expiries(t0).watch({ business, user, expiresAt });
    expect(created).toHaveLength(1);
    const [schedule] = created;
    expect(schedule?.name).toMatch(
      new RegExp(`^${permissionExpiryNamePrefix}[0-9a-f]{32}-${expiresAt}$`),
    );
    expect(schedule?.name.length).toBeLessThanOrEqual(64);
    // No number in the name: it shows in the console and CloudTrail.
    expect(schedule?.name).not.toContain(user.slice(1));
    expect(schedule?.body).toMatchObject({
      GroupName: 'callgate-wakeups',
      ScheduleExpression: 'at(2030-06-08T10:01:00)',
      ScheduleExpressionTimezone: 'UTC',
      ActionAfterCompletion: 'DELETE',
      FlexibleTimeWindow: { Mode: 'OFF' },
    });
    expect(JSON.parse(schedule?.body.Target.Input ?? '{}')).toEqual({ business, user, expiresAt });
    // Scheduler runs it anywhere in that minute: never before the expiry, within the stated delay.
    const minute = Date.UTC(2030, 5, 8, 10, 1);
    expect(minute).toBeGreaterThanOrEqual(expiresAt);
    expect(minute + 59_999).toBeLessThan(expiresAt + permissionExpiryLookDelayMs);
  });

  it('the same pair and expiry asked again is one schedule; a renewal, or another user, is another', async () => {
    await expiries(t0).watch({ business, user, expiresAt });
    await expect(expiries(t0).watch({ business, user, expiresAt })).resolves.toBeUndefined();
    expect(created).toHaveLength(1);
    await expiries(t0).watch({ business, user, expiresAt: expiresAt + 86_400_000 });
    await expiries(t0).watch({ business, user: newUser(), expiresAt });
    expect(new Set(created.map((schedule) => schedule.name)).size).toBe(3);
  });

  it('an expiry already past when its grant is read is looked at within two seconds, never in the past', async () => {
    await expiries(expiresAt + 90_000).watch({ business, user, expiresAt });
    expect(created[0]?.body.ScheduleExpression).toBe('at(2030-06-08T10:01:52)');
  });

  it('a Scheduler failure other than a conflict is thrown, for the stream to retry', async () => {
    const failing = createEventBridgePermissionExpiries({
      ...options(t0),
      client: new SchedulerClient({
        endpoint: 'http://127.0.0.1:1',
        region: 'us-east-1',
        credentials: { accessKeyId: 'x', secretAccessKey: 'y' },
        maxAttempts: 1,
      }),
    });
    await expect(failing.watch({ business, user, expiresAt })).rejects.toThrow();
  });
});
