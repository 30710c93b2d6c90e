/**
 * Helpers of the fault suite: a scriptable stand-in for Plivo's REST API on loopback, callbacks signed
 * once and replayable byte for byte (Plivo's retries), the business API over HTTP, and direct reads of
 * the table so every test checks what DynamoDB holds, not only what HTTP answered.
 */
import { randomUUID } from 'node:crypto';
import { plivoPaths } from '../../functions/shared/routes.js';
import type { Db } from '../../functions/shared/store/client.js';
import { leasesOf as storedLeases } from '../../functions/shared/store/items/leases.js';
import { keyPrefixes } from '../../functions/shared/store/keys.js';
import type { LocalHost } from '../../local/host.js';
import { readItem, scanTable } from '../support/dynamo.js';
import { asJson } from '../support/local-host.js';
import { jsonAnswer, startLoopback } from '../support/loopback.js';
import { permissionReplyForm } from '../support/plivo-forms.js';
import { signV3 } from '../support/plivo-sign.js';

/** How the stand-in answers: like Plivo, 500, never (the adapter times out). */
export type PlivoMode = 'ok' | 'error' | 'hang';

export interface PlivoRequest {
  /** `Call` or `Message`, from `/v1/Account/<id>/<resource>/`. */
  readonly resource: string;
  readonly body: Record<string, unknown>;
}

export interface ScriptedPlivo {
  readonly url: string;
  readonly received: PlivoRequest[];
  setMode(mode: PlivoMode): void;
  /** Stops listening and drops kept-alive connections: the next request is refused (ECONNREFUSED). */
  refuseConnections(): Promise<void>;
  /** Listens again on the same port. */
  acceptConnections(): Promise<void>;
  close(): Promise<void>;
}

/** A loopback HTTP server answering Plivo's Call and Message APIs as the test scripts it. */
export const startScriptedPlivo = async (): Promise<ScriptedPlivo> => {
  let mode: PlivoMode = 'ok';
  const received: PlivoRequest[] = [];
  const server = await startLoopback((request) => {
    const resource = /\/v1\/Account\/[^/]+\/(\w+)\//.exec(request.url)?.[1] ?? '';
    // A GET (the Live Call API) has no body.
    received.push({ resource, body: request.text ? request.json() : {} });
    if (mode === 'hang') return 'hang';
    return mode === 'error'
      ? jsonAnswer(500, { api_id: randomUUID(), error: 'internal server error' })
      : resource === 'Call'
        ? jsonAnswer(201, {
            api_id: randomUUID(),
            message: 'call fired',
            request_uuid: randomUUID(),
          })
        : jsonAnswer(202, { api_id: randomUUID(), message_uuid: [randomUUID()] });
  });
  return {
    url: server.url,
    received,
    setMode: (next) => {
      mode = next;
    },
    refuseConnections: server.refuseConnections,
    acceptConnections: server.acceptConnections,
    close: server.close,
  };
};

/** A signed callback that can be sent again exactly as first sent: same nonce, same signature, same body. */
export interface SignedCallback {
  send(): Promise<Response>;
}

export const signedCallback = (
  host: LocalHost,
  pathAndQuery: string,
  params: Record<string, string>,
  authToken: string,
): SignedCallback => {
  const headers = signV3({
    method: 'POST',
    url: `${host.publicBaseUrl}${pathAndQuery}`,
    params,
    authToken,
  });
  const body = new URLSearchParams(params).toString();
  return {
    send: () =>
      fetch(`${host.url}${pathAndQuery}`, {
        method: 'POST',
        headers: { ...headers, 'content-type': 'application/x-www-form-urlencoded' },
        body,
      }),
  };
};

export const postJson = async (
  host: LocalHost,
  path: string,
  body: unknown,
  headers: Record<string, string> = {},
): Promise<Awaited<ReturnType<typeof asJson>>> =>
  asJson(
    await fetch(`${host.url}${path}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...headers },
      body: JSON.stringify(body),
    }),
  );

export const placeCall = (
  host: LocalHost,
  business: string,
  user: string,
  headers: Record<string, string> = {},
) => postJson(host, '/v1/calls', { from: business, to: user }, headers);

export const requestPermission = (host: LocalHost, business: string, user: string) =>
  postJson(host, '/v1/permission-requests', { from: business, to: user });

/** GET /v1/permissions: `used` per action and window, e.g. `used.start_call.PT24H`. */
export const permissionUsage = async (host: LocalHost, business: string, user: string) => {
  const state = await asJson(
    await fetch(
      `${host.url}/v1/permissions/${encodeURIComponent(business)}/${encodeURIComponent(user)}`,
    ),
  );
  const actions = state.body.actions as {
    action: string;
    limits: { window: string; used: number }[];
  }[];
  return {
    status: state.status,
    permission: (state.body.permission as { status: string }).status,
    used: Object.fromEntries(
      actions.map((a) => [a.action, Object.fromEntries(a.limits.map((l) => [l.window, l.used]))]),
    ) as Record<string, Record<string, number>>,
  };
};

/** Call ids holding a lease on the business number's line. */
export const leasesOf = async (db: Db, business: string): Promise<string[]> =>
  Object.keys(await storedLeases(db, business)).sort();

/** Call API requests counted in the account's calls-per-second slots (a released one is given back). */
export const cpsTokens = async (db: Db): Promise<number> =>
  (await scanTable(db))
    .filter((item) => String(item.pk).startsWith(keyPrefixes.cpsSlot) && item.sk === 'SLOT')
    .reduce((sum, item) => sum + Number(item.uses ?? 0), 0);

/** Call records kept for a user (either direction). */
export const callRecordsOf = async (db: Db, user: string) =>
  (await scanTable(db)).filter(
    (item) => String(item.pk).startsWith(keyPrefixes.call) && item.user === user,
  );

export const dialStatusPath = (callId: string) => `${plivoPaths.dialStatus}?call=${callId}`;
export const outboundHangupPath = (callId: string) => `${plivoPaths.hangup}?call=${callId}`;
export const outboundAnswerPath = (callId: string) => `${plivoPaths.answer}?call=${callId}`;

// The suite's tests reach every helper through this module.
export { asJson, readItem, scanTable };

/** The message webhook form of a user's accept or reject (answered by hand, not automatically). */
export const permissionReply = (
  user: string,
  business: string,
  response: 'accept' | 'reject',
  messageUuid?: string,
): Record<string, string> =>
  permissionReplyForm(user, business, { response, response_source: 'user_action' }, messageUuid);
