/**
 * A placement transaction whose outcome callgate cannot know: DynamoDB applied it but the answer was lost
 * (a timeout, a reset connection), or it never got there. A client middleware on the local host's own
 * DynamoDB client lets the placement's TransactWriteItems through to DynamoDB Local and then throws, or
 * throws before sending it. Checked through the host: the client's answer, what DynamoDB holds, and the
 * Call API requests the sandbox Plivo recorded.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { idempotencyKeys } from '../../functions/shared/store/items/idempotency.js';
import { keyPrefixes, keys } from '../../functions/shared/store/keys.js';
import type { LocalHost } from '../../local/host.js';
import { exampleNumbers, newUser } from '../support/fixtures.js';
import {
  acceptPermission,
  advanceClock,
  postSignedForm,
  recordedCalls,
  startTestHost,
} from '../support/local-host.js';
import { agentLegAnswerForm, plivoXml } from '../support/plivo-forms.js';
import {
  callRecordsOf,
  cpsTokens,
  leasesOf,
  outboundAnswerPath,
  placeCall,
  readItem,
} from './support.js';

const business = exampleNumbers.india;

const timedOut = () => Object.assign(new Error('timed out'), { name: 'TimeoutError' });
const connectionReset = () => Object.assign(new Error('socket hang up'), { code: 'ECONNRESET' });

interface Fault {
  /** `after`: DynamoDB applied the transaction, its answer is lost; `before`: it never got there. */
  readonly when: 'after' | 'before';
  /** How many placement transactions fail so; Infinity for all of them. */
  times: number;
  readonly error: () => Error;
}

/** While set, placement transactions fail as it says. */
let fault: Fault | undefined;
/** Placement transactions sent to DynamoDB Local. */
let placementsSent = 0;
/** While set, keeping the 201 on the Idempotency-Key record fails. */
let failRecordingResponse = false;

/** The placement's transaction is the one that puts a call record. */
const isPlacement = (input: unknown): boolean =>
  ((input as { TransactItems?: { Put?: { Item?: { pk?: unknown } } }[] }).TransactItems ?? []).some(
    (item) => String(item.Put?.Item?.pk ?? '').startsWith(keyPrefixes.call),
  );

const isPlacedResponse = (input: unknown): boolean =>
  String((input as { UpdateExpression?: unknown }).UpdateExpression ?? '').includes(':placed');

