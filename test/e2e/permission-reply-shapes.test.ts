/**
 * Permission replies in the shapes Plivo might forward them in, through the local host: each is applied,
 * and an interactive payload callgate cannot read is answered 200 (so Plivo stops retrying), changes
 * nothing and is logged with `unrecognizedInteractive: true`, numbers masked.
 */
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { plivoPaths } from '../../functions/shared/routes.js';
import { keys } from '../../functions/shared/store/keys.js';
import { type LocalHost, sandboxAuthToken } from '../../local/host.js';
import { snapshotTable } from '../fuzz/support.js';
import { readItem } from '../support/dynamo.js';
import { exampleNumbers, newUser } from '../support/fixtures.js';
import { asJson, postSignedForm, startTestHost } from '../support/local-host.js';
import { signV3 } from '../support/plivo-sign.js';

const business = exampleNumbers.india;
const digits = (e164: string) => e164.slice(1);

/** Runs `run` with the process's stdout and stderr captured (the logger writes there). */
const capturingLogs = async (run: () => Promise<void>): Promise<string> => {
  const lines: string[] = [];
  const [out, err] = [process.stdout.write, process.stderr.write];
  const capture = ((chunk: string | Uint8Array) => {
    lines.push(String(chunk));
    return true;
  }) as typeof process.stdout.write;
  process.stdout.write = capture;
  process.stderr.write = capture;
  try {
    await run();
  } finally {
    process.stdout.write = out;
    process.stderr.write = err;
  }
  return lines.join('');
};

