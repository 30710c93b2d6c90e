/**
 * Plivo's REST API failing behind the local host, over real HTTP to a loopback stand-in: answering 500,
 * never answering (the adapter's timeout), refusing connections. For both requests that reach Plivo
 * (POST /v1/calls, POST /v1/permission-requests) the client is told 502 plivo_error, nothing is counted,
 * and the next request after the fault clears goes through; except a permission request Plivo did not
 * answer in time, which may have gone: it stays counted (502 plivo_outcome_unknown). When the Live Call API fails, a number at
 * capacity keeps every lease and the caller hears busy.
 */
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { refusals } from '../../functions/shared/operations/inbound-call.js';
import { plivoPaths } from '../../functions/shared/routes.js';
import { idempotencyKeys } from '../../functions/shared/store/items/idempotency.js';
import { keys } from '../../functions/shared/store/keys.js';
import type { LocalHost } from '../../local/host.js';
import { exampleNumbers, newUser } from '../support/fixtures.js';
import { postSignedForm, startTestHost } from '../support/local-host.js';
import {
  agentLegAnswerForm,
  alwaysOpenExampleConfig,
  inboundAnswerForm,
  plivoXml,
} from '../support/plivo-forms.js';
import {
  asJson,
  callRecordsOf,
  cpsTokens,
  leasesOf,
  outboundAnswerPath,
  outboundHangupPath,
  permissionReply,
  permissionUsage,
  placeCall,
  readItem,
  requestPermission,
  type ScriptedPlivo,
  startScriptedPlivo,
} from './support.js';

const business = exampleNumbers.india;
const authToken = 'faults-plivo-token';

type Fault = '500' | 'timeout' | 'connection refused';
const faults: readonly Fault[] = ['500', 'timeout', 'connection refused'];

