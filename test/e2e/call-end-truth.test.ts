/**
 * What the call log and the events say about a call's end, through the local host. A caller callgate
 * refused never had a call: no record, no event. A call that ended has one end: `call.ended` carries
 * what the call log reads from the record, whoever ended the call and whatever Plivo sends afterwards.
 */
import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { exampleConfigPath, parseConfig } from '../../functions/shared/config/load.js';
import type { Envelope } from '../../functions/shared/events/envelope.js';
import { refusals } from '../../functions/shared/operations/inbound-call.js';
import { plivoPaths } from '../../functions/shared/routes.js';
import type { LocalHost } from '../../local/host.js';
import { exampleNumbers } from '../support/fixtures.js';
import { advanceClock, asJson, postSignedForm, startTestHost } from '../support/local-host.js';
import { hangupForm, inboundAnswerForm, plivoXml } from '../support/plivo-forms.js';

/** One line: a second caller is refused while the first is up. */
const menuNumber = exampleNumbers.india;
/** Says its one message and hangs up: the flow ends the call at the answer. */
const messageNumber = exampleNumbers.jamaica;
const closingWords = 'Thank you for calling. We will call you back.';

const config = () => {
  const raw = JSON.parse(readFileSync(exampleConfigPath, 'utf8'));
  for (const number of raw.numbers) delete number.inbound.hours;
  const jamaica = raw.numbers.find((n: { number: string }) => n.number === messageNumber);
  jamaica.inbound = { action: { message: closingWords } };
  raw.rules = { simultaneousCallsPerNumber: 1 };
  return parseConfig(raw, 'call end truth');
};

let callerCounter = 0;
const newCaller = () => `+91986${String(++callerCounter).padStart(7, '0')}`;

