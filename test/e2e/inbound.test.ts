import { randomUUID } from 'node:crypto';
import { GetCommand } from '@aws-sdk/lib-dynamodb';
import { XMLParser } from 'fast-xml-parser';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { plivoDigits } from '../../functions/shared/numbers.js';
import { refusals } from '../../functions/shared/operations/inbound-call.js';
import { leasesOf } from '../../functions/shared/store/items/leases.js';
import { keys } from '../../functions/shared/store/keys.js';
import type { LocalHost } from '../../local/host.js';
import { exampleNumbers } from '../support/fixtures.js';
import { postSignedForm, startTestHost } from '../support/local-host.js';
import { alwaysOpenExampleConfig, hangupForm, inboundAnswerForm } from '../support/plivo-forms.js';

const india = plivoDigits(exampleNumbers.india);
const jamaica = plivoDigits(exampleNumbers.jamaica);
const answer = '/plivo/whatsapp/answer';
const hangup = '/plivo/whatsapp/hangup';

const parser = new XMLParser({ ignoreAttributes: false, attributeNamePrefix: '' });

interface Parsed {
  Response: Record<string, unknown>;
}

const xmlBody = async (response: Response): Promise<Parsed> => {
  expect(response.status).toBe(200);
  expect(response.headers.get('content-type')).toBe('application/xml');
  const text = await response.text();
  expect(text.startsWith('<?xml version="1.0" encoding="utf-8"?><Response>')).toBe(true);
  return parser.parse(text) as Parsed;
};

const config = () => alwaysOpenExampleConfig({ rules: { simultaneousCallsPerNumber: 2 } });