describe('Plivo API faults through the local host', () => {
  let plivo: ScriptedPlivo;
  let host: LocalHost;

  const inject = async (fault: Fault) => {
    if (fault === '500') plivo.setMode('error');
    if (fault === 'timeout') plivo.setMode('hang');
    if (fault === 'connection refused') await plivo.refuseConnections();
  };
  const clear = async (fault: Fault) => {
    plivo.setMode('ok');
    if (fault === 'connection refused') await plivo.acceptConnections();
  };

  const grant = async (user: string) => {
    const reply = await postSignedForm(
      host,
      plivoPaths.message,
      permissionReply(user, business, 'accept'),
      authToken,
    );
    expect(reply.status).toBe(200);
  };

  /** Everything a placement takes, as DynamoDB holds it. */
  const placementState = async (user: string, idempotencyKey: string) => ({
    calls: Object.keys(
      ((await readItem(host.deps.db, keys.pair(business, user)))?.calls ?? {}) as object,
    ),
    leases: await leasesOf(host.deps.db, business),
    cpsTokens: await cpsTokens(host.deps.db),
    callRecords: (await callRecordsOf(host.deps.db, user)).length,
    idempotency: await readItem(
      host.deps.db,
      keys.idempotency(idempotencyKeys.client(idempotencyKey)),
    ),
    used: (await permissionUsage(host, business, user)).used.start_call?.PT24H,
  });

  beforeAll(async () => {
    plivo = await startScriptedPlivo();
    host = await startTestHost({
      plivo: { authId: 'MAFAULTSXXXXXXXXXXXX', authToken, apiUrl: plivo.url },
      // Short, so the "never answers" case fails fast; the adapter's default is 5 s.
      plivoTimeoutMs: 300,
    });
  });
  afterAll(async () => {
    await host.close();
    await plivo.close();
  });

  it.each(faults)(
    'POST /v1/calls, Plivo %s: 502 plivo_error, nothing counted; the same Idempotency-Key places it once Plivo is back',
    async (fault) => {
      const user = newUser();
      await grant(user);
      const idempotencyKey = randomUUID();
      const before = await placementState(user, idempotencyKey);
      expect(before).toMatchObject({ calls: [], callRecords: 0, idempotency: undefined, used: 0 });

      await inject(fault);
      const sentBefore = plivo.received.length;
      const failed = await placeCall(host, business, user, { 'idempotency-key': idempotencyKey });
      expect([failed.status, failed.body.error]).toEqual([502, 'plivo_error']);
      expect(failed.body.message).toMatch(/nothing was counted/);
      // Refused connections never reach the stand-in; the other two faults did ask Plivo.
      expect(plivo.received.length - sentBefore).toBe(fault === 'connection refused' ? 0 : 1);
      expect(await placementState(user, idempotencyKey)).toEqual(before);

      await clear(fault);
      const placed = await placeCall(host, business, user, { 'idempotency-key': idempotencyKey });
      expect(placed.status).toBe(201);
      const after = await placementState(user, idempotencyKey);
      expect(after).toMatchObject({
        calls: [placed.body.callId],
        leases: [...before.leases, placed.body.callId].sort(),
        cpsTokens: before.cpsTokens + 1,
        callRecords: 1,
        idempotency: { status: 'placed', callId: placed.body.callId },
        used: 1,
      });
    },
  );

  it.each(faults.filter((fault) => fault !== 'timeout'))(
    'POST /v1/permission-requests, Plivo %s: 502 plivo_error, the request is not counted; sent once Plivo is back',
    async (fault) => {
      const user = newUser();
      await inject(fault);
      const failed = await requestPermission(host, business, user);
      expect([failed.status, failed.body.error]).toEqual([502, 'plivo_error']);
      const state = await permissionUsage(host, business, user);
      expect(state.used.send_call_permission_request).toEqual({ PT24H: 0, P7D: 0 });
      // The reservation wrote the slots; the release put them back: no request time is left on the pair.
      const pair = await readItem(host.deps.db, keys.pair(business, user));
      expect(Object.keys(pair ?? {}).filter((name) => /^request\d+$/.test(name))).toEqual([]);

      await clear(fault);
      const sent = await requestPermission(host, business, user);
      expect(sent.status).toBe(202);
      expect(
        (await permissionUsage(host, business, user)).used.send_call_permission_request,
      ).toEqual({ PT24H: 1, P7D: 1 });
      expect(plivo.received.at(-1)).toMatchObject({
        resource: 'Message',
        body: { src: business.slice(1), dst: user.slice(1), type: 'whatsapp' },
      });
    },
  );

  it('POST /v1/permission-requests, Plivo times out: 502 plivo_outcome_unknown, the request stays counted (it may have gone)', async () => {
    const user = newUser();
    await inject('timeout');
    const failed = await requestPermission(host, business, user);
    expect([failed.status, failed.body.error]).toEqual([502, 'plivo_outcome_unknown']);
    await clear('timeout');
    // Plivo got the message all the same; it is counted once, and a second one is Meta's limit.
    expect(plivo.received.at(-1)).toMatchObject({ resource: 'Message' });
    expect((await permissionUsage(host, business, user)).used.send_call_permission_request).toEqual(
      { PT24H: 1, P7D: 1 },
    );
    const again = await requestPermission(host, business, user);
    expect([again.status, again.body.error]).toEqual([429, 'request_limit']);
  });

  it('all three faults in a row on one pair count nothing; the daily limit stays whole', async () => {
    const user = newUser();
    await grant(user);
    for (const fault of faults) {
      await inject(fault);
      for (let i = 0; i < 2; i++) {
        const failed = await placeCall(host, business, user);
        expect([fault, failed.status, failed.body.error]).toEqual([fault, 502, 'plivo_error']);
        const refusedRequest = await requestPermission(host, business, user);
        // A permission is active: the request is refused before Plivo is asked.
        expect(refusedRequest.status).toBe(409);
      }
      await clear(fault);
    }
    expect((await permissionUsage(host, business, user)).used.start_call).toEqual({ PT24H: 0 });
    expect(await callRecordsOf(host.deps.db, user)).toEqual([]);
    const pair = await readItem(host.deps.db, keys.pair(business, user));
    expect(pair?.calls ?? {}).toEqual({});
    for (let i = 0; i < host.deps.config.rules.businessCallsPer24Hours; i++) {
      expect((await placeCall(host, business, user)).status).toBe(201);
    }
    expect((await placeCall(host, business, user)).body.error).toBe('daily_call_limit');
  });

  it('Plivo timed out but placed the call after all: its answer URL hangs up, its hangup changes nothing', async () => {
    const user = newUser();
    await grant(user);
    plivo.setMode('hang');
    const failed = await placeCall(host, business, user);
    expect(failed.status).toBe(502);
    plivo.setMode('ok');
    const late = plivo.received.at(-1);
    expect(late?.resource).toBe('Call');
    const callId = new URL(String(late?.body.answer_url)).searchParams.get('call') ?? '';
    const leasesBefore = await leasesOf(host.deps.db, business);

    // The agent answers the call Plivo placed late: callgate released it, so it is not bridged.
    const answer = await postSignedForm(
      host,
      outboundAnswerPath(callId),
      agentLegAnswerForm(business),
      authToken,
    );
    expect(answer.status).toBe(200);
    const response = plivoXml.parse(await answer.text()).Response;
    expect(response).toEqual({ Speak: 'This call could not be connected.', Hangup: '' });
    const hangup = await asJson(
      await postSignedForm(
        host,
        outboundHangupPath(callId),
        { CallUUID: randomUUID(), HangupCause: 'NORMAL_CLEARING', Duration: '3' },
        authToken,
      ),
    );
    expect(hangup).toEqual({ status: 200, body: { callId, outcome: 'unknown_call' } });
    expect(await leasesOf(host.deps.db, business)).toEqual(leasesBefore);
    expect(await readItem(host.deps.db, keys.call(callId))).toBeUndefined();
    expect((await permissionUsage(host, business, user)).used.start_call).toEqual({ PT24H: 0 });
  });
});

