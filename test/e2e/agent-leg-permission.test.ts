/**
 * The agent leg of a business-initiated call answers minutes after the call was placed. Whatever
 * happened to the permission in between (a rejection, a revocation by the user or by Meta, 4 missed
 * calls in a row, plain expiry), the user must not be dialed once it no longer allows the call: the
 * agent hears why, the call ends, its daily slot is given back and its lease released.
 */
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { leasesOf } from '../../functions/shared/store/items/leases.js';
import { keys } from '../../functions/shared/store/keys.js';
import type { LocalHost } from '../../local/host.js';
import { readItem } from '../support/dynamo.js';
import { exampleNumbers, newUser } from '../support/fixtures.js';
import {
  acceptPermission,
  advanceClock,
  pathOf,
  permissionReply,
  placeCall,
  postSignedForm,
  recordedCalls,
  startTestHost,
} from '../support/local-host.js';
import {
  agentLegAnswerForm,
  dialStatusForm,
  hangupForm,
  plivoXml,
} from '../support/plivo-forms.js';

const business = exampleNumbers.india;

describe('the agent leg checks the permission again when it answers', () => {
  let host: LocalHost;
  beforeAll(async () => {
    host = await startTestHost();
  });
  afterAll(() => host.close());

  const item = (key: { pk: string; sk: string }) => readItem(host.deps.db, key);

  /** Places a call and returns its id and the URLs Plivo was given. */
  const place = async (user: string) => {
    const placed = await placeCall(host, { from: business, to: user });
    expect(placed.status).toBe(201);
    const callId = placed.body.callId as string;
    const request = (await recordedCalls(host)).find((r) => r.params.answer_url?.includes(callId));
    return {
      callId,
      answerPath: pathOf(request?.params.answer_url),
      hangupPath: pathOf(request?.params.hangup_url),
    };
  };

  const agentAnswers = async (answerPath: string) => {
    const response = await postSignedForm(host, answerPath, agentLegAnswerForm(business));
    expect(response.status).toBe(200);
    return plivoXml.parse(await response.text()).Response as Record<string, unknown>;
  };

  /** The answer refused the bridge: nothing dialed, the call ended, its slot and lease given back. */
  const expectRefused = async (
    call: { callId: string },
    user: string,
    xml: Record<string, unknown>,
    reason: string,
  ) => {
    expect(xml).not.toHaveProperty('Dial');
    expect(String(xml.Speak)).toMatch(/not placed/);
    expect(xml).toHaveProperty('Hangup');
    const leases = await leasesOf(host.deps.db, business);
    expect(Object.keys(leases)).not.toContain(call.callId);
    const pair = await item(keys.pair(business, user));
    expect(Object.keys((pair?.calls ?? {}) as object)).not.toContain(call.callId);
    const record = await item(keys.call(call.callId));
    expect(record).toMatchObject({ refusal: reason });
    expect(record?.endedAt).toBeTypeOf('number');
    expect(record?.dialedAt).toBeUndefined();
  };

  it('after the user rejects', async () => {
    const user = newUser();
    await acceptPermission(host, user, business);
    const call = await place(user);
    await permissionReply(host, user, business, { response: 'reject' });
    await expectRefused(call, user, await agentAnswers(call.answerPath), 'permission_rejected');
  });

  it('after Meta revokes (an automatic reject)', async () => {
    const user = newUser();
    await acceptPermission(host, user, business);
    const call = await place(user);
    await permissionReply(host, user, business, {
      response: 'reject',
      response_source: 'automatic',
    });
    await expectRefused(call, user, await agentAnswers(call.answerPath), 'permission_revoked');
  });

  it('after the grant expired', async () => {
    const user = newUser();
    await acceptPermission(host, user, business);
    const call = await place(user);
    await advanceClock(host, host.deps.config.rules.permissionSeconds);
    await expectRefused(call, user, await agentAnswers(call.answerPath), 'permission_expired');
  });

  it('for a call placed before the revoking miss in a row revoked the permission', async () => {
    const user = newUser();
    await acceptPermission(host, user, business);
    const waiting = await place(user);
    for (let miss = 0; miss < host.deps.config.rules.missedCalls.revokeAt; miss++) {
      const call = await place(user);
      const dial = (await agentAnswers(call.answerPath)).Dial as Record<string, string>;
      expect(dial['@callType']).toBe('whatsapp');
      const status = await postSignedForm(
        host,
        pathOf(dial['@action']),
        dialStatusForm('no-answer'),
      );
      expect(status.status).toBe(200);
    }
    expect((await item(keys.pair(business, user)))?.permission).toBe('revoked');
    await expectRefused(
      waiting,
      user,
      await agentAnswers(waiting.answerPath),
      'permission_revoked',
    );
  });

  it("the refused call's hangup changes nothing more, and a permitted call still bridges", async () => {
    const user = newUser();
    await acceptPermission(host, user, business);
    const refused = await place(user);
    await permissionReply(host, user, business, { response: 'reject' });
    await agentAnswers(refused.answerPath);
    const hangup = await postSignedForm(host, refused.hangupPath, hangupForm(randomUUID()));
    expect(await hangup.json()).toMatchObject({ outcome: 'already_ended' });

    await acceptPermission(host, user, business);
    const permitted = await place(user);
    const dial = (await agentAnswers(permitted.answerPath)).Dial as Record<string, string>;
    expect(dial['@callType']).toBe('whatsapp');
  });
});