describe('permission replies in other shapes, through the local host', () => {
  let host: LocalHost;
  beforeAll(async () => {
    host = await startTestHost();
  });
  afterAll(() => host.close());

  const envelope = (user: string) => ({
    From: digits(user),
    To: digits(business),
    Type: 'whatsapp',
    MessageUUID: randomUUID(),
  });
  const permission = async (user: string) =>
    (
      await asJson(
        await fetch(
          `${host.url}/v1/permissions/${encodeURIComponent(business)}/${encodeURIComponent(user)}`,
        ),
      )
    ).body.permission;
  const reply = async (form: Record<string, string>) =>
    asJson(await postSignedForm(host, plivoPaths.message, form));

  it('the reply flattened into Interactive, camelCase, in upper case', async () => {
    const user = newUser();
    const answer = await reply({
      ...envelope(user),
      Interactive: JSON.stringify({
        type: 'CALL_PERMISSION_REPLY',
        response: 'ACCEPT',
        isPermanent: 'False',
        responseSource: 'USER_ACTION',
      }),
    });
    expect(answer).toEqual({ status: 200, body: { outcome: 'applied', permission: 'temporary' } });
    expect(await permission(user)).toMatchObject({ status: 'temporary' });
  });

  it("Interactive holding the reply's fields without a type: applied, until Meta's expiry", async () => {
    const user = newUser();
    const expiresAt = Math.floor(host.clock.now() / 1000) + 3 * 24 * 3600;
    const answer = await reply({
      ...envelope(user),
      Interactive: JSON.stringify({
        response: 'accept',
        expiration_timestamp: expiresAt,
        response_source: 'user_action',
      }),
    });
    expect(answer).toEqual({ status: 200, body: { outcome: 'applied', permission: 'temporary' } });
    expect(await permission(user)).toMatchObject({
      status: 'temporary',
      expiresAt: new Date(expiresAt * 1000).toISOString(),
      source: 'reply',
    });
  });

  it("without a type, anything beside the reply's fields is not guessed at: ignored, nothing written", async () => {
    const user = newUser();
    for (const interactive of [
      { response: 'accept', button_reply: { id: 'yes', title: 'Yes' } },
      { response: 'accept', type: '' },
      { response: 'later' },
    ]) {
      expect(await reply({ ...envelope(user), Interactive: JSON.stringify(interactive) })).toEqual({
        status: 200,
        body: { outcome: 'ignored', reason: 'unrecognized_interactive' },
      });
    }
    expect(await permission(user)).toEqual({ status: 'no_permission' });
  });

  it('the reply inside a Button field', async () => {
    const user = newUser();
    const answer = await reply({
      ...envelope(user),
      ContentType: 'button',
      Button: JSON.stringify({
        type: 'call_permission_reply',
        call_permission_reply: { response: 'reject', response_source: 'user_action' },
      }),
    });
    expect(answer).toEqual({ status: 200, body: { outcome: 'applied', permission: 'rejected' } });
  });

  it("Meta's raw webhook JSON, deduplicated by Meta's message id", async () => {
    const user = newUser();
    const id = `wamid.${randomUUID().replaceAll('-', '')}`;
    const body = {
      object: 'whatsapp_business_account',
      entry: [
        {
          id: '102290129340398',
          changes: [
            {
              field: 'messages',
              value: {
                messaging_product: 'whatsapp',
                metadata: { display_phone_number: digits(business) },
                messages: [
                  {
                    from: digits(user),
                    id,
                    timestamp: String(Math.floor(host.clock.now() / 1000)),
                    type: 'interactive',
                    interactive: {
                      type: 'call_permission_reply',
                      call_permission_reply: { response: 'accept', is_permanent: true },
                    },
                  },
                ],
              },
            },
          ],
        },
      ],
    };
    const send = async () => {
      const headers = signV3({
        method: 'POST',
        url: `${host.publicBaseUrl}${plivoPaths.message}`,
        params: { object: body.object, entry: JSON.stringify(body.entry) },
        authToken: sandboxAuthToken,
      });
      return asJson(
        await fetch(`${host.url}${plivoPaths.message}`, {
          method: 'POST',
          headers: { ...headers, 'content-type': 'application/json' },
          body: JSON.stringify(body),
        }),
      );
    };
    expect(await send()).toEqual({
      status: 200,
      body: { outcome: 'applied', permission: 'permanent' },
    });
    expect(await send()).toEqual({ status: 200, body: { outcome: 'duplicate' } });
    expect(await readItem(host.deps.db, keys.message(id))).toBeDefined();
    expect(await permission(user)).toEqual({
      status: 'permanent',
      source: 'reply',
      decidedAt: expect.any(String),
    });
  });

  it('an interactive payload it cannot read: 200, nothing written, logged and countable', async () => {
    const user = newUser();
    await host.settled();
    const before = await snapshotTable(host.deps.db);
    let answers: Awaited<ReturnType<typeof reply>>[] = [];
    const logs = await capturingLogs(async () => {
      answers = [
        await reply({
          ...envelope(user),
          Interactive: JSON.stringify({
            type: 'call_permission_reply',
            call_permission_reply: { response: 'later', from: digits(user) },
          }),
        }),
        await reply({ ...envelope(user), Interactive: '{"type": call_permission' }),
        await reply({
          ...envelope(user),
          Interactive: JSON.stringify({ type: 'calendar_reply', calendar_reply: {} }),
        }),
      ];
    });
    for (const answer of answers) {
      expect(answer).toEqual({
        status: 200,
        body: { outcome: 'ignored', reason: 'unrecognized_interactive' },
      });
    }
    expect(await snapshotTable(host.deps.db)).toBe(before);
    const entries = logs
      .split('\n')
      .filter((line) => line.includes('unrecognizedInteractive'))
      .map((line) => JSON.parse(line) as Record<string, unknown>);
    expect(entries).toHaveLength(3);
    expect(entries[0]).toMatchObject({
      level: 'WARN',
      unrecognizedInteractive: true,
      reason: expect.stringContaining('response'),
      payload: expect.stringContaining('later'),
    });
    expect(logs).not.toContain(digits(user));
    expect(await permission(user)).toEqual({ status: 'no_permission' });
  });

  it('a reply Plivo would not send (no MessageUUID) is still 400', async () => {
    const user = newUser();
    const { MessageUUID: _, ...withoutUuid } = envelope(user);
    const answer = await reply({
      ...withoutUuid,
      Interactive: JSON.stringify({
        type: 'call_permission_reply',
        call_permission_reply: { response: 'accept' },
      }),
    });
    expect(answer).toMatchObject({ status: 400, body: { error: 'invalid_request' } });
  });
});
