/**
 * DynamoDB throttles an item inside a transaction by cancelling it with a `ThrottlingError` (or
 * `ProvisionedThroughputExceeded`) reason; DynamoDB Local never does. A client middleware on the local
 * host's own DynamoDB client cancels transactions that way, so the answer Plivo and API clients get is
 * checked through the host: 503 with `retryAfter`, nothing written, and the same request succeeding once
 * DynamoDB lets it through.
 */
import { randomUUID } from 'node:crypto';
import { TransactionCanceledException } from '@aws-sdk/client-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { plivoPaths } from '../../functions/shared/routes.js';
import type { LocalHost } from '../../local/host.js';
import { snapshotTable } from '../fuzz/support.js';
import { injectContention } from '../support/dynamo-contention.js';
import { exampleNumbers, newUser } from '../support/fixtures.js';
import {
  acceptPermission,
  asJson,
  placeCall,
  postSignedForm,
  startTestHost,
} from '../support/local-host.js';
import { alwaysOpenExampleConfig, hangupForm, inboundAnswerForm } from '../support/plivo-forms.js';

const business = exampleNumbers.india;

/** The table as a request left it, but for the Call API ticket counter (a ticket is drawn, not counted). */
const counted = async (host: LocalHost) =>
  (JSON.parse(await snapshotTable(host.deps.db)) as { sk?: string }[]).filter(
    (item) => item.sk !== 'TICKET',
  );

/** While set, every transaction is cancelled with this reason on its first item. */
let throttleWith: string | undefined;

describe('a throttled transaction', () => {
  let host: LocalHost;
  beforeAll(async () => {
    // Any hour: the example's office hours would end an inbound call at its answer outside them.
    host = await startTestHost({ config: alwaysOpenExampleConfig() });
    host.deps.db.doc.middlewareStack.add(
      (next) => async (args) => {
        const items = (args.input as { TransactItems?: unknown[] }).TransactItems;
        if (items && throttleWith) {
          throw new TransactionCanceledException({
            message:
              'Transaction cancelled, please refer cancellation reasons for specific reasons',
            $metadata: {},
            CancellationReasons: items.map((_, i) => ({ Code: i === 0 ? throttleWith : 'None' })),
          });
        }
        return next(args);
      },
      { step: 'initialize', name: 'throttleTransactions' },
    );
  });
  afterAll(() => host.close());

  it.each(['ThrottlingError', 'ProvisionedThroughputExceeded'])(
    'placing a call (%s): 503 with retryAfter, nothing counted; placed once DynamoDB recovers',
    async (code) => {
      const user = newUser();
      await acceptPermission(host, user, business);
      const before = await counted(host);
      throttleWith = code;
      const refused = await fetch(`${host.url}/v1/calls`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ from: business, to: user }),
      });
      throttleWith = undefined;
      expect(refused.status).toBe(503);
      expect(refused.headers.get('retry-after')).toBe('1');
      expect(await refused.json()).toMatchObject({ error: 'unavailable', retryAfter: 1 });
      expect(await counted(host)).toEqual(before);
      expect((await placeCall(host, { from: business, to: user })).status).toBe(201);
    },
  );

  it('an inbound answer and its hangup: 503 so Plivo retries, then applied once', async () => {
    const callId = randomUUID();
    const form = inboundAnswerForm(callId, newUser(), business);
    await host.settled();
    const before = await snapshotTable(host.deps.db);
    // An answer is one single write, a hangup reads first: DynamoDB throttles every request, and the
    // SDK's own retries are throttled too.
    let throttling = injectContention(host.deps.db, { throttles: 1 });
    const throttled = await postSignedForm(host, plivoPaths.answer, form);
    throttling.remove();
    expect(throttled.status).toBe(503);
    expect(await snapshotTable(host.deps.db)).toBe(before);
    expect((await postSignedForm(host, plivoPaths.answer, form)).status).toBe(200);

    const hangup = hangupForm(callId, { From: form.From ?? '', To: form.To ?? '' });
    throttling = injectContention(host.deps.db, { throttles: 1 });
    const throttledHangup = await asJson(await postSignedForm(host, plivoPaths.hangup, hangup));
    throttling.remove();
    expect(throttledHangup).toMatchObject({ status: 503, body: { retryAfter: 1 } });
    const ended = await asJson(await postSignedForm(host, plivoPaths.hangup, hangup));
    expect(ended).toMatchObject({ status: 200, body: { outcome: 'ended' } });
  });
});
