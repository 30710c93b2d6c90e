/**
 * The call log (GET /v1/calls/{callId}) through the local host: calls of both directions driven by
 * signed Plivo callbacks, read back as the business sees them. The sandbox clock moves a few seconds
 * between steps so that each time is strictly after the one before.
 */
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { plivoPaths } from '../../functions/shared/routes.js';
import type { LocalHost } from '../../local/host.js';
import { exampleAgents, exampleNumbers, newUser } from '../support/fixtures.js';
import {
  acceptPermission,
  advanceClock,
  asJson,
  pathOf,
  placeCall,
  postSignedForm,
  type RecordedCall,
  recordedCalls,
  startTestHost,
} from '../support/local-host.js';
import {
  agentLegAnswerForm,
  alwaysOpenExampleConfig,
  dialStatusForm,
  hangupForm,
  inboundAnswerForm,
  plivoXml,
} from '../support/plivo-forms.js';

const business = exampleNumbers.india;
const agent = exampleAgents.india;

const getCall = async (host: LocalHost, callId: string, headers: Record<string, string> = {}) =>
  asJson(await fetch(`${host.url}/v1/calls/${encodeURIComponent(callId)}`, { headers }));

/** An ISO time from the view, as epoch ms (NaN when it is not one). */
const at = (value: unknown): number =>
  typeof value === 'string' && /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/.test(value)
    ? Date.parse(value)
    : Number.NaN;

