/**
 * Business-initiated calls end to end through the local host: permission granted by a signed
 * permission-reply webhook, calls placed over HTTP, Plivo's callbacks signed as Plivo signs them, time
 * moved with the sandbox clock.
 */
import { randomUUID } from 'node:crypto';
import { GetCommand } from '@aws-sdk/lib-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { exampleConfigPath, readConfigFile } from '../../functions/shared/config/load.js';
import { plivoPaths } from '../../functions/shared/routes.js';
import { leasesOf } from '../../functions/shared/store/items/leases.js';
import { keys } from '../../functions/shared/store/keys.js';
import type { LocalHost } from '../../local/host.js';
import { exampleAgents, exampleNumbers, newUser } from '../support/fixtures.js';
import {
  acceptPermission,
  advanceClock,
  asJson,
  pathOf,
  placeCall,
  postSignedForm,
  recordedCalls,
  startTestHost,
} from '../support/local-host.js';
import { jsonAnswer, type Loopback, startLoopback } from '../support/loopback.js';
import { dialStatusForm, plivoXml } from '../support/plivo-forms.js';

const business = exampleNumbers.india;
const jamaica = exampleNumbers.jamaica;
const newYork = exampleNumbers.newYork;

describe('business-initiated calls through the local host (sandbox)', () => {
  let host: LocalHost;
  beforeAll(async () => {
    // Tests place calls back to back, faster than the example account's 10 calls per second.
    const example = readConfigFile(exampleConfigPath);
    host = await startTestHost({ config: { ...example, account: { callsPerSecond: 1000 } } });
  });
  afterAll(() => host.close());

  it('places a call, bridges the answered agent leg to the user, records the dial status, hangup frees the line', async () => {
    const user = newUser();
    await acceptPermission(host, user, business);
    const placed = await placeCall(host, { from: business, to: user });
    expect(placed.status).toBe(201);
    const callId = placed.body.callId as string;
    const [request] = (await recordedCalls(host)).filter((r) =>
      r.params.answer_url?.includes(callId),
    );
    expect(request?.params).toMatchObject({
      from: business.slice(1),
      to: exampleAgents.india,
    });

    // The agent answers: Plivo fetches the answer URL callgate gave it.
    const answer = await postSignedForm(host, pathOf(request?.params.answer_url), {
      CallUUID: randomUUID(),
      From: business.slice(1),
      To: exampleAgents.india,
      Direction: 'outbound',
      CallStatus: 'in-progress',
    });
    expect(answer.status).toBe(200);
    expect(answer.headers.get('content-type')).toBe('application/xml');
    const dial = plivoXml.parse(await answer.text()).Response.Dial;
    expect(dial['@callType']).toBe('whatsapp');
    expect(dial['@callerId']).toBe(business.slice(1));
    expect(String(dial.User)).toBe(user.slice(1));

    const status = await postSignedForm(host, pathOf(dial['@action']), dialStatusForm('completed'));
    expect(status.status).toBe(200);
    expect(plivoXml.parse(await status.text()).Response).toHaveProperty('Hangup');

    const line = () => leasesOf(host.deps.db, business);
    expect(Object.keys(await line())).toContain(callId);
    const hangup = await postSignedForm(host, pathOf(request?.params.hangup_url), {
      CallUUID: randomUUID(),
      HangupCause: 'NORMAL_CLEARING',
      Duration: '42',
    });
    expect(hangup.status).toBe(200);
    expect(Object.keys(await line())).not.toContain(callId);
  });

  it('US business numbers are refused, Jamaica ones are not (both +1)', async () => {
    const user = newUser();
    const us = await placeCall(host, { from: newYork, to: user });
    expect([us.status, us.body.error]).toEqual([403, 'country_restricted']);
    await acceptPermission(host, user, jamaica);
    expect((await placeCall(host, { from: jamaica, to: user })).status).toBe(201);
  });

  it('the daily calls in 24 h, then 429 daily_call_limit until the sandbox clock moves past the oldest', async () => {
    const dailyCalls = host.deps.config.rules.businessCallsPer24Hours;
    const user = newUser();
    await acceptPermission(host, user, business);
    for (let i = 0; i < dailyCalls; i++) {
      expect((await placeCall(host, { from: business, to: user })).status).toBe(201);
      await advanceClock(host, 3600);
    }
    const refused = await placeCall(host, { from: business, to: user });
    expect([refused.status, refused.body.error]).toEqual([429, 'daily_call_limit']);
    // The oldest leaves 24 h after it was placed, an hour per call ago; the sandbox clock runs on from
    // real time: the seconds these requests took come off that too.
    const oldestLeavesIn = (24 - dailyCalls) * 3600;
    const retryAfter = Number(refused.body.retryAfter);
    expect(retryAfter).toBeGreaterThan(oldestLeavesIn - 30);
    expect(retryAfter).toBeLessThanOrEqual(oldestLeavesIn);
    await advanceClock(host, retryAfter - 30);
    expect((await placeCall(host, { from: business, to: user })).status).toBe(429);
    await advanceClock(host, 30);
    expect((await placeCall(host, { from: business, to: user })).status).toBe(201);
  });

  it('unanswered calls in a row revoke the permission: 403 permission_revoked and the state shows it', async () => {
    const user = newUser();
    await acceptPermission(host, user, business);
    for (let i = 0; i < host.deps.config.rules.missedCalls.revokeAt; i++) {
      const placed = await placeCall(host, { from: business, to: user });
      expect(placed.status).toBe(201);
      const path = `${plivoPaths.dialStatus}?call=${placed.body.callId}`;
      const status = await postSignedForm(host, path, dialStatusForm('no-answer'));
      expect(plivoXml.parse(await status.text()).Response.Speak).toBe(
        'The customer did not answer.',
      );
      await advanceClock(host, 60);
    }
    const refused = await placeCall(host, { from: business, to: user });
    expect([refused.status, refused.body.error]).toEqual([403, 'permission_revoked']);
    // No retry lets a call through (a lapsed revocation is no permission): a request may be sent now.
    expect(refused.body).not.toHaveProperty('retryAfter');
    expect(refused.body.requestPermissionAfter).toBe(0);
    const state = await asJson(
      await fetch(
        `${host.url}/v1/permissions/${encodeURIComponent(business)}/${encodeURIComponent(user)}`,
      ),
    );
    expect(state.status).toBe(200);
    expect(state.body.actions).toContainEqual(
      expect.objectContaining({ action: 'start_call', canPerform: false }),
    );
    const pair = await host.deps.db.doc.send(
      new GetCommand({
        TableName: host.deps.db.tableName,
        Key: keys.pair(business, user),
        ConsistentRead: true,
      }),
    );
    expect(pair.Item).toMatchObject({ permission: 'revoked', revokedReason: 'missed_calls' });
  });

  it('unsigned callbacks are refused', async () => {
    const response = await fetch(`${host.url}${plivoPaths.dialStatus}?call=${randomUUID()}`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: 'DialStatus=completed',
    });
    expect(response.status).toBe(403);
  });

  describe('Idempotency-Key', () => {
    const placeWithKey = async (key: string, body: Record<string, unknown>) =>
      asJson(
        await fetch(`${host.url}/v1/calls`, {
          method: 'POST',
          headers: { 'content-type': 'application/json', 'idempotency-key': key },
          body: JSON.stringify(body),
        }),
      );

    it('the same key and body replays the first call: 201, the same callId, one Call API request', async () => {
      const user = newUser();
      await acceptPermission(host, user, business);
      const key = randomUUID();
      const before = (await recordedCalls(host)).length;
      const first = await placeWithKey(key, { from: business, to: user });
      const again = await placeWithKey(key, { from: business, to: user });
      expect(first.status).toBe(201);
      expect([again.status, again.body]).toEqual([201, first.body]);
      expect(await recordedCalls(host)).toHaveLength(before + 1);
    });

    it('the same key with another user, agent or business number: 409 idempotency_key_reused, no call', async () => {
      const user = newUser();
      const other = newUser();
      await acceptPermission(host, user, business);
      await acceptPermission(host, other, business);
      await acceptPermission(host, user, jamaica);
      const key = randomUUID();
      const first = await placeWithKey(key, { from: business, to: user });
      expect(first.status).toBe(201);
      const before = (await recordedCalls(host)).length;
      for (const body of [
        { from: business, to: other },
        { from: business, to: user, agent: 'sip:desk-9@pbx.example.com' },
        { from: jamaica, to: user },
      ]) {
        const reused = await placeWithKey(key, body);
        expect([reused.status, reused.body.error]).toEqual([409, 'idempotency_key_reused']);
      }
      expect(await recordedCalls(host)).toHaveLength(before);
    });
  });
});

