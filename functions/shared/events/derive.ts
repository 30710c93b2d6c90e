import { callLogView } from '../rules/call-log.js';
import { type IntentState, isOpen } from '../rules/intent.js';
import type { NumberRestriction } from '../rules/number-pause.js';
import type { GrantSource, PairState } from '../rules/pair.js';
import { type Origin, originOf } from '../rules/references.js';
import type { CallRecord } from '../store/items/call-record.js';
import { keyPrefixes } from '../store/keys.js';
import type { Envelope, EventData, EventType } from './envelope.js';

/**
 * The events one committed change of the table means: a pure function of the item's images before and
 * after (DynamoDB Streams, NEW_AND_OLD_IMAGES). Only pair, call, intent and number restriction items speak; every other item, and
 * every removal (a TTL deletion decides nothing), yields none. A change that rewrites what was already
 * there yields none either, so a redelivered or repeated write never invents a second fact.
 */
export interface TableChange {
  /** The stream record's id: the same on every redelivery, so the events' ids are too. */
  readonly changeId: string;
  readonly pk: string;
  readonly old: Record<string, unknown> | undefined;
  readonly new: Record<string, unknown> | undefined;
}

const iso = (ms: number) => new Date(ms).toISOString();

/** Decision attributes: a change to any of them is a new permission decision. */
const decisionAttributes = [
  'permission',
  'permissionAt',
  'permissionUntil',
  'permissionSource',
  'revokedReason',
] as const satisfies readonly (keyof PairState)[];

type Fact = { [T in EventType]: { type: T; at: number; data: EventData[T] } }[EventType];

/** The newest sent permission request's references and actor, as the pair holds them. */
const requestOrigin = (pair: PairState | undefined): Origin =>
  originOf({
    actor: pair?.requestActor,
    reference: pair?.requestReference,
    metadata: pair?.requestMetadata,
  });

/**
 * Who and what a decision follows from: an operator's correction names its actor; a reply carries the
 * request it answers, which its write took off the pair (store/items/pair.ts), so it is read from the
 * image before (Meta's automatic revocation comes as a reply too). An inbound call's grant and missed
 * calls follow from no request.
 */
const decisionOrigin = (old: PairState | undefined, pair: PairState): Origin =>
  pair.permissionSource === 'manual'
    ? originOf({ actor: pair.decisionActor })
    : pair.permissionSource === 'reply'
      ? requestOrigin(old)
      : {};

const decisionFact = (old: PairState | undefined, pair: PairState): Fact | undefined => {
  const at = pair.permissionAt ?? 0;
  // Missed calls only ever revoke: a grant came from one of the other sources.
  const source = (pair.permissionSource ?? 'reply') as GrantSource;
  const origin = decisionOrigin(old, pair);
  switch (pair.permission) {
    case undefined:
      return pair.permissionSource === 'manual'
        ? { type: 'permission.cleared', at, data: { source: 'manual', ...origin } }
        : undefined;
    case 'permanent':
      return {
        type: 'permission.granted',
        at,
        data: { permanent: true, expiresAt: null, source, ...origin },
      };
    case 'temporary':
      return {
        type: 'permission.granted',
        at,
        data: {
          permanent: false,
          expiresAt: iso(pair.permissionUntil ?? at),
          source,
          ...origin,
        },
      };
    case 'rejected':
      return {
        type: 'permission.rejected',
        at,
        data: { standsUntil: iso(pair.permissionUntil ?? at), ...origin },
      };
    case 'revoked':
      return {
        type: 'permission.revoked',
        at,
        data: {
          reason: pair.revokedReason ?? 'manual',
          standsUntil: iso(pair.permissionUntil ?? at),
          ...origin,
        },
      };
  }
};

