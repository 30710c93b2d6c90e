/**
 * A temporary permission lapsing while a call placed under it is still up, through the local host:
 * the call's later callbacks (the agent answering, the user's dial status, the hangup) write to the
 * pair after the lapse. `permission.expired` is announced once, the call is counted once, and the
 * state view and the call log agree afterwards.
 */
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Envelope } from '../../functions/shared/events/envelope.js';
import { permissionExpiryLookDelayMs } from '../../functions/shared/scheduling/wakeups.js';
import { keys } from '../../functions/shared/store/keys.js';
import type { LocalHost } from '../../local/host.js';
import { readItem } from '../support/dynamo.js';
import { exampleNumbers, newUser } from '../support/fixtures.js';
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
import {
  agentLegAnswerForm,
  alwaysOpenExampleConfig,
  dialStatusForm,
  hangupForm,
  plivoXml,
} from '../support/plivo-forms.js';

const business = exampleNumbers.india;

describe('a permission lapsing while its call is up', () => {
  let host: LocalHost;
  beforeAll(async () => {
    host = await startTestHost({ config: alwaysOpenExampleConfig() });
  });
  afterAll(() => host.close());

  const eventsOf = async (user: string) => {
    await host.settled();
    return (host.eventBus.events() as Envelope[])
      .filter((event) => event.user === user)
      .map((event) => event.type);
  };
  const view = async (user: string) =>
    (
      await asJson(
        await fetch(
          `${host.url}/v1/permissions/${encodeURIComponent(business)}/${encodeURIComponent(user)}`,
        ),
      )
    ).body;
  /** Past the permission's end and the look's stated delay. */
  const pastTheEnd = () =>
    advanceClock(
      host,
      host.deps.config.rules.permissionSeconds + (2 * permissionExpiryLookDelayMs) / 1000,
    );
  /** Past any look the callbacks' writes could set. */
  const pastAnotherLook = () => advanceClock(host, (2 * permissionExpiryLookDelayMs) / 1000 + 60);
  const place = async (user: string) => {
    const placed = await placeCall(host, { from: business, to: user });
    expect(placed.status).toBe(201);
    const callId = String(placed.body.callId);
    const request = (await recordedCalls(host)).find((r) => r.params.answer_url?.includes(callId));
    return {
      callId,
      answerPath: pathOf(request?.params.answer_url),
      hangupPath: pathOf(request?.params.hangup_url),
    };
  };
  const agentAnswers = async (answerPath: string) => {
    const answered = await postSignedForm(host, answerPath, agentLegAnswerForm(business));
    expect(answered.status).toBe(200);
    return plivoXml.parse(await answered.text()).Response as Record<string, unknown>;
  };

  it('bridged before the end, connected and hung up after it: expired once, the call once', async () => {
    const user = newUser();
    await acceptPermission(host, user, business);
    const call = await place(user);
    const dial = (await agentAnswers(call.answerPath)).Dial as Record<string, string>;
    expect(dial['@callType']).toBe('whatsapp');

    await pastTheEnd();
    expect((await eventsOf(user)).filter((type) => type === 'permission.expired')).toHaveLength(1);
    // The user picks up only now, and hangs up later: both land on a pair whose permission lapsed.
    const status = await postSignedForm(host, pathOf(dial['@action']), dialStatusForm('completed'));
    expect(status.status).toBe(200);
    const hangup = await postSignedForm(host, call.hangupPath, hangupForm(randomUUID()));
    expect(hangup.status).toBe(200);
    await pastAnotherLook();

    const types = await eventsOf(user);
    expect(types.filter((type) => type === 'permission.expired')).toHaveLength(1);
    expect(types.filter((type) => type === 'call.placed')).toHaveLength(1);
    expect(types.filter((type) => type === 'call.answered')).toHaveLength(1);
    expect(types.filter((type) => type.startsWith('permission.granted'))).toHaveLength(1);
    expect((await view(user)).permission).toMatchObject({ status: 'expired' });
    const log = await asJson(await fetch(`${host.url}/v1/calls/${call.callId}`));
    expect(log.body).toMatchObject({ status: 'ended' });
    const pair = await readItem(host.deps.db, keys.pair(business, user));
    expect(pair?.permission).toBe('temporary');
    expect(Object.keys((pair?.calls ?? {}) as object)).toHaveLength(1);
  });

  it('still ringing the agent at the end: the bridge is refused, expired once, nothing counted twice', async () => {
    const user = newUser();
    await acceptPermission(host, user, business);
    const call = await place(user);
    await pastTheEnd();
    const xml = await agentAnswers(call.answerPath);
    expect(xml).not.toHaveProperty('Dial');
    const hangup = await postSignedForm(host, call.hangupPath, hangupForm(randomUUID()));
    expect(hangup.status).toBe(200);
    await pastAnotherLook();
    const types = await eventsOf(user);
    expect(types.filter((type) => type === 'permission.expired')).toHaveLength(1);
    expect(types.filter((type) => type === 'call.answered')).toEqual([]);
    expect((await view(user)).permission).toMatchObject({ status: 'expired' });
  });
});
