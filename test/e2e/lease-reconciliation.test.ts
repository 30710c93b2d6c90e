/**
 * A number at capacity whose leases belong partly to calls that are over, their hangups lost (Plivo's
 * WhatsApp setup documents no Hangup URL): before refusing a caller, callgate asks Plivo's Live Call API
 * which calls are live and releases the leases of inbound calls it no longer lists. Through the local
 * host with the real Plivo REST adapter against a loopback server standing in for api.plivo.com.
 */
import { randomUUID } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { refusals } from '../../functions/answer/handler.js';
import { keys } from '../../functions/shared/store/keys.js';
import { leasesOf } from '../../functions/shared/store/leases.js';
import type { LocalHost } from '../../infra/local/host.js';
import { readItem } from '../support/dynamo.js';
import { postSignedForm, startTestHost } from '../support/local-host.js';
import {
  alwaysOpenExampleConfig,
  hangupForm,
  inboundAnswerForm,
  plivoXml,
} from '../support/plivo-forms.js';

const business = '+918035737458';
const authToken = 'reconciliation-token';
const authId = 'MARECONCILEXXXXXXXXX';
let callerCounter = 0;
const newCaller = () => `+91988${String(++callerCounter).padStart(7, '0')}`;

/** What the loopback Live Call API answers: the live CallUUIDs, or a failure. */
let liveCalls: string[] | 'error' = [];
const liveRequests: string[] = [];

describe('leases reconciled with Plivo live calls at capacity', () => {
  let host: LocalHost;
  let plivo: Server;

  beforeAll(async () => {
    plivo = createServer((request, response) => {
      liveRequests.push(`${request.method} ${request.url}`);
      if (liveCalls === 'error') {
        response.writeHead(500, { 'content-type': 'application/json' });
        response.end('{"error":"internal error"}');
        return;
      }
      response.writeHead(200, { 'content-type': 'application/json' });
      response.end(JSON.stringify({ api_id: randomUUID(), calls: liveCalls }));
    });
    await new Promise<void>((resolve) => plivo.listen(0, '127.0.0.1', resolve));
    host = await startTestHost({
      config: alwaysOpenExampleConfig({ rules: { simultaneousCallsPerNumber: 2 } }),
      plivo: {
        authId,
        authToken,
        apiUrl: `http://127.0.0.1:${(plivo.address() as AddressInfo).port}`,
      },
    });
  });
  afterAll(async () => {
    await host.close();
    plivo.closeAllConnections();
    await new Promise<void>((resolve) => plivo.close(() => resolve()));
  });

  const item = (key: { pk: string; sk: string }) => readItem(host.deps.db, key);
  const leases = async () => Object.keys(await leasesOf(host.deps.db, business)).sort();
  const call = async (callId: string) => {
    const response = await postSignedForm(
      host,
      '/plivo/whatsapp/answer',
      inboundAnswerForm(callId, newCaller(), business),
      authToken,
    );
    expect(response.status).toBe(200);
    return plivoXml.parse(await response.text()).Response as Record<string, unknown>;
  };
  const busy = (xml: Record<string, unknown>) => String(xml.Speak) === refusals.atCapacity;

  it('releases only inbound calls Plivo no longer lists, past a grace; a late hangup changes nothing', async () => {
    const [live, over] = [randomUUID(), randomUUID()];
    await call(live);
    await call(over);
    liveCalls = [live];
    liveRequests.length = 0;

    // Both calls are younger than the grace: nothing is taken for over.
    expect(busy(await call(randomUUID()))).toBe(true);
    expect(liveRequests).toEqual([`GET /v1/Account/${authId}/Call/?status=live`]);
    expect(await leases()).toEqual([live, over].sort());

    host.clock.advance(120);
    const next = randomUUID();
    expect(busy(await call(next))).toBe(false);
    expect(await leases()).toEqual([live, next].sort());
    const ended = await item(keys.call(over));
    expect(ended).toMatchObject({ endedAt: expect.any(Number), endedBy: 'reconciliation' });
    // Its duration is the record's own: answer to reconciliation, past the 120 s the clock moved.
    const { startedAt = 0, endedAt = 0, durationSeconds } = ended as Record<string, number>;
    expect(durationSeconds).toBe(Math.round((endedAt - startedAt) / 1000));
    expect(durationSeconds).toBeGreaterThanOrEqual(120);
    const reaped = host.metrics.filter((m) => m.name === 'LeasesReaped');
    expect(reaped.map((m) => [m.value, m.dimensions.function])).toEqual([[1, 'answer']]);
    // The first refusal, inside the grace, was at capacity; the second found room once over was reaped.
    expect(host.metrics.filter((m) => m.name === 'InboundRefusedAtCapacity')).toHaveLength(1);

    const hangup = await postSignedForm(
      host,
      '/plivo/whatsapp/hangup',
      hangupForm(over, { Duration: '61' }),
      authToken,
    );
    expect(await hangup.json()).toEqual({ callId: over, outcome: 'already_ended' });
    expect(await item(keys.call(over))).toEqual(ended);
  });

  it('when Plivo cannot say which calls are live, the caller is refused and nothing is released', async () => {
    const held = await leases();
    expect(held).toHaveLength(2);
    host.clock.advance(120);
    liveCalls = 'error';
    expect(busy(await call(randomUUID()))).toBe(true);
    expect(await leases()).toEqual(held);
    expect(
      host.metrics.filter((m) => m.name === 'PlivoApiErrors').map((m) => m.dimensions.status),
    ).toEqual(['500']);
    liveCalls = [];
  });
});
