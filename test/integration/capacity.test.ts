/**
 * The write targets at 1,000 simultaneous calls on one number (999 up, the measured call the 1,000th):
 * at most 10 WCU to start a call (11 for a business-initiated one, whose call record also records
 * Plivo's acceptance) and 10 to end it (transactions at 2 per KB per item), and no item over 4 KB on
 * the way. Measured through the local host over HTTP with the capacity meter
 * (test/support/capacity.ts); `npm run capacity` gives the full table.
 */
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import type { LocalHost } from '../../local/host.js';
import {
  answerAgentLeg,
  answerInbound,
  dialStatus,
  hangUpInbound,
  hangUpPlaced,
  metered,
  newInboundCall,
  type PlacedCall,
  place,
  settled,
} from '../capacity/calls.js';
import {
  attachCapacityMeter,
  type CapacityMeter,
  type CapacitySnapshot,
} from '../support/capacity.js';
import { fillLeases } from '../support/dynamo.js';
import { exampleNumbers, newUser } from '../support/fixtures.js';
import { acceptPermission, startTestHost } from '../support/local-host.js';
import { alwaysOpenExampleConfig } from '../support/plivo-forms.js';

const business = exampleNumbers.india;
const limit = 1000;
const maxWcuPerStart = 10;
// The reservation transaction and the agent leg fit in 10; recording that Plivo's Call API took the
// agent leg (the call log's `placedAt`, the `call.placed` event) is one more UpdateItem, which cannot
// join the transaction because Plivo answers after it commits. The listings' two indexes (by number,
// by user: store/listing.ts) each write their copy of the call record at its Put and at that update.
const maxWcuPerPlacedStart = maxWcuPerStart + 1 + 2 * 2;
const maxWcuPerEnd = 10;
const maxItemBytes = 4 * 1024;
const samples = 3;

const total = (...steps: CapacitySnapshot[]) => steps.reduce((sum, s) => sum + s.wcu, 0);

describe(`capacity at ${limit} simultaneous calls on one number`, () => {
  let host: LocalHost;
  let meter: CapacityMeter;
  const inbound: { start: CapacitySnapshot; end: CapacitySnapshot }[] = [];
  const placed: {
    placement: CapacitySnapshot;
    agentLeg: CapacitySnapshot;
    dialStatus: CapacitySnapshot;
    hangup: CapacitySnapshot;
  }[] = [];

  beforeAll(async () => {
    host = await startTestHost({
      config: alwaysOpenExampleConfig({ account: { callsPerSecond: 1000 } }),
    });
    expect(host.deps.config.rules.simultaneousCallsPerNumber).toBe(limit);
    meter = attachCapacityMeter(host.deps.db, inject('dynamoEndpoint'));
    await fillLeases(host.deps.db, business, {
      count: limit - 1,
      limit,
      expiresAt: Date.now() + 24 * 3600 * 1000,
    });
    // Calls that come and go first: the Lambda measured has seen the number this busy.
    for (let i = 0; i < 5; i++) {
      const call = newInboundCall(business);
      await answerInbound(host, call);
      // Its hangup comes once the call is recorded, as it would seconds into a real call.
      await settled(host);
      await hangUpInbound(host, call);
    }
    for (let i = 0; i < samples; i++) {
      const call = newInboundCall(business);
      const start = await metered(meter, host, () => answerInbound(host, call));
      const end = await metered(meter, host, () => hangUpInbound(host, call));
      inbound.push({ start, end });

      const user = newUser();
      await acceptPermission(host, user, business);
      let outbound: PlacedCall | undefined;
      const placement = await metered(meter, host, async () => {
        outbound = await place(host, business, user);
      });
      const leg = outbound as PlacedCall;
      placed.push({
        placement,
        agentLeg: await metered(meter, host, () => answerAgentLeg(host, business, leg)),
        dialStatus: await metered(meter, host, () => dialStatus(host, leg)),
        hangup: await metered(meter, host, () => hangUpPlaced(host, leg)),
      });
    }
  });
  afterAll(async () => {
    meter?.close();
    await host?.close();
  });

  it(`an inbound call starts in at most ${maxWcuPerStart} WCU`, () => {
    for (const { start } of inbound)
      expect(start.wcu, 'inbound answer').toBeLessThanOrEqual(maxWcuPerStart);
  });

  it(`an inbound call ends in at most ${maxWcuPerEnd} WCU`, () => {
    for (const { end } of inbound)
      expect(end.wcu, 'inbound hangup').toBeLessThanOrEqual(maxWcuPerEnd);
  });

  it(`a business-initiated call starts (placement + agent leg) in at most ${maxWcuPerPlacedStart} WCU`, () => {
    for (const call of placed) {
      expect(
        total(call.placement, call.agentLeg),
        'POST /v1/calls + agent leg answer',
      ).toBeLessThanOrEqual(maxWcuPerPlacedStart);
    }
  });

  it(`a business-initiated call ends (dial status + hangup) in at most ${maxWcuPerEnd} WCU`, () => {
    for (const call of placed) {
      expect(
        total(call.dialStatus, call.hangup),
        'Dial action + agent leg hangup',
      ).toBeLessThanOrEqual(maxWcuPerEnd);
    }
  });

  it('no item on the way is over 4 KB', () => {
    const steps = [
      ...inbound.flatMap((c) => [c.start, c.end]),
      ...placed.flatMap((c) => [c.placement, c.agentLeg, c.dialStatus, c.hangup]),
    ];
    const largest = Math.max(...steps.map((s) => s.largestItemBytes));
    expect(largest).toBeLessThanOrEqual(maxItemBytes);
  });
});