describe('Plivo failing behind the local host', () => {
  let host: LocalHost;
  let plivo: Loopback;
  let answer: 'fail' | 'ok' = 'fail';
  beforeAll(async () => {
    plivo = await startLoopback(() =>
      answer === 'ok'
        ? jsonAnswer(201, { request_uuid: randomUUID() })
        : jsonAnswer(503, { error: 'try later' }),
    );
    host = await startTestHost({
      plivo: { authId: 'MAXXXXXXXXXXXXXXXXXX', authToken: 'e2e-token', apiUrl: plivo.url },
    });
  });
  afterAll(async () => {
    await host.close();
    await plivo.close();
  });

  it('502 plivo_error and nothing counted; once Plivo answers, the call is placed', async () => {
    const user = newUser();
    const reply = await postSignedForm(
      host,
      plivoPaths.message,
      {
        From: user.slice(1),
        To: business.slice(1),
        MessageUUID: randomUUID(),
        Interactive: JSON.stringify({
          type: 'call_permission_reply',
          call_permission_reply: { response: 'accept' },
        }),
      },
      'e2e-token',
    );
    expect(reply.status).toBe(200);
    for (let i = 0; i < 6; i++) {
      const failed = await placeCall(host, { from: business, to: user });
      expect([failed.status, failed.body.error]).toEqual([502, 'plivo_error']);
    }
    answer = 'ok';
    // Six refusals counted nothing: the daily limit is still whole.
    for (let i = 0; i < host.deps.config.rules.businessCallsPer24Hours; i++)
      expect((await placeCall(host, { from: business, to: user })).status).toBe(201);
    expect((await placeCall(host, { from: business, to: user })).body.error).toBe(
      'daily_call_limit',
    );
  });
});