const pairFacts = (old: PairState | undefined, now: PairState): Fact[] => {
  const facts: Fact[] = [];
  if (now.sentRequestId !== undefined && now.sentRequestId !== old?.sentRequestId) {
    facts.push({
      type: 'permission.requested',
      at: now.requestSentAt ?? 0,
      // A request marked sent before free-form requests existed was a template.
      data: { kind: now.requestSentKind ?? 'template', ...requestOrigin(now) },
    });
  }
  // A link moving a BSUID's decision here: the user's decision (and its lapse) was announced under the
  // BSUID when made, and is the same one.
  const moved = now.decisionLinkedAt !== old?.decisionLinkedAt;
  if (!moved && decisionAttributes.some((name) => old?.[name] !== now[name])) {
    const fact = decisionFact(old, now);
    if (fact) facts.push(fact);
  }
  // Recorded once, only on the temporary permission it speaks of (store/items/pair.ts).
  if (!moved && now.expiredAt !== undefined && old?.expiredAt === undefined) {
    const expiresAt = now.permissionUntil ?? now.expiredAt;
    facts.push({
      type: 'permission.expired',
      at: expiresAt,
      data: {
        grantedAt: iso(now.permissionAt ?? expiresAt),
        expiresAt: iso(expiresAt),
        expiredAt: iso(now.expiredAt),
        source: (now.permissionSource ?? 'reply') as GrantSource,
      },
    });
  }
  return facts;
};

/** Plivo's dial statuses that count as the user not answering (rules/missed-calls.ts `dialOutcome`). */
const missedDialStatuses = new Set(['no-answer', 'busy', 'timeout']);

/** Every event of a business-initiated call carries its request's (or intent's) references and actor. */
const callFacts = (old: CallRecord | undefined, call: CallRecord): Fact[] =>
  callFactsAlone(old, call).map(
    (fact) => ({ ...fact, data: { ...fact.data, ...originOf(call) } }) as Fact,
  );

const callFactsAlone = (old: CallRecord | undefined, call: CallRecord): Fact[] => {
  const facts: Fact[] = [];
  const { callId } = call;
  if (call.direction === 'outbound') {
    if (call.placedAt !== undefined && old?.placedAt === undefined) {
      facts.push({
        type: 'call.placed',
        at: call.placedAt,
        data: {
          callId,
          agent: call.agent ?? null,
          ...(call.intentId === undefined ? {} : { intentId: call.intentId }),
        },
      });
    }
    // Stryker disable next-line ConditionalExpression: without a dial status neither event below is pushed
    if (call.dialStatus !== undefined && old?.dialStatus === undefined) {
      const at = call.dialStatusAt ?? 0;
      if (call.dialStatus === 'completed') {
        facts.push({ type: 'call.answered', at, data: { callId } });
      } else if (missedDialStatuses.has(call.dialStatus)) {
        facts.push({
          type: 'call.missed',
          at,
          data: {
            callId,
            consecutiveMissed: call.missedInARow ?? 1,
            warning: call.missedWarning ?? false,
          },
        });
      }
    }
  } else if (call.leaseShard !== undefined && old?.leaseShard === undefined) {
    // Only a call callgate answered holds a lease; a hangup that came first records none.
    facts.push({ type: 'call.started', at: call.startedAt, data: { callId } });
  }
  if (call.endedAt !== undefined && old?.endedAt === undefined) {
    facts.push({
      type: 'call.ended',
      at: call.endedAt,
      data: {
        callId,
        direction: call.direction,
        durationSeconds: call.durationSeconds ?? null,
        hangupCause: call.hangupCause ?? null,
        outcome: callLogView(call).outcome ?? null,
      },
    });
  }
  return facts;
};

/**
 * An intent speaks when its status changes, and when a waiting intent's moment or reason does (a
 * reschedule). `placing` is the dispatch's own claim: its outcome is the fact.
 */
const intentFacts = (old: IntentState | undefined, intent: IntentState): Fact[] => {
  // A cancellation names its own caller; every other step, the creating request's.
  const { cancelledBy } = intent;
  const origin = {
    ...originOf(intent),
    ...(intent.status === 'cancelled' && cancelledBy !== undefined ? { actor: cancelledBy } : {}),
  };
  return intentFactsAlone(old, intent).map(
    (fact) => ({ ...fact, data: { ...fact.data, ...origin } }) as Fact,
  );
};