describe('a placement whose DynamoDB outcome is unknown', () => {
  let host: LocalHost;
  const db = () => host.deps.db;

  beforeAll(async () => {
    host = await startTestHost();
    host.deps.db.doc.middlewareStack.add(
      (next) => async (args) => {
        if (failRecordingResponse && isPlacedResponse(args.input)) throw timedOut();
        if (!isPlacement(args.input)) return next(args);
        const failing = fault && fault.times > 0 ? fault : undefined;
        if (failing) failing.times -= 1;
        if (failing?.when === 'before') throw failing.error();
        placementsSent += 1;
        const result = await next(args);
        if (failing) throw failing.error();
        return result;
      },
      { step: 'initialize', name: 'unknownPlacementOutcome' },
    );
  });
  afterAll(() => host.close());

  /** Everything a placement takes for the user, as DynamoDB holds it, and what Plivo was asked. */
  const placementState = async (user: string, idempotencyKey?: string) => ({
    calls: Object.keys(((await readItem(db(), keys.pair(business, user)))?.calls ?? {}) as object),
    leases: await leasesOf(db(), business),
    cpsTokens: await cpsTokens(db()),
    callRecords: (await callRecordsOf(db(), user)).map((call) => String(call.callId)),
    idempotency:
      idempotencyKey === undefined
        ? undefined
        : await readItem(db(), keys.idempotency(idempotencyKeys.client(idempotencyKey))),
  });

  /** Call ids the sandbox Plivo was asked to place for this test's calls. */
  const plivoCallsFor = async (callIds: readonly string[]) =>
    (await recordedCalls(host))
      .map((call) => new URL(String(call.params.answer_url)).searchParams.get('call') ?? '')
      .filter((callId) => callIds.includes(callId));

  const withKey = (idempotencyKey: string) => ({ 'idempotency-key': idempotencyKey });

  it.each([
    ['a timeout', timedOut],
    ['a reset connection', connectionReset],
  ])(
    'applied, but the answer lost to %s twice: 201, reserved once, Plivo asked once, the ring counted once',
    async (_, error) => {
      const user = newUser();
      await acceptPermission(host, user, business);
      const idempotencyKey = `lost-${user}`;
      const before = await placementState(user, idempotencyKey);
      const sentBefore = placementsSent;
      fault = { when: 'after', times: 2, error };
      const placed = await placeCall(host, business, user, withKey(idempotencyKey));
      fault = undefined;
      expect([placed.status, placed.body.error]).toEqual([201, undefined]);
      const callId = String(placed.body.callId);
      // The same transaction reached DynamoDB three times and was applied once.
      expect(placementsSent - sentBefore).toBe(3);
      const after = await placementState(user, idempotencyKey);
      expect(after).toMatchObject({
        calls: [callId],
        leases: [...before.leases, callId].sort(),
        cpsTokens: before.cpsTokens + 1,
        callRecords: [callId],
        idempotency: { status: 'placed', callId },
      });
      expect(await plivoCallsFor(after.callRecords)).toEqual([callId]);
    },
  );

  it.each([
    ['a timeout', timedOut],
    ['a reset connection', connectionReset],
  ])(
    'never reached DynamoDB, failing with %s twice: 201, reserved once, Plivo asked once',
    async (_, error) => {
      const user = newUser();
      await acceptPermission(host, user, business);
      const before = await placementState(user);
      fault = { when: 'before', times: 2, error };
      const placed = await placeCall(host, business, user);
      fault = undefined;
      expect([placed.status, placed.body.error]).toEqual([201, undefined]);
      const callId = String(placed.body.callId);
      const after = await placementState(user);
      expect(after).toMatchObject({
        calls: [callId],
        leases: [...before.leases, callId].sort(),
        cpsTokens: before.cpsTokens + 1,
        callRecords: [callId],
      });
      expect(await plivoCallsFor(after.callRecords)).toEqual([callId]);
    },
  );

  /** Places a call whose transaction is applied but answered by a timeout for the whole retry budget. */
  const placeUnsettled = async (user: string, idempotencyKey: string) => {
    fault = { when: 'after', times: Number.POSITIVE_INFINITY, error: timedOut };
    const failed = await placeCall(host, business, user, withKey(idempotencyKey));
    fault = undefined;
    expect([failed.status, failed.body.error]).toEqual([503, 'unavailable']);
    const stale = await placementState(user, idempotencyKey);
    // The reservation stands, Plivo was never asked: the key is pending.
    expect(stale.callRecords).toHaveLength(1);
    expect(stale.idempotency).toMatchObject({ status: 'pending', callId: stale.callRecords[0] });
    expect(await plivoCallsFor(stale.callRecords)).toEqual([]);
    return String(stale.callRecords[0]);
  };

  it('unknown for the whole budget: 503; the same Idempotency-Key gets 409 with the wait, then places the call once, the stale reservation released', async () => {
    const user = newUser();
    await acceptPermission(host, user, business);
    const idempotencyKey = `unsettled-${user}`;
    const leasesBefore = await leasesOf(db(), business);
    const staleCallId = await placeUnsettled(user, idempotencyKey);

    const early = await placeCall(host, business, user, withKey(idempotencyKey));
    expect([early.status, early.body.error]).toEqual([409, 'idempotency_conflict']);
    expect(early.body.retryAfter).toBeGreaterThan(1);
    expect(early.body.retryAfter).toBeLessThanOrEqual(30);

    await advanceClock(host, Number(early.body.retryAfter));
    const placed = await placeCall(host, business, user, withKey(idempotencyKey));
    expect([placed.status, placed.body.error]).toEqual([201, undefined]);
    const callId = String(placed.body.callId);
    expect(callId).not.toBe(staleCallId);
    const after = await placementState(user, idempotencyKey);
    expect(after).toMatchObject({
      calls: [callId],
      leases: [...leasesBefore, callId].sort(),
      callRecords: [callId],
      idempotency: { status: 'placed', callId },
    });
    expect(await plivoCallsFor([staleCallId, callId])).toEqual([callId]);

    const replayed = await placeCall(host, business, user, withKey(idempotencyKey));
    expect(replayed).toEqual(placed);
  });

  it('two retries of an unsettled key at once: one call placed, the other answered with it or told to wait', async () => {
    const user = newUser();
    await acceptPermission(host, user, business);
    const idempotencyKey = `parallel-${user}`;
    const staleCallId = await placeUnsettled(user, idempotencyKey);
    await advanceClock(host, 31);

    const answers = await Promise.all(
      [1, 2].map(() => placeCall(host, business, user, withKey(idempotencyKey))),
    );
    const placed = answers.filter((answer) => answer.status === 201);
    expect(placed.length).toBeGreaterThanOrEqual(1);
    const callId = String(placed[0]?.body.callId);
    for (const answer of answers) {
      if (answer.status === 201) expect(answer.body.callId).toBe(callId);
      else expect([answer.status, answer.body.error]).toEqual([409, 'idempotency_conflict']);
    }
    const after = await placementState(user, idempotencyKey);
    expect(after).toMatchObject({ calls: [callId], callRecords: [callId] });
    expect(await plivoCallsFor([staleCallId, callId])).toEqual([callId]);
  });

  /** Places a call Plivo takes, whose 201 is never kept on the key: the key stays pending. */
  const placeUnrecorded = async (user: string, idempotencyKey: string) => {
    failRecordingResponse = true;
    const placed = await placeCall(host, business, user, withKey(idempotencyKey));
    failRecordingResponse = false;
    expect(placed.status).toBe(201);
    expect(
      await readItem(db(), keys.idempotency(idempotencyKeys.client(idempotencyKey))),
    ).toMatchObject({
      status: 'pending',
    });
    return String(placed.body.callId);
  };

  it('Plivo took the call but its 201 was not kept, the user not dialed yet: the retry places it afresh; the first agent leg dials nobody', async () => {
    const user = newUser();
    await acceptPermission(host, user, business);
    const idempotencyKey = `unrecorded-${user}`;
    const firstCallId = await placeUnrecorded(user, idempotencyKey);
    await advanceClock(host, 31);

    const placed = await placeCall(host, business, user, withKey(idempotencyKey));
    expect([placed.status, placed.body.error]).toEqual([201, undefined]);
    const callId = String(placed.body.callId);
    expect(await placementState(user, idempotencyKey)).toMatchObject({
      calls: [callId],
      callRecords: [callId],
      idempotency: { status: 'placed', callId },
    });

    // The first call's agent answers late: its call was released, so the user is not dialed by it.
    const late = await postSignedForm(
      host,
      outboundAnswerPath(firstCallId),
      agentLegAnswerForm(business),
    );
    expect(plivoXml.parse(await late.text()).Response).toEqual({
      Speak: 'This call could not be connected.',
      Hangup: '',
    });
  });

  it('Plivo took the call but its 201 was not kept, the user already dialed: the retry never places it again', async () => {
    const user = newUser();
    await acceptPermission(host, user, business);
    const idempotencyKey = `dialed-${user}`;
    const callId = await placeUnrecorded(user, idempotencyKey);
    const answer = await postSignedForm(
      host,
      outboundAnswerPath(callId),
      agentLegAnswerForm(business),
    );
    expect(plivoXml.parse(await answer.text()).Response).toHaveProperty('Dial');
    await advanceClock(host, 31);
    const before = await placementState(user, idempotencyKey);

    const retried = await placeCall(host, business, user, withKey(idempotencyKey));
    expect([retried.status, retried.body.error]).toEqual([409, 'idempotency_conflict']);
    expect(retried.body.message).toContain(callId);
    expect(retried.body).not.toHaveProperty('retryAfter');
    expect(await placementState(user, idempotencyKey)).toEqual(before);
    expect(await plivoCallsFor(before.callRecords)).toEqual([callId]);
  });
});
