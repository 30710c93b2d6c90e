/**
 * Replays of captured Plivo webhooks through the local host: headers that verified once, reused on a
 * body an attacker rearranged (V3 signs the sorted params with no separator between a key and its
 * value, so a key can be folded into the value before it) or replaced (V2 signs no body at all), or a
 * signature computed for a GET sent as an empty POST. Each must change nothing.
 */
import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { exampleConfigPath, parseConfig } from '../../functions/shared/config/load.js';
import { plivoPaths } from '../../functions/shared/routes.js';
import { keys } from '../../functions/shared/store/keys.js';
import { localContext, toPayloadV2Event } from '../../local/event.js';
import { handlerFactories } from '../../local/handlers.js';
import { type LocalHost, sandboxAuthToken } from '../../local/host.js';
import { snapshotTable } from '../fuzz/support.js';
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
  inboundAnswerForm,
  permissionReplyForm,
  plivoXml,
} from '../support/plivo-forms.js';
import { signV2, signV3 } from '../support/plivo-sign.js';

const business = exampleNumbers.india;
const digits = (e164: string) => e164.slice(1);

type Headers = Record<string, string>;

const post = (
  host: LocalHost,
  pathAndQuery: string,
  headers: Headers,
  params: Record<string, string>,
) =>
  fetch(`${host.url}${pathAndQuery}`, {
    method: 'POST',
    headers: { ...headers, 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams(params).toString(),
  });

const v3 = (host: LocalHost, pathAndQuery: string, params: Record<string, string>): Headers =>
  signV3({
    method: 'POST',
    url: `${host.publicBaseUrl}${pathAndQuery}`,
    params,
    authToken: sandboxAuthToken,
  });

const permission = async (host: LocalHost, user: string) =>
  (
    await asJson(
      await fetch(
        `${host.url}/v1/permissions/${encodeURIComponent(business)}/${encodeURIComponent(user)}`,
      ),
    )
  ).body.permission;

describe('replayed webhooks through the local host', () => {
  let host: LocalHost;
  beforeAll(async () => {
    host = await startTestHost({ config: alwaysOpenExampleConfig() });
  });
  afterAll(() => host.close());

  describe('a captured V2 signature', () => {
    const v2Headers = () =>
      signV2({ url: `${host.publicBaseUrl}${plivoPaths.message}`, authToken: sandboxAuthToken });

    it('used by a delivery status cannot carry a forged permanent grant, and is kept for good', async () => {
      const headers = v2Headers();
      const victim = newUser();
      const status = {
        MessageUUID: randomUUID(),
        From: digits(business),
        To: digits(victim),
        Status: 'delivered',
      };
      expect((await post(host, plivoPaths.message, headers, status)).status).toBe(200);
      const forged = permissionReplyForm(victim, business, {
        response: 'accept',
        is_permanent: true,
      });
      expect(await asJson(await post(host, plivoPaths.message, headers, forged))).toMatchObject({
        status: 403,
        body: { error: 'bad_signature' },
      });
      expect(await permission(host, victim)).toEqual({ status: 'no_permission' });
      const call = await placeCall(host, { from: business, to: victim });
      expect([call.status, call.body.error]).toEqual([403, 'no_permission']);
      // No TTL: the nonce is refused however long the attacker waits.
      const nonce = await readItem(
        host.deps.db,
        keys.v2Nonce(headers['X-Plivo-Signature-V2-Nonce']),
      );
      expect(nonce).toBeDefined();
      expect(nonce).not.toHaveProperty('ttl');
      await advanceClock(host, 800 * 24 * 3600);
      expect((await post(host, plivoPaths.message, headers, forged)).status).toBe(403);
    });

    it('used by a refused reply (400) cannot be used again', async () => {
      const headers = v2Headers();
      const user = newUser();
      const malformed = { ...permissionReplyForm(user, business, { response: 'accept' }), To: '' };
      expect((await post(host, plivoPaths.message, headers, malformed)).status).toBe(400);
      const forged = permissionReplyForm(user, business, { response: 'accept' });
      expect((await post(host, plivoPaths.message, headers, forged)).status).toBe(403);
      expect(await permission(host, user)).toEqual({ status: 'no_permission' });
    });

    it('of an applied reply is refused when sent again, even with the same body', async () => {
      const headers = v2Headers();
      const user = newUser();
      const reply = permissionReplyForm(user, business, { response: 'accept' });
      expect(await asJson(await post(host, plivoPaths.message, headers, reply))).toMatchObject({
        status: 200,
        body: { outcome: 'applied' },
      });
      expect((await post(host, plivoPaths.message, headers, reply)).status).toBe(403);
    });

    it('is refused altogether when the configuration turns V2 off', async () => {
      const raw = JSON.parse(readFileSync(exampleConfigPath, 'utf8'));
      const strict = await startTestHost({
        config: parseConfig({ ...raw, plivo: { acceptV2Signatures: false } }, 'V2 off'),
      });
      try {
        const user = newUser();
        const reply = permissionReplyForm(user, business, { response: 'accept' });
        const headers = signV2({
          url: `${strict.publicBaseUrl}${plivoPaths.message}`,
          authToken: sandboxAuthToken,
        });
        expect(await asJson(await post(strict, plivoPaths.message, headers, reply))).toMatchObject({
          status: 403,
          body: { error: 'bad_signature' },
        });
        expect((await postSignedForm(strict, plivoPaths.message, reply)).status).toBe(200);
      } finally {
        await strict.close();
      }
    });
  });

  describe('a captured V3 permission reply', () => {
    it('with MessageUUID folded into a key `M` is refused: it cannot grant again after a revocation', async () => {
      const user = newUser();
      const messageUuid = randomUUID();
      const accept = permissionReplyForm(user, business, { response: 'accept' }, messageUuid);
      const headers = v3(host, plivoPaths.message, accept);
      expect((await post(host, plivoPaths.message, headers, accept)).status).toBe(200);
      const revoke = permissionReplyForm(user, business, {
        response: 'reject',
        response_source: 'automatic',
      });
      expect((await postSignedForm(host, plivoPaths.message, revoke)).status).toBe(200);

      const { MessageUUID: _, ...rest } = accept;
      const folded = { ...rest, M: `essageUUID${messageUuid}` };
      expect(await asJson(await post(host, plivoPaths.message, headers, folded))).toMatchObject({
        status: 400,
        body: { error: 'invalid_request' },
      });
      expect(await permission(host, user)).toMatchObject({ status: 'revoked' });
      // Applied messages are kept for good too: the replay is a duplicate however late it comes.
      expect(await readItem(host.deps.db, keys.message(messageUuid))).not.toHaveProperty('ttl');
      await advanceClock(host, 800 * 24 * 3600);
      expect(await asJson(await post(host, plivoPaths.message, headers, accept))).toMatchObject({
        status: 200,
        body: { outcome: 'duplicate' },
      });
    });

    it('is not applied over a newer decision when the payload carries the time it was sent', async () => {
      const user = newUser();
      const at = Math.floor(host.clock.now() / 1000);
      const wholeMessage = (response: string, timestamp: number) => ({
        ...permissionReplyForm(user, business, {}),
        Interactive: JSON.stringify({
          from: digits(user),
          id: `wamid.${randomUUID()}`,
          timestamp: String(timestamp),
          type: 'interactive',
          interactive: {
            type: 'call_permission_reply',
            call_permission_reply: { response, response_source: 'user_action' },
          },
        }),
      });
      const send = async (form: Record<string, string>) =>
        asJson(await postSignedForm(host, plivoPaths.message, form));
      expect(await send(wholeMessage('reject', at))).toMatchObject({
        body: { outcome: 'applied', permission: 'rejected' },
      });
      // Sent before the rejection (or at the same second), delivered after it: stale.
      expect(await send(wholeMessage('accept', at - 60))).toEqual({
        status: 200,
        body: { outcome: 'stale' },
      });
      expect(await send(wholeMessage('accept', at))).toEqual({
        status: 200,
        body: { outcome: 'stale' },
      });
      expect(await permission(host, user)).toMatchObject({ status: 'rejected' });
      expect(await send(wholeMessage('accept', at + 1))).toMatchObject({
        body: { outcome: 'applied', permission: 'temporary' },
      });
    });
  });

  describe('a captured inbound answer', () => {
    it('with Direction folded into CallUUID starts no second call', async () => {
      const user = newUser();
      const callUuid = randomUUID();
      const answer = inboundAnswerForm(callUuid, user, business);
      const headers = v3(host, plivoPaths.answer, answer);
      expect((await post(host, plivoPaths.answer, headers, answer)).status).toBe(200);
      await host.settled();
      const before = await snapshotTable(host.deps.db);

      const { Direction: _, ...rest } = answer;
      const folded = { ...rest, CallUUID: `${callUuid}Directioninbound` };
      const response = await post(host, plivoPaths.answer, headers, folded);
      expect(response.status).toBe(200);
      const xml = plivoXml.parse(await response.text()).Response;
      expect(xml).toHaveProperty('Hangup');
      expect(xml).not.toHaveProperty('GetInput');
      expect(await snapshotTable(host.deps.db)).toBe(before);
    });

    it("with its hangup's Direction folded into CallUUID ends no other call", async () => {
      const user = newUser();
      const callUuid = randomUUID();
      const hangup = {
        CallUUID: callUuid,
        From: digits(user),
        To: digits(business),
        Direction: 'inbound',
        CallStatus: 'completed',
        Duration: '30',
        HangupCause: 'NORMAL_CLEARING',
      };
      const headers = v3(host, plivoPaths.hangup, hangup);
      expect((await post(host, plivoPaths.hangup, headers, hangup)).status).toBe(200);
      await host.settled();
      const before = await snapshotTable(host.deps.db);
      const { Direction: _, ...rest } = hangup;
      const folded = { ...rest, CallUUID: `${callUuid}Directioninbound` };
      expect(await asJson(await post(host, plivoPaths.hangup, headers, folded))).toMatchObject({
        status: 400,
        body: { error: 'invalid_request' },
      });
      expect(await snapshotTable(host.deps.db)).toBe(before);
    });
  });

  describe('the callbacks of a placed call', () => {
    const place = async () => {
      const user = newUser();
      await acceptPermission(host, user, business);
      const placed = await placeCall(host, { from: business, to: user });
      expect(placed.status).toBe(201);
      const callId = String(placed.body.callId);
      const request = (await recordedCalls(host)).find((r) =>
        r.params.answer_url?.includes(callId),
      );
      return { callId, answerPath: pathOf(request?.params.answer_url) };
    };

    it('a dial status whose DialALegUUID is not a Plivo identifier is refused (400)', async () => {
      const { callId, answerPath } = await place();
      const answered = await postSignedForm(host, answerPath, agentLegAnswerForm(business));
      expect(answered.status).toBe(200);
      await host.settled();
      const before = await snapshotTable(host.deps.db);
      const path = `${plivoPaths.dialStatus}?call=${callId}`;
      const response = await postSignedForm(host, path, {
        DialStatus: 'no-answer',
        DialALegUUID: `${randomUUID()}DialBLegUUID`,
      });
      expect(await asJson(response)).toMatchObject({
        status: 400,
        body: { error: 'invalid_request' },
      });
      expect(await snapshotTable(host.deps.db)).toBe(before);
    });

    it('a signature computed for a GET of the hangup URL does not end the call as an empty POST', async () => {
      const { callId } = await place();
      const path = `${plivoPaths.hangup}?call=${callId}`;
      await host.settled();
      const before = await snapshotTable(host.deps.db);
      const headers = signV3({
        method: 'GET',
        url: `${host.publicBaseUrl}${path}`,
        authToken: sandboxAuthToken,
      });
      const response = await fetch(`${host.url}${path}`, { method: 'POST', headers });
      expect(response.status).toBe(400);
      expect(await snapshotTable(host.deps.db)).toBe(before);
      expect(await readItem(host.deps.db, keys.call(callId))).not.toHaveProperty('endedAt');
    });

    it('a GET reaching a webhook function is refused with 405 before its signature is read', async () => {
      const { callId } = await place();
      const path = `${plivoPaths.hangup}?call=${callId}`;
      await host.settled();
      const before = await snapshotTable(host.deps.db);
      const headers = signV3({
        method: 'GET',
        url: `${host.publicBaseUrl}${path}`,
        authToken: sandboxAuthToken,
      });
      const event = toPayloadV2Event(
        {
          method: 'GET',
          url: new URL(`${host.url}${path}`),
          headers,
          body: Buffer.alloc(0),
          sourceIp: '127.0.0.1',
        },
        `POST ${plivoPaths.hangup}`,
        {},
        new Date(host.clock.now()),
      );
      const result = await handlerFactories.hangup(host.deps)(event, localContext('hangup'));
      expect(result.statusCode).toBe(405);
      expect(JSON.parse(result.body ?? '')).toMatchObject({ error: 'method_not_allowed' });
      expect(await snapshotTable(host.deps.db)).toBe(before);
    });
  });
});
