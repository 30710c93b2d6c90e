import { describe, expect, it } from 'vitest';
import { afterRefusal, decideIntent } from '../../../functions/shared/rules/intent.js';
import {
  intentFacts as facts,
  dueIntent as intent,
  storedPair,
  t0,
} from '../../support/intent-fixtures.js';

// A paused number: the intent waits for the pause's end instead of placing, requesting or failing.
const day = 24 * 3600 * 1000;
const permitted = storedPair({
  permission: 'permanent',
  permissionAt: t0 - day,
  permissionSource: 'reply',
});

describe('a call intent and a paused business number', () => {
  it('waits, scheduled, until the pause ends when it could place', () => {
    expect(decideIntent(intent(), facts(permitted))).toEqual({ kind: 'place' });
    expect(decideIntent(intent(), facts(permitted, { pausedUntil: t0 + day }))).toEqual({
      kind: 'wait',
      status: 'scheduled',
      dueAt: t0 + day,
      reason: 'number_paused',
    });
  });

  it('waits for a permission until then when it would send the request', () => {
    expect(decideIntent(intent(), facts(undefined))).toEqual({ kind: 'request_permission' });
    expect(decideIntent(intent(), facts(undefined, { pausedUntil: t0 + day }))).toEqual({
      kind: 'wait',
      status: 'waiting_permission',
      dueAt: t0 + day,
      reason: 'number_paused',
    });
  });

  it('goes on at the end: a pause that ended no longer holds it', () => {
    expect(decideIntent(intent(), facts(permitted, { pausedUntil: t0 }))).toEqual({
      kind: 'place',
    });
    expect(decideIntent(intent(), facts(permitted, { pausedUntil: t0 + 1 }))).toMatchObject({
      reason: 'number_paused',
    });
  });

  it('never waits past its notAfter, and a pause does not keep a refusal standing', () => {
    const short = intent({ notAfter: t0 + 3600 * 1000 });
    expect(decideIntent(short, facts(permitted, { pausedUntil: t0 + day }))).toMatchObject({
      dueAt: t0 + 3600 * 1000,
    });
    const rejected = storedPair({
      permission: 'rejected',
      permissionAt: t0 - 1000,
      permissionUntil: t0 + day,
    });
    expect(decideIntent(intent(), facts(rejected, { pausedUntil: t0 + day }))).toEqual({
      kind: 'end',
      status: 'declined',
      reason: 'permission_rejected',
    });
  });

  it('a placement refused number_paused waits for the pause to end', () => {
    const refusal = {
      code: 'number_paused',
      reason: 'RESTRICTED_BIZ_INITIATED_CALLING',
      pausedUntil: t0 + 2 * day,
      retryAfter: 172_800,
    } as const;
    expect(afterRefusal(intent(), refusal, facts(permitted))).toEqual({
      kind: 'wait',
      status: 'scheduled',
      dueAt: t0 + 2 * day,
      reason: 'number_paused',
    });
  });
});
