/**
 * Every limit under real DynamoDB's refusals: the host's own client has 30 % of its transactions
 * cancelled by conflicts, and 5 % of transactions and requests throttled (test/support/dynamo-contention.ts).
 * Parallel requests then race for each limit. A request the store could not get through is answered 503
 * with `retryAfter`, as Plivo and API clients are told to retry; retried, every limit still holds exactly,
 * and nothing leaks.
 */
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { refusals } from '../../functions/shared/operations/inbound-call.js';
import { plivoPaths } from '../../functions/shared/routes.js';
import { leasesOf } from '../../functions/shared/store/items/leases.js';
import { keys } from '../../functions/shared/store/keys.js';
import type { LocalHost } from '../../local/host.js';
import { readItem } from '../support/dynamo.js';
import { type InjectedContention, injectContention } from '../support/dynamo-contention.js';
import { exampleNumbers, newUser } from '../support/fixtures.js';
import { postSignedForm, startTestHost, untilNot503 } from '../support/local-host.js';
import {
  alwaysOpenExampleConfig,
  hangupForm,
  inboundAnswerForm,
  permissionReplyForm,
  plivoXml,
} from '../support/plivo-forms.js';

const business = exampleNumbers.india;
const simultaneousCalls = 40;

describe('limits under injected transaction conflicts and throttling', () => {
  let host: LocalHost;
  let contention: InjectedContention;

  beforeAll(async () => {
    host = await startTestHost({
      config: alwaysOpenExampleConfig({
        account: { callsPerSecond: 1000 },
        // One permission request a day, set here rather than taken from the defaults.
        rules: {
          simultaneousCallsPerNumber: simultaneousCalls,
          permissionRequests: { per24Hours: 1, per7Days: 2 },
        },
      }),
    });
    contention = injectContention(host.deps.db, { conflicts: 0.3, throttles: 0.05 });
  });
  afterAll(() => host.close());

  const answer = (callId: string, user: string) =>
    untilNot503(() =>
      postSignedForm(host, plivoPaths.answer, inboundAnswerForm(callId, user, business)),
    );

  it('inbound calls past the simultaneous-call limit: exactly the limit admitted, every hangup releases', async () => {
    const calls = Array.from({ length: simultaneousCalls + 25 }, () => ({
      callId: randomUUID(),
      user: newUser(),
    }));
    const answered = await Promise.all(
      calls.map(async ({ callId, user }) => {
        const response = await answer(callId, user);
        expect(response.status).toBe(200);
        const document = plivoXml.parse(await response.text()).Response;
        return { callId, busy: document.Speak === refusals.atCapacity };
      }),
    );
    const admitted = answered.filter((a) => !a.busy).map((a) => a.callId);
    expect(admitted).toHaveLength(simultaneousCalls);
    expect(Object.keys(await leasesOf(host.deps.db, business)).sort()).toEqual(admitted.sort());
    await host.settled();
    for (const { callId, busy } of answered) {
      expect((await readItem(host.deps.db, keys.call(callId)))?.callId).toBe(
        busy ? undefined : callId,
      );
    }

    const hangups = await Promise.all(
      admitted.map((callId) =>
        untilNot503(() =>
          postSignedForm(host, plivoPaths.hangup, {
            ...hangupForm(callId),
            To: business.slice(1),
          }),
        ),
      ),
    );
    for (const hangup of hangups) expect(hangup.status).toBe(200);
    expect(await leasesOf(host.deps.db, business)).toEqual({});
    for (const callId of admitted) {
      expect((await readItem(host.deps.db, keys.call(callId)))?.endedAt).toBeTypeOf('number');
    }
    expect(contention.counts.conflicts).toBeGreaterThan(0);
  });

  it("placements to one user past Meta's daily calls: exactly that many placed, the rest 429 with retryAfter", async () => {
    const user = newUser();
    const accepted = await untilNot503(() =>
      postSignedForm(
        host,
        plivoPaths.message,
        permissionReplyForm(user, business, { response: 'accept', response_source: 'user_action' }),
      ),
    );
    expect(accepted.status).toBe(200);
    const placements = await Promise.all(
      Array.from({ length: 12 }, (_, i) =>
        untilNot503(() =>
          fetch(`${host.url}/v1/calls`, {
            method: 'POST',
            headers: { 'content-type': 'application/json', 'idempotency-key': `daily-${i}` },
            body: JSON.stringify({ from: business, to: user }),
          }),
        ),
      ),
    );
    const bodies = await Promise.all(
      placements.map(async (r) => ({
        status: r.status,
        body: (await r.json()) as Record<string, unknown>,
      })),
    );
    const dailyCalls = host.deps.config.rules.businessCallsPer24Hours;
    expect(bodies.filter((b) => b.status === 201)).toHaveLength(dailyCalls);
    const refused = bodies.filter((b) => b.status !== 201);
    expect(refused).toHaveLength(12 - dailyCalls);
    for (const { status, body } of refused) {
      expect(status).toBe(429);
      expect(body.error).toBe('daily_call_limit');
      expect(body.retryAfter).toBeTypeOf('number');
    }
    const pair = await readItem(host.deps.db, keys.pair(business, user));
    expect(Object.keys((pair?.calls ?? {}) as object)).toHaveLength(dailyCalls);
    expect(Object.keys(await leasesOf(host.deps.db, business))).toHaveLength(dailyCalls);
  });

  it('permission requests to one user in parallel: exactly one template sent, the rest 429', async () => {
    const user = newUser();
    const requests = await Promise.all(
      Array.from({ length: 8 }, () =>
        untilNot503(() =>
          fetch(`${host.url}/v1/permission-requests`, {
            method: 'POST',
            headers: { 'content-type': 'application/json' },
            body: JSON.stringify({ from: business, to: user }),
          }),
        ),
      ),
    );
    const statuses = requests.map((r) => r.status).sort();
    expect(statuses).toEqual([202, 429, 429, 429, 429, 429, 429, 429]);
    for (const refused of requests.filter((r) => r.status === 429)) {
      expect(((await refused.json()) as { retryAfter?: unknown }).retryAfter).toBeTypeOf('number');
    }
    const sent = (
      (await (await fetch(`${host.url}/_sandbox/plivo/requests`)).json()) as {
        api: string;
        params: { dst?: string };
      }[]
    ).filter((r) => r.api === 'message' && r.params.dst === user.slice(1));
    expect(sent).toHaveLength(1);
  });
});