describe('call log through the local host (sandbox)', () => {
  let host: LocalHost;
  beforeAll(async () => {
    host = await startTestHost({ config: alwaysOpenExampleConfig() });
  });
  afterAll(() => host.close());

  /** Places a business-initiated call and returns its id and the Call API request Plivo was sent. */
  const placed = async (user: string) => {
    await acceptPermission(host, user, business);
    const response = await placeCall(host, { from: business, to: user });
    expect(response.status).toBe(201);
    const callId = response.body.callId as string;
    const request = (await recordedCalls(host)).find((r) => r.params.answer_url?.includes(callId));
    if (!request) throw new Error(`no Call API request for ${callId}`);
    return { callId, request };
  };

  /** The agent answers: callgate dials the user; returns the dial's action path. */
  const agentAnswers = async (request: RecordedCall): Promise<string> => {
    const answer = await postSignedForm(
      host,
      pathOf(request.params.answer_url),
      agentLegAnswerForm(business, agent),
    );
    expect(answer.status).toBe(200);
    return pathOf(plivoXml.parse(await answer.text()).Response.Dial['@action']);
  };

  const agentHangsUp = async (request: RecordedCall) => {
    const hangup = await postSignedForm(
      host,
      pathOf(request.params.hangup_url),
      hangupForm(randomUUID()),
    );
    expect(hangup.status).toBe(200);
  };

  it('business-initiated, answered then hung up: ringing, in progress, ended', async () => {
    const user = newUser();
    const { callId, request } = await placed(user);

    const ringing = await getCall(host, callId);
    expect(ringing.status).toBe(200);
    expect(ringing.body).toMatchObject({
      callId,
      direction: 'outbound',
      business,
      user,
      status: 'ringing',
      agent,
    });
    expect(at(ringing.body.placedAt)).not.toBeNaN();
    for (const field of ['outcome', 'answeredAt', 'endedAt']) {
      expect(ringing.body).not.toHaveProperty(field);
    }

    await advanceClock(host, 5);
    const dialAction = await agentAnswers(request);
    await advanceClock(host, 20);
    const status = await postSignedForm(host, dialAction, dialStatusForm('completed'));
    expect(status.status).toBe(200);
    const answered = await getCall(host, callId);
    expect(answered.body).toMatchObject({ status: 'in_progress', outcome: 'answered' });
    expect(at(answered.body.answeredAt)).toBeGreaterThan(at(ringing.body.placedAt));

    await advanceClock(host, 5);
    await agentHangsUp(request);
    const over = await getCall(host, callId);
    expect(over.body).toEqual({
      callId,
      direction: 'outbound',
      business,
      user,
      status: 'ended',
      placedAt: ringing.body.placedAt,
      answeredAt: answered.body.answeredAt,
      endedAt: over.body.endedAt,
      durationSeconds: 42,
      outcome: 'answered',
      hangupCause: 'NORMAL_CLEARING',
      agent,
    });
    expect(at(over.body.endedAt)).toBeGreaterThan(at(answered.body.answeredAt));
  });

  it('business-initiated, the user does not answer: missed, counted in a row', async () => {
    const user = newUser();
    const { callId, request } = await placed(user);
    await advanceClock(host, 5);
    const dialAction = await agentAnswers(request);
    await advanceClock(host, 45);
    const status = await postSignedForm(host, dialAction, dialStatusForm('no-answer'));
    expect(status.status).toBe(200);
    await agentHangsUp(request);

    const view = await getCall(host, callId);
    expect(view.status).toBe(200);
    expect(view.body).toMatchObject({
      callId,
      direction: 'outbound',
      status: 'ended',
      outcome: 'missed',
      missedInARow: 1,
    });
    expect(at(view.body.placedAt)).not.toBeNaN();
    expect(view.body).not.toHaveProperty('answeredAt');
    expect(view.body).not.toHaveProperty('refusal');
  });

  it('inbound, answered then hung up: answered from the start, ended with its duration', async () => {
    const callId = randomUUID();
    const caller = '919412349876';
    const params = inboundAnswerForm(callId, caller, business);
    const answer = await postSignedForm(host, plivoPaths.answer, params);
    expect(answer.status).toBe(200);
    // The record is written from the table's stream once the answer's lease is committed.
    await host.settled();

    const live = await getCall(host, callId);
    expect(live.status).toBe(200);
    expect(live.body).toMatchObject({
      callId,
      direction: 'inbound',
      business,
      user: `+${caller}`,
      status: 'in_progress',
      outcome: 'answered',
    });
    expect(at(live.body.answeredAt)).not.toBeNaN();

    await advanceClock(host, 42);
    const hangup = await postSignedForm(
      host,
      plivoPaths.hangup,
      hangupForm(callId, { From: caller, To: business.slice(1), HangupCauseName: 'Normal Hangup' }),
    );
    expect(hangup.status).toBe(200);
    const over = await getCall(host, callId);
    expect(over.body).toEqual({
      callId,
      direction: 'inbound',
      business,
      user: `+${caller}`,
      status: 'ended',
      answeredAt: live.body.answeredAt,
      endedAt: over.body.endedAt,
      durationSeconds: 42,
      outcome: 'answered',
      hangupCause: 'Normal Hangup',
    });
    expect(at(over.body.endedAt)).toBeGreaterThan(at(live.body.answeredAt));
  });

  it('inbound, hung up before callgate answered: missed', async () => {
    const callId = randomUUID();
    const caller = '919412349877';
    const hangup = await postSignedForm(
      host,
      plivoPaths.hangup,
      hangupForm(callId, { From: caller, To: business.slice(1) }),
    );
    expect(await hangup.json()).toMatchObject({ outcome: 'ended_unanswered' });
    const view = await getCall(host, callId);
    expect(view.body).toMatchObject({
      callId,
      direction: 'inbound',
      status: 'ended',
      outcome: 'missed',
    });
    expect(view.body).not.toHaveProperty('answeredAt');
  });

  it('404 not_found for a call id never seen', async () => {
    const view = await getCall(host, randomUUID());
    expect(view.status).toBe(404);
    expect(view.body).toEqual({ error: 'not_found', message: expect.any(String) });
  });

  it.each([
    'not-a-uuid',
    '12345',
    '3a2e4c90dcee49318a59f123ab507e60',
    '3a2e4c90-dcee-4931-8a59-f123ab507e60x',
    `${randomUUID()}/extra`,
  ])('400 invalid_request for the call id %j', async (callId) => {
    const view = await getCall(host, callId);
    expect(view.status).toBe(400);
    expect(view.body.error).toBe('invalid_request');
  });

  // Last: it moves the shared clock a month on.
  it('404 once the record is past its retention', async () => {
    const { callId } = await placed(newUser());
    expect((await getCall(host, callId)).status).toBe(200);
    await advanceClock(host, 31 * 24 * 3600);
    const view = await getCall(host, callId);
    expect([view.status, view.body.error]).toEqual([404, 'not_found']);
  });
});

describe('call log with API_TOKEN', () => {
  let host: LocalHost;
  beforeAll(async () => {
    host = await startTestHost({ apiToken: 'local-secret' });
  });
  afterAll(() => host.close());

  it('requires the bearer token, like every /v1 route', async () => {
    const callId = randomUUID();
    expect((await getCall(host, callId)).status).toBe(401);
    const allowed = await getCall(host, callId, { authorization: 'Bearer local-secret' });
    expect([allowed.status, allowed.body.error]).toEqual([404, 'not_found']);
  });
});
