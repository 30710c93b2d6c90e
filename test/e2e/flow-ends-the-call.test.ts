/**
 * Plivo's WhatsApp setup documents only the Answer URL, so an inbound call's hangup may never reach
 * callgate. When callgate itself answers with the document that ends the call (`<Hangup/>` and nothing
 * Plivo would come back with), it ends the call there and releases its lease, its duration the record's
 * own; a hangup that does come later finds the call ended and changes nothing.
 */
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { leasesOf } from '../../functions/shared/store/items/leases.js';
import { keys } from '../../functions/shared/store/keys.js';
import type { LocalHost } from '../../local/host.js';
import { readItem } from '../support/dynamo.js';
import { exampleNumbers } from '../support/fixtures.js';
import { postSignedForm, startTestHost } from '../support/local-host.js';
import {
  alwaysOpenExampleConfig,
  hangupForm,
  inboundAnswerForm,
  plivoXml,
} from '../support/plivo-forms.js';

const business = exampleNumbers.india;
const answer = '/plivo/whatsapp/answer';
let callerCounter = 0;
const newCaller = () => `+91987${String(++callerCounter).padStart(7, '0')}`;

describe('the flow ends the call', () => {
  let host: LocalHost;
  beforeAll(async () => {
    host = await startTestHost({ config: alwaysOpenExampleConfig() });
  });
  afterAll(() => host.close());

  const item = (key: { pk: string; sk: string }) => readItem(host.deps.db, key);
  const leased = async (callId: string) =>
    Object.keys(await leasesOf(host.deps.db, business)).includes(callId);
  const post = async (path: string, form: Record<string, string>) => {
    const response = await postSignedForm(host, path, form);
    expect(response.status).toBe(200);
    return plivoXml.parse(await response.text()).Response as Record<string, unknown>;
  };

  it('a bridged call whose agent hung up: released at the Dial action; a later hangup changes nothing', async () => {
    const callId = randomUUID();
    const form = inboundAnswerForm(callId, newCaller(), business);
    await post(answer, form);
    expect(await leased(callId)).toBe(true);
    const sales = await post(`${answer}?step=menu&attempt=0`, { ...form, Digits: '1' });
    const action = new URL(String((sales.Dial as Record<string, string>)['@action']));
    // The dial to the agents is a continuation Plivo comes back from: the lease stays.
    expect(await leased(callId)).toBe(true);

    const done = await post(`${answer}${action.search}`, { ...form, DialStatus: 'completed' });
    expect(done).toHaveProperty('Hangup');
    expect(await leased(callId)).toBe(false);
    const ended = await item(keys.call(callId));
    expect(ended).toMatchObject({
      endedAt: expect.any(Number),
      endedBy: 'flow',
      durationSeconds: expect.any(Number),
    });

    const hangup = await postSignedForm(
      host,
      '/plivo/whatsapp/hangup',
      hangupForm(callId, { From: form.From ?? '', To: form.To ?? '', Duration: '95' }),
    );
    expect(await hangup.json()).toEqual({ callId, outcome: 'already_ended' });
    expect(await item(keys.call(callId))).toEqual(ended);
    const again = await postSignedForm(host, '/plivo/whatsapp/hangup', hangupForm(callId));
    expect(await again.json()).toEqual({ callId, outcome: 'already_ended' });
  });

  it('a voicemail: kept while recording, released when the thanks and Hangup are answered', async () => {
    const callId = randomUUID();
    const form = inboundAnswerForm(callId, newCaller(), business);
    await post(answer, form);
    const voicemail = await post(`${answer}?step=menu&attempt=0`, { ...form, Digits: '3' });
    expect(voicemail).toHaveProperty('Record');
    expect(voicemail).toHaveProperty('Hangup');
    expect(await leased(callId)).toBe(true);
    const action = new URL(String((voicemail.Record as Record<string, string>)['@action']));
    const thanks = await post(`${answer}${action.search}`, { ...form, RecordingID: randomUUID() });
    expect(thanks).toHaveProperty('Hangup');
    expect(await leased(callId)).toBe(false);
  });
});
