/**
 * Calls driven through a local host over HTTP, as Plivo and the business's systems send them, one step
 * at a time so each step's DynamoDB cost can be read on its own (`npm run capacity`,
 * test/integration/capacity.test.ts).
 */
import { randomUUID } from 'node:crypto';
import { refusals } from '../../functions/shared/operations/inbound-call.js';
import { plivoPaths } from '../../functions/shared/routes.js';
import type { LocalHost } from '../../local/host.js';
import type { CapacityMeter, CapacitySnapshot } from '../support/capacity.js';
import { newUser } from '../support/fixtures.js';
import { asJson, pathOf, placeCall, postSignedForm, recordedCalls } from '../support/local-host.js';
import {
  agentLegAnswerForm,
  dialStatusForm,
  hangupForm,
  inboundAnswerForm,
  plivoXml,
} from '../support/plivo-forms.js';

const digits = (number: string) => number.replace(/^\+/, '');

const expectStatus = async (response: Response, status: number, what: string) => {
  if (response.status !== status) {
    throw new Error(`${what} answered ${response.status}: ${await response.text()}`);
  }
  return response;
};

/** How long the writes derived from the table's stream may take to be applied after a step. */
const settleTimeoutMs = 10_000;

/** Waits until the host has applied every committed change its stream functions read. */
export const settled = async (host: LocalHost): Promise<void> => {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(
      () => reject(new Error(`the table's stream did not settle within ${settleTimeoutMs} ms`)),
      settleTimeoutMs,
    );
  });
  try {
    await Promise.race([host.settled(), timeout]);
  } finally {
    clearTimeout(timer);
  }
};

/**
 * What `step` cost, the writes it caused through the table's stream included: the stream is drained
 * before the meter is reset (nothing earlier counts) and again after the step.
 */
export const metered = async (
  meter: CapacityMeter,
  host: LocalHost,
  step: () => Promise<unknown>,
): Promise<CapacitySnapshot> => {
  await settled(host);
  meter.reset();
  await step();
  await settled(host);
  return meter.snapshot();
};

export interface InboundCall {
  readonly callId: string;
  readonly user: string;
  readonly business: string;
}

export const newInboundCall = (business: string): InboundCall => ({
  callId: randomUUID(),
  user: newUser(),
  business,
});

/** Plivo posts the answer URL: the call is taken (its flow's XML) or refused at capacity. */
export const answerInbound = async (
  host: LocalHost,
  call: InboundCall,
  expected: 'started' | 'at_capacity' = 'started',
): Promise<void> => {
  const response = await expectStatus(
    await postSignedForm(
      host,
      plivoPaths.answer,
      inboundAnswerForm(call.callId, call.user, call.business),
    ),
    200,
    'the inbound answer',
  );
  const answer = plivoXml.parse(await response.text()).Response as Record<string, unknown>;
  const atCapacity = answer.Speak === refusals.atCapacity;
  if (atCapacity !== (expected === 'at_capacity')) {
    throw new Error(`the inbound answer was not ${expected}: ${JSON.stringify(answer)}`);
  }
};

/** Plivo posts the hangup URL for an inbound call: its lease is released. */
export const hangUpInbound = async (host: LocalHost, call: InboundCall): Promise<void> => {
  const response = await expectStatus(
    await postSignedForm(
      host,
      plivoPaths.hangup,
      hangupForm(call.callId, {
        From: digits(call.user),
        To: digits(call.business),
        Direction: 'inbound',
        HangupCauseName: 'Normal Hangup',
      }),
    ),
    200,
    'the inbound hangup',
  );
  const { outcome } = (await response.json()) as { outcome?: string };
  if (outcome !== 'ended') throw new Error(`the inbound hangup was ${outcome}, not ended`);
};

/** A business-initiated call as Plivo knows it: the URLs callgate gave the Call API. */
export interface PlacedCall {
  readonly callId: string;
  readonly answerPath: string;
  readonly hangupPath: string;
  dialActionPath?: string;
}

/** POST /v1/calls (the user has granted permission): 201, or refused with `refusal`. */
export const place = async (
  host: LocalHost,
  business: string,
  user: string,
): Promise<PlacedCall> => {
  const placed = await placeCall(host, { from: business, to: user });
  if (placed.status !== 201) {
    throw new Error(`the placement answered ${placed.status}: ${JSON.stringify(placed.body)}`);
  }
  const callId = String(placed.body.callId);
  const request = (await recordedCalls(host)).find((r) => r.params.answer_url?.includes(callId));
  return {
    callId,
    answerPath: pathOf(request?.params.answer_url),
    hangupPath: pathOf(request?.params.hangup_url),
  };
};

export const placeRefused = async (
  host: LocalHost,
  business: string,
  user: string,
  refusal: string,
): Promise<void> => {
  const placed = await placeCall(host, { from: business, to: user });
  if (placed.body.error !== refusal) {
    throw new Error(`the placement was not refused ${refusal}: ${JSON.stringify(placed.body)}`);
  }
};

/** The agent answers: Plivo fetches the answer URL, callgate dials the user. */
export const answerAgentLeg = async (
  host: LocalHost,
  business: string,
  call: PlacedCall,
): Promise<void> => {
  const response = await expectStatus(
    await postSignedForm(host, call.answerPath, agentLegAnswerForm(business)),
    200,
    'the agent leg answer',
  );
  const dial = plivoXml.parse(await response.text()).Response.Dial as
    | Record<string, string>
    | undefined;
  if (!dial?.['@action']) throw new Error('the agent leg answer dialed nobody');
  call.dialActionPath = pathOf(dial['@action']);
};

/** The bridged call ends: Plivo posts the Dial action. */
export const dialStatus = async (host: LocalHost, call: PlacedCall): Promise<void> => {
  await expectStatus(
    await postSignedForm(host, call.dialActionPath ?? '', dialStatusForm('completed')),
    200,
    'the dial status',
  );
};

/** Then the agent leg's hangup URL: the lease is released. */
export const hangUpPlaced = async (host: LocalHost, call: PlacedCall): Promise<void> => {
  const response = await expectStatus(
    await postSignedForm(
      host,
      call.hangupPath,
      hangupForm(randomUUID(), { Direction: 'outbound', HangupCauseName: 'Normal Hangup' }),
    ),
    200,
    'the agent leg hangup',
  );
  const { outcome } = (await response.json()) as { outcome?: string };
  if (outcome !== 'ended') throw new Error(`the agent leg hangup was ${outcome}, not ended`);
};

export const requestPermission = async (
  host: LocalHost,
  business: string,
  user: string,
): Promise<void> => {
  const response = await fetch(`${host.url}/v1/permission-requests`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ from: business, to: user }),
  });
  await expectStatus(response, 202, 'the permission request');
};

export const readPermission = async (
  host: LocalHost,
  business: string,
  user: string,
): Promise<void> => {
  const state = await asJson(
    await fetch(
      `${host.url}/v1/permissions/${encodeURIComponent(business)}/${encodeURIComponent(user)}`,
    ),
  );
  if (state.status !== 200) throw new Error(`the permission state answered ${state.status}`);
};