const intentFactsAlone = (old: IntentState | undefined, intent: IntentState): Fact[] => {
  const { intentId, status } = intent;
  const at = intent.updatedAt;
  const moved =
    old?.status !== status ||
    (isOpen(status) && (old.dueAt !== intent.dueAt || old.waitReason !== intent.waitReason));
  if (!moved) return [];
  switch (status) {
    case 'placing':
      return [];
    case 'scheduled':
    case 'waiting_permission':
      return [
        {
          type: `intent.${status}`,
          at,
          data: {
            intentId,
            at: iso(intent.dueAt ?? at),
            reason: intent.waitReason ?? 'now',
          },
        },
      ];
    case 'placed':
      return [{ type: 'intent.placed', at, data: { intentId, callId: intent.callId ?? '' } }];
    case 'declined':
      return [
        { type: 'intent.declined', at, data: { intentId, reason: intent.reason ?? 'plivo_error' } },
      ];
    case 'expired':
    case 'cancelled':
      return [{ type: `intent.${status}`, at, data: { intentId } }];
  }
};

/**
 * A restriction speaks when Meta imposes one (a new `since`) and when an operator lifts a pause. Its
 * natural end writes nothing, so it has no event: `number.paused` says when it ends.
 */
const restrictionFacts = (old: NumberRestriction | undefined, now: NumberRestriction): Fact[] => {
  const facts: Fact[] = [];
  if (old?.since !== now.since && now.liftedAt === undefined) {
    const data = { reason: now.reason, since: iso(now.since), until: iso(now.until) };
    facts.push(
      now.restriction === 'calls_paused'
        ? { type: 'number.paused', at: now.since, data }
        : { type: 'number.call_button_hidden', at: now.since, data },
    );
  }
  if (now.liftedAt !== undefined && old?.liftedAt === undefined) {
    facts.push({
      type: 'number.unpaused',
      at: now.liftedAt,
      data: {
        reason: 'operator',
        pausedUntil: iso(now.until),
        ...(now.liftedBy === undefined ? {} : { actor: now.liftedBy }),
      },
    });
  }
  return facts;
};

export const eventsOfChange = (change: TableChange): Envelope[] => {
  if (!change.new) return [];
  if (change.pk.startsWith(keyPrefixes.numberRestriction)) {
    const restriction = change.new as unknown as NumberRestriction;
    return restrictionFacts(
      change.old as unknown as NumberRestriction | undefined,
      restriction,
    ).map(
      (fact, index) =>
        ({
          id: `${change.changeId}-${index}`,
          type: fact.type,
          time: iso(fact.at),
          business: restriction.business,
          data: fact.data,
        }) as Envelope,
    );
  }
  let facts: Fact[];
  let parties: { business: string; user: string; userId?: string | undefined };
  if (change.pk.startsWith(keyPrefixes.pair)) {
    const now = change.new as unknown as PairState;
    facts = pairFacts(change.old as unknown as PairState | undefined, now);
    parties = now;
  } else if (change.pk.startsWith(keyPrefixes.call)) {
    const call = change.new as unknown as CallRecord;
    facts = callFacts(change.old as unknown as CallRecord | undefined, call);
    parties = call;
  } else if (change.pk.startsWith(keyPrefixes.intent)) {
    const intent = change.new as unknown as IntentState;
    facts = intentFacts(change.old as unknown as IntentState | undefined, intent);
    parties = intent;
  } else {
    return [];
  }
  return facts.map(
    (fact, index) =>
      ({
        id: `${change.changeId}-${index}`,
        type: fact.type,
        time: iso(fact.at),
        business: parties.business,
        user: parties.user,
        ...(parties.userId === undefined ? {} : { userId: parties.userId }),
        data: fact.data,
      }) as Envelope,
  );
};
