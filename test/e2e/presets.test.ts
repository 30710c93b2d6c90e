/**
 * The limits' presets end to end through the local host (sandbox Plivo, signed webhooks): with
 * meta-2026-06 a Turkish business number places calls and a user takes more than the Plivo page's 5
 * connected calls a day; the state view and /health name the preset in force and what was written over it.
 */
import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { exampleConfigPath, parseConfig } from '../../functions/shared/config/load.js';
import { plivoPaths } from '../../functions/shared/routes.js';
import { presets } from '../../functions/shared/rules/presets.js';
import type { LocalHost } from '../../local/host.js';
import { exampleNumbers, newBusiness, newUser } from '../support/fixtures.js';
import {
  acceptPermission,
  asJson,
  pathOf,
  placeCall,
  postSignedForm,
  recordedCalls,
  startTestHost,
} from '../support/local-host.js';
import { agentLegAnswerForm, dialStatusForm, hangupForm } from '../support/plivo-forms.js';

const turkey = newBusiness('TR');
const india = exampleNumbers.india;

/** The example, always open, with a Turkish business number and the rules given. */
const configWith = (rules: Record<string, unknown>) => {
  const raw = JSON.parse(readFileSync(exampleConfigPath, 'utf8'));
  for (const number of raw.numbers) delete number.inbound.hours;
  const [, jamaica] = raw.numbers;
  raw.numbers.push({ ...jamaica, number: turkey });
  raw.account = { callsPerSecond: 1000 };
  raw.rules = rules;
  return parseConfig(raw, 'presets');
};

const permissionState = async (host: LocalHost, business: string, user: string) =>
  asJson(
    await fetch(
      `${host.url}/v1/permissions/${encodeURIComponent(business)}/${encodeURIComponent(user)}`,
    ),
  );

const health = async (host: LocalHost) => asJson(await fetch(`${host.url}/health`));

/** A business-initiated call the user answers: placed, agent leg answered, dial completed, hung up. */
const connectedCall = async (host: LocalHost, business: string, user: string) => {
  const placed = await placeCall(host, { from: business, to: user });
  expect([placed.status, placed.body.error]).toEqual([201, undefined]);
  const callId = placed.body.callId as string;
  const [request] = (await recordedCalls(host)).filter((r) =>
    r.params.answer_url?.includes(callId),
  );
  const agent = host.deps.config.numbers.find((n) => n.number === business)?.agent;
  const answer = await postSignedForm(
    host,
    pathOf(request?.params.answer_url),
    agentLegAnswerForm(business, agent),
  );
  expect(answer.status).toBe(200);
  const dialStatus = await postSignedForm(
    host,
    `${plivoPaths.dialStatus}?call=${callId}`,
    dialStatusForm('completed'),
  );
  expect(dialStatus.status).toBe(200);
  const hangup = await postSignedForm(
    host,
    pathOf(request?.params.hangup_url),
    hangupForm(randomUUID()),
  );
  expect(hangup.status).toBe(200);
};

describe('meta-2026-06', () => {
  let host: LocalHost;
  beforeAll(async () => {
    host = await startTestHost({ config: configWith({ preset: 'meta-2026-06' }) });
  });
  afterAll(() => host.close());

  const inForce = {
    name: 'meta-2026-06',
    source: presets['meta-2026-06'].source,
    asOf: presets['meta-2026-06'].asOf,
    overridden: [],
  };

  it('lets a Turkish business number place a call', async () => {
    const user = newUser();
    await acceptPermission(host, user, turkey);
    await connectedCall(host, turkey, user);
  });

  it("takes a 6th call to one user in 24 h when the earlier ones connected; the state view counts them against the preset's limit", async () => {
    const user = newUser();
    await acceptPermission(host, user, india);
    for (let call = 1; call <= 6; call++) await connectedCall(host, india, user);
    const state = await permissionState(host, india, user);
    expect(state.status).toBe(200);
    const startCall = (state.body.actions as { action: string }[]).find(
      (a) => a.action === 'start_call',
    );
    expect(startCall).toMatchObject({
      canPerform: true,
      limits: [{ window: 'PT24H', max: host.deps.config.rules.businessCallsPer24Hours, used: 6 }],
    });
    expect(host.deps.config.rules.businessCallsPer24Hours).toBeGreaterThan(6);
    expect(state.body.preset).toEqual(inForce);
  });

  it('/health names the preset, its source and date', async () => {
    expect(await health(host)).toEqual({
      status: 200,
      body: expect.objectContaining({ status: 'ok', preset: inForce }),
    });
  });
});

describe('the Plivo page, the preset of a configuration that names none', () => {
  let host: LocalHost;
  beforeAll(async () => {
    host = await startTestHost({ config: configWith({ missedCalls: { warnAt: 3 } }) });
  });
  afterAll(() => host.close());

  it('refuses a Turkish business number, and says so in the state view', async () => {
    const user = newUser();
    const placed = await placeCall(host, { from: turkey, to: user });
    expect([placed.status, placed.body.error]).toEqual([403, 'country_restricted']);
    const state = await permissionState(host, turkey, user);
    expect(state.body.actions).toContainEqual(
      expect.objectContaining({
        action: 'start_call',
        canPerform: false,
        reason: 'country_restricted',
      }),
    );
  });

  it('/health and the state view name it and the setting written over it', async () => {
    const plivoPage = {
      name: 'plivo-page',
      source: presets['plivo-page'].source,
      asOf: presets['plivo-page'].asOf,
      overridden: ['missedCalls.warnAt'],
    };
    expect((await health(host)).body.preset).toEqual(plivoPage);
    expect((await permissionState(host, india, newUser())).body.preset).toEqual(plivoPage);
  });
});
