/**
 * Call intents at the edges: the settings that bound an intent's life, the moment a sent request stops
 * being awaited, and the business API's view of an intent, which shows only what holds for its status.
 */
import { describe, expect, it } from 'vitest';
import { rulesSchema } from '../../../functions/shared/config/schema.js';
import {
  decideIntent,
  type IntentState,
  type IntentStep,
} from '../../../functions/shared/rules/intent.js';
import { intentView } from '../../../functions/shared/rules/intent-view.js';
import {
  business,
  callId,
  intentFacts,
  intentId,
  storedIntent,
  storedPair,
  t0,
  user,
} from '../../support/intent-fixtures.js';

const minute = 60_000;
const hour = 60 * minute;
const day = 24 * hour;
const iso = (ms: number) => new Date(ms).toISOString();
const pair = storedPair;

/** An intent as the store holds it: only the attributes given, none left undefined. */
const intent = (fields: Partial<IntentState> = {}): IntentState =>
  storedIntent({ status: 'waiting_permission', version: 1, ...fields });

describe('how long an intent may live', () => {
  it('lifetimeSeconds may equal maxLifetimeSeconds, not exceed it', () => {
    const limits = (lifetimeSeconds: number, maxLifetimeSeconds: number) =>
      rulesSchema.safeParse({ callIntents: { lifetimeSeconds, maxLifetimeSeconds } });
    expect(limits(3600, 3600).success).toBe(true);
    expect(limits(3600, 3601).success).toBe(true);
    expect(limits(3601, 3600).error?.issues.map((issue) => issue.message)).toEqual([
      'lifetimeSeconds must not exceed maxLifetimeSeconds',
    ]);
  });
});

describe('a placement in progress', () => {
  it.each([
    [59_999, { kind: 'none' }],
    [60_000, { kind: 'place' }],
  ] as const)('claimed %i ms ago: %o (taken over after a minute)', (ago, step) => {
    const permanent = pair({ permission: 'permanent', permissionAt: t0 - day });
    const placing = intent({ status: 'placing', placingSince: t0 - ago });
    expect(decideIntent(placing, intentFacts(permanent))).toEqual(step);
  });
});

describe('a sent request is awaited only if sent since the last decision', () => {
  const awaiting: IntentStep = {
    kind: 'wait',
    status: 'waiting_permission',
    dueAt: t0 + 7 * day,
    reason: 'awaiting_reply',
  };

  it.each([
    ['in the same millisecond as the decision', 0, awaiting],
    ['after it', 1, awaiting],
    ['before it: the decision answered it', -1, { kind: 'request_permission' }],
  ] as const)('a request sent %s', (_, offset, step) => {
    // An operator cleared the permission (`none`) at decidedAt; no request fills a window.
    const decidedAt = t0 - hour;
    const cleared = pair({
      permissionAt: decidedAt,
      permissionSource: 'manual',
      requestSentAt: decidedAt + offset,
    });
    expect(decideIntent(intent(), intentFacts(cleared))).toEqual(step);
  });
});

describe('the view shows what holds for the status, and nothing absent as a key', () => {
  it('an intent with nothing optional: no agent, moment, reason, call or end', () => {
    expect(intentView(intent())).toStrictEqual({
      intentId,
      status: 'waiting_permission',
      from: business,
      to: user,
      createdAt: iso(t0 - hour),
      notAfter: iso(t0 + 7 * day),
    });
  });

  it.each([
    ['placed', { callId, endedAt: t0 }],
    ['expired', { endedAt: t0 }],
    ['cancelled', { endedAt: t0 }],
  ] as const)('%s: no reason, even one the item still holds', (status, fields) => {
    const view = intentView(
      intent({ status, reason: 'plivo_error', waitReason: 'retry', ...fields }),
    );
    expect(view).not.toHaveProperty('reason');
    expect(view).not.toHaveProperty('scheduledAt');
    expect(view.endedAt).toBe(iso(t0));
  });

  it('declined: its reason', () => {
    expect(intentView(intent({ status: 'declined', reason: 'plivo_error' })).reason).toBe(
      'plivo_error',
    );
  });
});