describe("Plivo's Live Call API failing while a number is at capacity", () => {
  let plivo: ScriptedPlivo;
  let host: LocalHost;

  beforeAll(async () => {
    plivo = await startScriptedPlivo();
    host = await startTestHost({
      config: alwaysOpenExampleConfig({ rules: { simultaneousCallsPerNumber: 2 } }),
      plivo: { authId: 'MAFAULTSXXXXXXXXXXXX', authToken, apiUrl: plivo.url },
      plivoTimeoutMs: 300,
    });
  });
  afterAll(async () => {
    await host.close();
    await plivo.close();
  });

  const busy = async () => {
    const answer = await postSignedForm(
      host,
      plivoPaths.answer,
      inboundAnswerForm(randomUUID(), newUser(), business),
      authToken,
    );
    expect(answer.status).toBe(200);
    return String(plivoXml.parse(await answer.text()).Response.Speak) === refusals.atCapacity;
  };

  it.each(faults)(
    'Plivo %s: no lease is released, the caller hears busy, counted as unavailable',
    async (fault) => {
      if (Object.keys(await leasesOf(host.deps.db, business)).length < 2) {
        expect(await busy()).toBe(false);
        expect(await busy()).toBe(false);
      }
      // Past the grace: any lease the Live Call API could prove over would be released.
      host.clock.advance(120);
      const held = await leasesOf(host.deps.db, business);
      const unknownBefore = host.metrics.filter((m) => m.name === 'LiveCallsUnknown').length;

      await inject(fault);
      expect(await busy()).toBe(true);
      await clear(fault);

      expect(await leasesOf(host.deps.db, business)).toEqual(held);
      expect(
        host.metrics
          .filter((m) => m.name === 'LiveCallsUnknown')
          .slice(unknownBefore)
          .map((m) => m.dimensions.reason),
      ).toEqual(['unavailable']);
    },
  );

  const inject = async (fault: Fault) => {
    if (fault === '500') plivo.setMode('error');
    if (fault === 'timeout') plivo.setMode('hang');
    if (fault === 'connection refused') await plivo.refuseConnections();
  };
  const clear = async (fault: Fault) => {
    plivo.setMode('ok');
    if (fault === 'connection refused') await plivo.acceptConnections();
  };
});
