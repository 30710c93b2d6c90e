/**
 * What references cost on the hot paths, measured through the local host with the capacity meter: the
 * largest reference and metadata the API takes add no DynamoDB request to a placement, a permission
 * request or the reply that answers it; they add write units only to the writes of the items that hold
 * them (the call record; the pair from the request's send until the reply takes them off).
 */
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { maxMetadataBytes } from '../../functions/shared/api/references.js';
import type { LocalHost } from '../../local/host.js';
import { metered, settled } from '../capacity/calls.js';
import {
  attachCapacityMeter,
  type CapacityMeter,
  type CapacitySnapshot,
} from '../support/capacity.js';
import { exampleNumbers, newUser } from '../support/fixtures.js';
import { acceptPermission, asJson, startTestHost } from '../support/local-host.js';
import { alwaysOpenExampleConfig } from '../support/plivo-forms.js';

const business = exampleNumbers.india;
/** The most the API takes: 128 characters, and 10 keys filling 1,024 bytes of JSON. */
const largest = (() => {
  const keys = Array.from({ length: 10 }, (_, i) => `key${i}`);
  const empty = JSON.stringify(Object.fromEntries(keys.map((k) => [k, ''])));
  const fill = maxMetadataBytes - empty.length;
  const metadata = Object.fromEntries(
    keys.map((k, i) => [k, 'x'.repeat(Math.floor(fill / 10) + (i < fill % 10 ? 1 : 0))]),
  );
  return { reference: 'r'.repeat(128), metadata };
})();

describe('references on the hot paths', () => {
  let host: LocalHost;
  let meter: CapacityMeter;
  const post = async (path: string, body: Record<string, unknown>, status: number) => {
    const answer = await asJson(
      await fetch(`${host.url}${path}`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify(body),
      }),
    );
    expect(answer.status).toBe(status);
  };
  const cost = (step: () => Promise<unknown>) => metered(meter, host, step);

  beforeAll(async () => {
    host = await startTestHost({
      config: alwaysOpenExampleConfig({ account: { callsPerSecond: 1000 } }),
    });
    meter = attachCapacityMeter(host.deps.db, inject('dynamoEndpoint'));
    // The first placement warms what every later one finds in place (the CPS counter, the shards).
    const warm = newUser();
    await acceptPermission(host, warm, business);
    await post('/v1/calls', { from: business, to: warm }, 201);
    await settled(host);
  });
  afterAll(async () => {
    meter?.close();
    await host?.close();
  });

  const placement = async (extra: object): Promise<CapacitySnapshot> => {
    const user = newUser();
    await acceptPermission(host, user, business);
    return cost(() => post('/v1/calls', { from: business, to: user, ...extra }, 201));
  };

  const requestAndReply = async (extra: object) => {
    const user = newUser();
    const request = await cost(() =>
      post('/v1/permission-requests', { from: business, to: user, ...extra }, 202),
    );
    const reply = await cost(() => acceptPermission(host, user, business));
    return { request, reply };
  };

  it('POST /v1/calls: the same requests; the call record holds them (its writes 2 WCU more per KB)', async () => {
    const bare = await placement({});
    const full = await placement(largest);
    expect(full.requests).toEqual(bare.requests);
    // The record grows by about 1.2 KB: its Put in the transaction and the UpdateItem recording Plivo's
    // acceptance each cost more, and so do the copies the two listing indexes (every attribute
    // projected) write of it; nothing else does.
    expect(full.wcu - bare.wcu).toBeGreaterThan(0);
    expect(full.wcu - bare.wcu).toBeLessThanOrEqual(7);
    expect(full.largestItemBytes).toBeLessThan(4 * 1024);
  });

  it('POST /v1/permission-requests and its reply: the same requests; the pair carries them in between', async () => {
    const bare = await requestAndReply({});
    const full = await requestAndReply(largest);
    expect(full.request.requests).toEqual(bare.request.requests);
    expect(full.reply.requests).toEqual(bare.reply.requests);
    expect(full.request.wcu - bare.request.wcu).toBeGreaterThan(0);
    expect(full.request.wcu - bare.request.wcu).toBeLessThanOrEqual(2);
    expect(full.reply.wcu - bare.reply.wcu).toBeLessThanOrEqual(2);
  });
});