describe('a call end as the call log and the events tell it', () => {
  let host: LocalHost;
  beforeAll(async () => {
    host = await startTestHost({ config: config() });
  });
  afterAll(() => host.close());

  const answerAt = async (path: string, form: Record<string, string>) => {
    const response = await postSignedForm(host, path, form);
    expect(response.status).toBe(200);
    return plivoXml.parse(await response.text()).Response as Record<string, unknown>;
  };
  const answer = (form: Record<string, string>) => answerAt(plivoPaths.answer, form);
  const hangUp = async (form: Record<string, string>, fields: Record<string, string> = {}) => {
    const response = await postSignedForm(
      host,
      plivoPaths.hangup,
      hangupForm(form.CallUUID as string, { From: form.From ?? '', To: form.To ?? '', ...fields }),
    );
    expect(response.status).toBe(200);
    return (await response.json()) as { outcome: string };
  };
  const callLog = async (callId: string) =>
    asJson(await fetch(`${host.url}/v1/calls/${encodeURIComponent(callId)}`));
  const eventsOf = async (callId: string) => {
    await host.settled();
    const events = (await (await fetch(`${host.url}/_sandbox/events`)).json()) as Envelope[];
    return events.filter((e) => 'callId' in e.data && e.data.callId === callId);
  };
  /** The call's `call.ended` and its call log entry, side by side in the event's terms. */
  const endAsToldBoth = async (callId: string) => {
    const ended = (await eventsOf(callId)).filter((e) => e.type === 'call.ended');
    expect(ended).toHaveLength(1);
    const log = await callLog(callId);
    expect(log.status).toBe(200);
    const view = log.body;
    return {
      event: { time: ended[0]?.time, ...ended[0]?.data },
      log: {
        time: view.endedAt,
        callId,
        direction: view.direction,
        durationSeconds: view.durationSeconds ?? null,
        hangupCause: view.hangupCause ?? null,
        outcome: view.outcome ?? null,
      },
    };
  };

  /** Whole seconds from the log's answer to its end: what a call callgate ended lasted. */
  const durationOnTheLog = async (callId: string) => {
    const { answeredAt, endedAt } = (await callLog(callId)).body;
    return Math.round((Date.parse(String(endedAt)) - Date.parse(String(answeredAt))) / 1000);
  };

  it('a caller refused at capacity who hangs up: no call log entry, no event', async () => {
    const up = inboundAnswerForm(randomUUID(), newCaller(), menuNumber);
    expect(await answer(up)).toHaveProperty('GetInput');
    const refused = inboundAnswerForm(randomUUID(), newCaller(), menuNumber);
    expect((await answer(refused)).Speak).toBe(refusals.atCapacity);
    // The call that was up ends as a call.
    await hangUp(up);
    expect((await callLog(up.CallUUID as string)).body).toMatchObject({ outcome: 'answered' });

    expect((await hangUp(refused)).outcome).toBe('refused');
    expect((await callLog(refused.CallUUID as string)).status).toBe(404);
    expect(await eventsOf(refused.CallUUID as string)).toEqual([]);
  });

  it('a caller whose number callgate refused: no call log entry, no event', async () => {
    const refused: Record<string, string> = {
      ...inboundAnswerForm(randomUUID(), newCaller(), menuNumber),
      From: 'unknown',
    };
    expect((await answer(refused)).Speak).toBe(refusals.malformed);
    expect((await hangUp(refused)).outcome).toBe('refused');
    expect((await callLog(refused.CallUUID as string)).status).toBe(404);
    expect(await eventsOf(refused.CallUUID as string)).toEqual([]);
  });

  it('a hangup before any answer is still a missed call', async () => {
    const form = inboundAnswerForm(randomUUID(), newCaller(), menuNumber);
    expect((await hangUp(form)).outcome).toBe('ended_unanswered');
    const { event, log } = await endAsToldBoth(form.CallUUID as string);
    expect(event).toEqual(log);
    expect(event.outcome).toBe('missed');
  });

  it('ended by its own flow, then its hangup seconds later: one end, the same in both', async () => {
    const form = inboundAnswerForm(randomUUID(), newCaller(), messageNumber);
    expect((await answer(form)).Speak).toBe(closingWords);
    await advanceClock(host, 3);
    const hangup = await hangUp(form, { Duration: '4' });
    const { event, log } = await endAsToldBoth(form.CallUUID as string);
    expect(event).toEqual(log);
    expect(hangup.outcome).toBe('already_ended');
    // No hangup had come when the call ended: its duration is the record's own (answer to end).
    expect(event.durationSeconds).toBe(await durationOnTheLog(form.CallUUID as string));
    expect(event.durationSeconds).toBeLessThan(3);
  });

  it('ended by its flow after a while, no hangup: the duration from the record', async () => {
    const form = inboundAnswerForm(randomUUID(), newCaller(), menuNumber);
    expect(await answer(form)).toHaveProperty('GetInput');
    await advanceClock(host, 7);
    // The voicemail's thanks end the call.
    const voicemail = await answerAt(`${plivoPaths.answer}?step=menu&attempt=0`, {
      ...form,
      Digits: '3',
    });
    const action = new URL(String((voicemail.Record as Record<string, string>)['@action']));
    const thanks = await answerAt(`${plivoPaths.answer}${action.search}`, {
      ...form,
      RecordingID: randomUUID(),
    });
    expect(thanks).toHaveProperty('Hangup');
    const { event, log } = await endAsToldBoth(form.CallUUID as string);
    expect(event).toEqual(log);
    expect(event.durationSeconds).toBe(await durationOnTheLog(form.CallUUID as string));
    expect(event.durationSeconds).toBeGreaterThanOrEqual(7);
  });

  it('ended by its hangup: the event and the log agree', async () => {
    const form = inboundAnswerForm(randomUUID(), newCaller(), menuNumber);
    expect(await answer(form)).toHaveProperty('GetInput');
    await advanceClock(host, 12);
    expect((await hangUp(form, { Duration: '12' })).outcome).toBe('ended');
    const { event, log } = await endAsToldBoth(form.CallUUID as string);
    expect(event).toEqual(log);
    expect(event.durationSeconds).toBe(12);
  });
});