describe('inbound WhatsApp calls through the local host', () => {
  let host: LocalHost;
  const item = async (key: { pk: string; sk: string }) =>
    (
      await host.deps.db.doc.send(
        new GetCommand({ TableName: host.deps.db.tableName, Key: key, ConsistentRead: true }),
      )
    ).Item;
  const leases = async (business: string) => Object.keys(await leasesOf(host.deps.db, business));

  beforeAll(async () => {
    host = await startTestHost({ config: config() });
  });
  afterAll(() => host.close());

  it('answer → menu → sequential dial → hangup: one lease taken and released, permission granted', async () => {
    const callId = randomUUID();
    const caller = '919412341234';
    const params = inboundAnswerForm(callId, caller, india);

    const first = await xmlBody(await postSignedForm(host, answer, params));
    expect(first.Response.Speak).toMatchObject({
      '#text': 'Namaste, thank you for calling Acme India.',
      voice: 'Polly.Aditi',
      language: 'en-IN',
    });
    const tries = first.Response.GetInput as Record<string, string>[];
    expect(tries).toHaveLength(2);
    expect(tries[0]?.action).toBe(`${host.publicBaseUrl}${answer}?step=menu&attempt=0`);

    // Plivo retries the answer URL: same XML, nothing counted twice.
    const retry = await xmlBody(await postSignedForm(host, answer, params));
    expect(retry).toEqual(first);
    expect(await leases(`+${india}`)).toEqual([callId]);
    await host.settled();
    expect(await item(keys.call(callId))).toMatchObject({
      direction: 'inbound',
      business: `+${india}`,
      user: `+${caller}`,
    });
    expect(await item(keys.pair(`+${india}`, `+${caller}`))).toMatchObject({
      permission: 'temporary',
      permissionSource: 'inbound_call',
      version: 1,
    });

    // The caller presses 2 (support, sequential): Plivo posts the digits to the GetInput action.
    const menuPath = `${answer}?step=menu&attempt=0`;
    const support = await xmlBody(await postSignedForm(host, menuPath, { ...params, Digits: '2' }));
    const dial = support.Response.Dial as Record<string, unknown>;
    expect(dial.User).toBe('sip:support@phone.plivo.com');
    const dialAction = new URL(String(dial.action));
    expect(Object.fromEntries(dialAction.searchParams)).toEqual({
      step: 'dial',
      at: 'menu.2',
      agent: '0',
    });
    const next = await xmlBody(
      await postSignedForm(host, `${answer}${dialAction.search}`, {
        ...params,
        DialStatus: 'no-answer',
      }),
    );
    expect((next.Response.Dial as Record<string, unknown>).User).toBe(
      'sip:support-backup@phone.plivo.com',
    );

    const hangupParams = {
      ...params,
      CallStatus: 'completed',
      Duration: '42',
      BillDuration: '60',
      HangupCause: 'NORMAL_CLEARING',
      HangupCauseName: 'Normal Hangup',
      HangupSource: 'Caller',
    };
    const ended = await postSignedForm(host, hangup, hangupParams);
    expect(ended.status).toBe(200);
    expect(await ended.json()).toEqual({ callId, outcome: 'ended' });
    expect(await leases(`+${india}`)).toEqual([]);
    expect(await item(keys.call(callId))).toMatchObject({
      durationSeconds: 42,
      hangupCause: 'Normal Hangup',
    });
    const again = await postSignedForm(host, hangup, hangupParams);
    expect(await again.json()).toEqual({ callId, outcome: 'already_ended' });
  });

  it('at the simultaneous-call limit: a short message and Hangup, nothing stored', async () => {
    const calls = [randomUUID(), randomUUID(), randomUUID()];
    const responses = [];
    for (const [i, callId] of calls.entries()) {
      responses.push(
        await xmlBody(
          await postSignedForm(host, answer, inboundAnswerForm(callId, `91941234100${i}`, jamaica)),
        ),
      );
    }
    expect(responses[0]?.Response.Dial).toBeDefined();
    expect(responses[2]?.Response).toEqual({ Speak: refusals.atCapacity, Hangup: '' });
    expect(await item(keys.call(calls[2] as string))).toBeUndefined();
    // Its hangup still gets a 200 and records nothing: there was no call.
    const refusedHangup = await postSignedForm(
      host,
      hangup,
      hangupForm(calls[2] as string, { To: jamaica }),
    );
    expect(await refusedHangup.json()).toMatchObject({ outcome: 'refused' });
    expect(await item(keys.call(calls[2] as string))).toBeUndefined();
    // The state view says why the business cannot call back now (the caller's callback permission aside).
    const startCall = async () => {
      const view = await fetch(`${host.url}/v1/permissions/%2B${jamaica}/%2B919412341000`).then(
        (r) => r.json() as Promise<{ actions: { action: string }[] }>,
      );
      return view.actions.find((a) => a.action === 'start_call');
    };
    expect(await startCall()).toMatchObject({
      canPerform: false,
      reason: 'concurrency_limit',
      simultaneousCalls: { max: 2, used: 2 },
    });
    // Ending one call frees a place.
    await postSignedForm(host, hangup, hangupForm(calls[0] as string, { To: `+${jamaica}` }));
    expect(await startCall()).toMatchObject({
      canPerform: true,
      simultaneousCalls: { max: 2, used: 1 },
    });
    const fourth = await xmlBody(
      await postSignedForm(host, answer, inboundAnswerForm(randomUUID(), '919412341999', jamaica)),
    );
    expect(fourth.Response.Dial).toBeDefined();
  });

  it('an unconfigured number or a malformed request: valid XML with 200; a bad body: 4xx', async () => {
    const unconfigured = await xmlBody(
      await postSignedForm(
        host,
        answer,
        inboundAnswerForm(randomUUID(), '919412341234', '14155550100'),
      ),
    );
    expect(unconfigured.Response).toEqual({ Speak: refusals.unconfigured, Hangup: '' });
    const malformed = await xmlBody(await postSignedForm(host, answer, { From: 'x', To: india }));
    expect(malformed.Response).toEqual({ Speak: refusals.malformed, Hangup: '' });
    const badStep = await xmlBody(
      await postSignedForm(
        host,
        `${answer}?step=dial&at=nowhere&agent=0`,
        inboundAnswerForm(randomUUID(), '919412341234', india),
      ),
    );
    expect(badStep.Response).toEqual({ Speak: refusals.malformed, Hangup: '' });
    const badDuration = await postSignedForm(
      host,
      hangup,
      hangupForm(randomUUID(), { Duration: 'soon' }),
    );
    expect(badDuration.status).toBe(400);
    const noCall = await postSignedForm(host, hangup, { To: india });
    expect(noCall.status).toBe(400);
  });
});
