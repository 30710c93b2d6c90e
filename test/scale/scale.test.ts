/**
 * Scale: one business number at Meta's limit of 1,000 simultaneous calls, inbound and business-initiated
 * together, through the local host, with real DynamoDB's refusals injected on the host's own client (30 %
 * of transactions cancelled by conflicts, 2 % of requests and transactions throttled). Two waves each
 * open 1,050 calls at once (750 inbound answers, 300 placements) and then close every admitted one.
 *
 * At each peak exactly 1,000 are admitted and 50 refused (busy XML or 429 `concurrency_limit`); a request
 * the store could not get through is answered 503 with `retryAfter` and retried, as Plivo and API
 * clients do. Afterwards: no lease left, and every call's record is consistent with what its caller
 * was told.
 */
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { refusals } from '../../functions/shared/operations/inbound-call.js';
import { plivoPaths } from '../../functions/shared/routes.js';
import { leasesOf } from '../../functions/shared/store/items/leases.js';
import { keys } from '../../functions/shared/store/keys.js';
import type { LocalHost } from '../../local/host.js';
import { readItem } from '../support/dynamo.js';
import { injectContention } from '../support/dynamo-contention.js';
import { exampleNumbers } from '../support/fixtures.js';
import {
  advanceClock,
  pathOf,
  pool,
  postSignedForm,
  startTestHost,
  untilNot503,
} from '../support/local-host.js';
import {
  alwaysOpenExampleConfig,
  hangupForm,
  inboundAnswerForm,
  permissionReplyForm,
  plivoXml,
} from '../support/plivo-forms.js';

const business = exampleNumbers.india;
const limit = 1000;
const inboundPerWave = 750;
const placementsPerWave = 300;
/** Requests in flight at once: a burst far above what two cores serve, without exhausting sockets. */
const inFlight = 64;

const caller = (wave: number, i: number) => `+9198${wave}${String(i).padStart(7, '0')}`;
const placedUser = (i: number) => `+91970${String(i).padStart(7, '0')}`;

type Opened =
  | { readonly kind: 'inbound'; readonly callId: string; readonly admitted: boolean }
  | {
      readonly kind: 'outbound';
      readonly callId?: string;
      readonly hangupPath?: string;
      readonly admitted: boolean;
    };

describe('1,000 simultaneous calls on one number, under injected conflicts and throttling', () => {
  let host: LocalHost;

  beforeAll(async () => {
    host = await startTestHost({
      config: alwaysOpenExampleConfig({
        account: { callsPerSecond: 1000 },
        rules: { simultaneousCallsPerNumber: limit },
      }),
    });
    // Users of business-initiated calls accept the permission first, without injected faults.
    await pool(
      Array.from({ length: placementsPerWave }, (_, i) => async () => {
        // Plivo resends a webhook answered 503 (DynamoDB Local timing out on a busy machine): so does this.
        const response = await untilNot503(() =>
          postSignedForm(
            host,
            plivoPaths.message,
            permissionReplyForm(placedUser(i), business, {
              response: 'accept',
              response_source: 'user_action',
            }),
          ),
        );
        expect(response.status).toBe(200);
      }),
      inFlight,
    );
    injectContention(host.deps.db, { conflicts: 0.3, throttles: 0.02 });
  }, 120_000);
  afterAll(() => host.close());

  const openInbound = async (wave: number, i: number): Promise<Opened> => {
    const callId = randomUUID();
    const response = await untilNot503(() =>
      postSignedForm(host, plivoPaths.answer, inboundAnswerForm(callId, caller(wave, i), business)),
    );
    expect(response.status).toBe(200);
    const document = plivoXml.parse(await response.text()).Response;
    return { kind: 'inbound', callId, admitted: document.Speak !== refusals.atCapacity };
  };

  const openOutbound = async (wave: number, i: number): Promise<Opened> => {
    const response = await untilNot503(() =>
      fetch(`${host.url}/v1/calls`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'idempotency-key': `wave${wave}-${i}` },
        body: JSON.stringify({ from: business, to: placedUser(i) }),
      }),
    );
    const body = (await response.json()) as { callId?: string; error?: string };
    if (response.status === 429) {
      expect(body.error).toBe('concurrency_limit');
      return { kind: 'outbound', admitted: false };
    }
    expect(response.status).toBe(201);
    return { kind: 'outbound', callId: body.callId, admitted: true };
  };

  const close = (call: Opened) =>
    untilNot503(() =>
      call.kind === 'inbound'
        ? postSignedForm(host, plivoPaths.hangup, {
            ...hangupForm(call.callId),
            To: business.slice(1),
          })
        : postSignedForm(host, call.hangupPath ?? '', hangupForm(randomUUID())),
    );

  /** The sandbox's Call API requests, by callgate's call id: the hangup URL each one was given. */
  const hangupPaths = async (): Promise<Map<string, string>> => {
    const requests = (await (await fetch(`${host.url}/_sandbox/plivo/requests`)).json()) as {
      api: string;
      params: { hangup_url?: string };
    }[];
    const paths = new Map<string, string>();
    for (const r of requests) {
      if (r.api !== 'call' || !r.params.hangup_url) continue;
      const path = pathOf(r.params.hangup_url);
      const callId = new URL(r.params.hangup_url).searchParams.get('call');
      if (callId) paths.set(callId, path);
    }
    return paths;
  };

  it.each([1, 2])(
    'wave %i: exactly 1,000 admitted of 1,050, then every admitted call closes and nothing leaks',
    async (wave) => {
      // Each wave in a later second of the sandbox clock: the account's CPS slots free up.
      await advanceClock(host, 5);
      // Interleaved, 2 placements in every 7 calls: inbound answers and placements race for the leases.
      const opening: (() => Promise<Opened>)[] = [];
      let placed = 0;
      let answered = 0;
      for (let i = 0; i < inboundPerWave + placementsPerWave; i++) {
        const user = i % 7 < 2 ? placed++ : answered++;
        opening.push(i % 7 < 2 ? () => openOutbound(wave, user) : () => openInbound(wave, user));
      }
      const opened = await pool(opening, inFlight);
      const admitted = opened.filter((c) => c.admitted);
      expect(opened).toHaveLength(inboundPerWave + placementsPerWave);
      expect(admitted).toHaveLength(limit);
      const leases = Object.keys(await leasesOf(host.deps.db, business)).sort();
      expect(leases).toEqual(
        admitted
          .map((c) => c.callId)
          .filter((id): id is string => id !== undefined)
          .sort(),
      );

      const paths = await hangupPaths();
      const closing = admitted.map((c) =>
        c.kind === 'outbound' ? { ...c, hangupPath: paths.get(c.callId ?? '') } : c,
      );
      const closed = await pool(
        closing.map((c) => () => close(c)),
        inFlight,
      );
      for (const response of closed) expect(response.status).toBe(200);
      await host.settled();
      expect(await leasesOf(host.deps.db, business)).toEqual({});

      // Every admitted call is recorded and ended; no refused inbound call left a record.
      for (const call of opened) {
        const record = call.callId
          ? await readItem(host.deps.db, keys.call(call.callId))
          : undefined;
        if (call.admitted) {
          expect(record?.endedAt, call.callId).toBeTypeOf('number');
          expect(record?.leaseShard, call.callId).toBeTypeOf('number');
        } else {
          expect(record, call.callId).toBeUndefined();
        }
      }
    },
    300_000,
  );
});
