import type { IntentFacts, IntentState } from '../../functions/shared/rules/intent.js';
import type { PairState } from '../../functions/shared/rules/pair.js';
import { exampleNumbers, statedRules } from './fixtures.js';

const hour = 3_600_000;

/** Monday 2 March 2026, 10:00 UTC: inside the office hours the intent tests use. */
export const t0 = Date.parse('2026-03-02T10:00:00Z');
export const business = exampleNumbers.india;
export const user = '+919812345678';
export const intentId = '0b6f3c1e-2a4d-4f5e-9c8b-7a6d5e4f3c2b';
export const callId = '6f1c2a4e-8b9d-4e3f-a1b2-c3d4e5f6a7b8';

/** A stored pair; built from plain objects, as items come back from DynamoDB. */
export const storedPair = (state: object = {}): PairState =>
  ({ business, user, ...state }) as unknown as PairState;

/** An intent as the store holds it, created an hour before t0 for a week: `fields` complete it. */
export const storedIntent = (
  fields: Partial<IntentState> & Pick<IntentState, 'status' | 'version'>,
): IntentState => ({
  intentId,
  business,
  user,
  createdAt: t0 - hour,
  updatedAt: t0 - hour,
  notAfter: t0 + 7 * 24 * hour,
  ...fields,
});

/** An intent due at t0 and waiting for nothing, where most decisions start: `fields` change it. */
export const dueIntent = (fields: Partial<IntentState> = {}): IntentState =>
  storedIntent({ status: 'scheduled', dueAt: t0, waitReason: 'now', version: 3, ...fields });

/** What an intent is decided from: the pair at t0, no call in progress, the stated rules; `extra` changes it. */
export const intentFacts = (
  pair: PairState | undefined,
  extra: Partial<IntentFacts> = {},
): IntentFacts => ({ pair, callsInProgress: 0, now: t0, settings: statedRules, ...extra });
