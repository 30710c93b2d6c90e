/**
 * Permission requests fired in parallel, through the local host: free-form, template and callgate's
 * choice mixed, over a week, so both request limits (1 per 24 h, 2 per 7 days) hold across both kinds;
 * and a user named by a linked BSUID and by their number at once, counted on one pair.
 */
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Config } from '../../functions/shared/config/schema.js';
import { plivoPaths } from '../../functions/shared/routes.js';
import type { LocalHost } from '../../local/host.js';
import { exampleNumbers, newBsuid, newUser } from '../support/fixtures.js';
import { advanceClock, asJson, postSignedForm, startTestHost } from '../support/local-host.js';
import { alwaysOpenExampleConfig, permissionReplyForm } from '../support/plivo-forms.js';

const business = exampleNumbers.india;
const kinds = ['interactive', 'template', undefined] as const;

const config = (): Config => {
  const base = alwaysOpenExampleConfig({ account: { callsPerSecond: 1000 } });
  return {
    ...base,
    numbers: base.numbers.map((number) =>
      number.number === business
        ? { ...number, freeFormPermissionRequest: { enabled: true } }
        : number,
    ),
  };
};

describe('permission requests fired in parallel', () => {
  let host: LocalHost;
  beforeAll(async () => {
    host = await startTestHost({ config: config() });
  });
  afterAll(() => host.close());

  const request = async (body: Record<string, unknown>) =>
    asJson(
      await fetch(`${host.url}/v1/permission-requests`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify(body),
      }),
    );
  const openWindow = async (user: string) => {
    const answer = await postSignedForm(host, plivoPaths.message, {
      From: user.slice(1),
      To: business.slice(1),
      Type: 'whatsapp',
      ContentType: 'text',
      Body: 'hello',
      MessageUUID: randomUUID(),
    });
    expect(answer.status).toBe(200);
  };
  /** Twelve requests of every kind at once, the window open: how many were sent. */
  const fire = async (to: string) => {
    await openWindow(to);
    const answers = await Promise.all(
      Array.from({ length: 12 }, (_, i) => {
        const kind = kinds[i % kinds.length];
        return request({ from: business, to, ...(kind ? { kind } : {}) });
      }),
    );
    for (const answer of answers) expect([202, 429]).toContain(answer.status);
    return answers.filter((a) => a.status === 202).length;
  };
  const messagesTo = async (user: string) =>
    (
      (await (await fetch(`${host.url}/_sandbox/plivo/requests`)).json()) as {
        api: string;
        params: { dst?: string };
      }[]
    ).filter((r) => r.api === 'message' && r.params.dst === user.slice(1)).length;

  it('1 per 24 h and 2 per 7 days hold across free-form and template requests', async () => {
    const user = newUser();
    expect(await fire(user)).toBe(1);
    await advanceClock(host, 24 * 3600);
    expect(await fire(user)).toBe(1);
    await advanceClock(host, 24 * 3600);
    // Two in the last 7 days: none, of either kind.
    expect(await fire(user)).toBe(0);
    expect(await messagesTo(user)).toBe(2);
  });

  it('a user named by a linked BSUID and by the number at once is one pair: one request sent', async () => {
    const number = newUser();
    const bsuid = newBsuid();
    // A rejection that names both links them and leaves room for a request.
    const linked = await postSignedForm(host, plivoPaths.message, {
      ...permissionReplyForm(number, business, { response: 'reject' }),
      FromUserId: bsuid,
    });
    expect(linked.status).toBe(200);
    await openWindow(number);
    const answers = await Promise.all(
      Array.from({ length: 12 }, (_, i) => request({ from: business, to: i % 2 ? bsuid : number })),
    );
    expect(answers.filter((a) => a.status === 202)).toHaveLength(1);
    expect(answers.filter((a) => a.status === 429)).toHaveLength(11);
    expect(await messagesTo(number)).toBe(1);
  });
});
