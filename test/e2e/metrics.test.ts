import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { CountedMetric, MetricName } from '../../functions/shared/metrics.js';
import { plivoPaths } from '../../functions/shared/routes.js';
import type { LocalHost } from '../../local/host.js';
import { injectContention } from '../support/dynamo-contention.js';
import { exampleNumbers } from '../support/fixtures.js';
import { placeCall, postSignedForm, startTestHost } from '../support/local-host.js';
import { alwaysOpenExampleConfig, inboundAnswerForm } from '../support/plivo-forms.js';
import { eventually, request, userPath } from '../support/sandbox.js';
import { jsonLinesWhile } from '../support/stdout.js';

const business = exampleNumbers.india;

/** The counts of one metric, summed by `function reason|status country`. */
const counts = (host: LocalHost, name: MetricName) => {
  const sums: Record<string, number> = {};
  for (const metric of host.metrics.filter((m: CountedMetric) => m.name === name)) {
    const { function: fn, reason, status, country } = metric.dimensions;
    const key = [fn, reason ?? status, country].filter(Boolean).join(' ');
    sums[key] = (sums[key] ?? 0) + metric.value;
  }
  return sums;
};

const eventuallyCounted = (host: LocalHost, name: MetricName, expected: Record<string, number>) =>
  eventually(
    async () => JSON.stringify(counts(host, name)) === JSON.stringify(expected),
    `${name} ${JSON.stringify(expected)}, counted ${JSON.stringify(counts(host, name))}`,
  );

describe('metrics through the local host', () => {
  let host: LocalHost;
  beforeAll(async () => {
    host = await startTestHost({
      config: alwaysOpenExampleConfig({ rules: { simultaneousCallsPerNumber: 1 } }),
      simulate: true,
    });
  });
  afterAll(() => host.close());

  it('counts the funnel from the stream and each refusal where it is refused, by country and reason', async () => {
    const user = '+919812340001';
    await request(host, 'PUT', userPath(user), {
      permissionRequests: 'accept',
      ringSeconds: 0,
      talkSeconds: 0,
    });
    const asked = await request(host, 'POST', '/v1/permission-requests', {
      from: business,
      to: user,
    });
    expect(asked.status).toBe(202);
    await eventuallyCounted(host, 'PermissionGranted', { 'events reply IN': 1 });
    const again = await request(host, 'POST', '/v1/permission-requests', {
      from: business,
      to: user,
    });
    expect(again.status).toBeGreaterThanOrEqual(400);
    expect(counts(host, 'PermissionRequestsRefused')).toEqual({
      [`permission-request ${again.body.error} IN`]: 1,
    });

    for (let call = 1; call <= 5; call++) {
      expect((await placeCall(host, { from: business, to: user })).status).toBe(201);
      await eventuallyCounted(host, 'CallsAnswered', { 'events IN': call });
    }
    expect((await placeCall(host, { from: business, to: user })).body.error).toBe(
      'daily_call_limit',
    );
    expect(counts(host, 'CallsRefused')).toEqual({ 'place-call daily_call_limit IN': 1 });
    expect(counts(host, 'CallsPlaced')).toEqual({ 'events IN': 5 });
    expect(counts(host, 'PermissionRequested')).toEqual({ 'events IN': 1 });
    // Requested, granted, and each call placed, answered and ended.
    await eventually(
      async () => counts(host, 'EventsPublished')['events IN'] === 17,
      '17 events published',
    );
    expect(JSON.stringify(host.metrics)).not.toContain('9812340001');
  });

  it('counts an inbound call admitted and the next one turned away at capacity', async () => {
    const talking = '+919812340002';
    await request(host, 'PUT', userPath(talking), { talkSeconds: null });
    const first = await request(host, 'POST', userPath(talking, 'calls'), { business });
    expect(first.status).toBe(202);
    await eventuallyCounted(host, 'InboundCalls', { 'events IN': 1 });

    const turnedAway = await postSignedForm(
      host,
      plivoPaths.answer,
      inboundAnswerForm(randomUUID(), '+919812340003', business),
    );
    expect(turnedAway.status).toBe(200);
    expect(counts(host, 'InboundRefusedAtCapacity')).toEqual({ 'answer IN': 1 });
    await request(host, 'POST', userPath(talking, 'hangup'), {});
  });

  it('puts the call on the log lines of its request: Plivo’s CallUUID, and takes it off after', async () => {
    // The local host serves requests side by side on one logger: let the sandbox's calls finish first.
    await host.sandboxPlivo?.idle();
    await host.settled();
    const callUuid = randomUUID();
    const logged = await jsonLinesWhile(async () => {
      const answered = await postSignedForm(
        host,
        plivoPaths.answer,
        inboundAnswerForm(callUuid, '+919812340006', exampleNumbers.newYork),
      );
      expect(answered.status).toBe(200);
      host.deps.logger.info('after the request');
    });
    expect(logged.find((l) => l.message === 'inbound call answered')).toMatchObject({
      correlation_id: callUuid,
    });
    expect(logged.find((l) => l.message === 'after the request')).not.toHaveProperty(
      'correlation_id',
    );
  });

  it('logs every refusal with its error code and the masked pair', async () => {
    await host.sandboxPlivo?.idle();
    await host.settled();
    const user = '+919812340001';
    const logged = await jsonLinesWhile(async () => {
      expect((await placeCall(host, { from: business, to: user })).status).toBe(429);
    });
    const refused = logged.find((l) => l.message === 'request refused');
    expect(refused).toMatchObject({
      path: '/v1/calls',
      status: 429,
      error: 'daily_call_limit',
      business: '***7458',
      user: '***0001',
    });
    expect(JSON.stringify(logged)).not.toContain('9812340001');
  });

  it('counts unsigned and forged webhooks by reason', async () => {
    const form = inboundAnswerForm(randomUUID(), '+919812340004', business);
    const unsigned = await fetch(`${host.url}${plivoPaths.answer}`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams(form).toString(),
    });
    expect(unsigned.status).toBe(403);
    const forged = await postSignedForm(host, plivoPaths.answer, form, 'not-the-token');
    expect(forged.status).toBe(403);
    expect(counts(host, 'SignaturesRefused')).toEqual({
      'answer missing unknown': 1,
      'answer invalid unknown': 1,
    });
  });

  it('counts transactions sent again after a conflict or throttling', async () => {
    const user = '+919812340005';
    await request(
      host,
      'PUT',
      `/v1/permissions/${encodeURIComponent(business)}/${encodeURIComponent(user)}`,
      { status: 'permanent' },
    );
    const injected = injectContention(host.deps.db, { conflicts: 1, throttles: 0 });
    try {
      const placed = placeCall(host, { from: business, to: user });
      await eventually(async () => injected.counts.conflicts >= 3, 'three conflicts');
      injected.set({ conflicts: 0, throttles: 0 });
      expect((await placed).status).toBe(201);
    } finally {
      injected.remove();
    }
    expect(counts(host, 'StorageRetries')['storage conflict unknown']).toBeGreaterThanOrEqual(3);
  });
});
