/**
 * Signature attacks through the local host, on every webhook route, with requests that WOULD change
 * state if accepted (a permission reply, a new inbound call, the dial status and hangup of a placed
 * call): each attack must get 403 `bad_signature` and leave the table as it was; the genuine request,
 * sent last, gets through and changes it (so the attacks were aimed at something real).
 *
 * Not repeated here: a token that is simply wrong and a changed `From` (test/e2e/host.test.ts), and
 * the HMAC rules themselves (test/unit/plivo/signature.test.ts).
 */
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { computeV2Signature } from '../../functions/shared/plivo/signature.js';
import { plivoPaths, routes } from '../../functions/shared/routes.js';
import { type LocalHost, sandboxAuthToken } from '../../local/host.js';
import { snapshotTable } from '../fuzz/support.js';
import { exampleNumbers } from '../support/fixtures.js';
import { postSignedForm, startTestHost } from '../support/local-host.js';
import { signV2, signV3 } from '../support/plivo-sign.js';

const business = exampleNumbers.india;
const digits = (e164: string) => e164.slice(1);

/** A request Plivo would send: path (with callgate's query) and form params. */
interface Genuine {
  readonly pathAndQuery: string;
  readonly params: Record<string, string>;
}

/** What an attacker sends: where, with which headers and body. */
interface Attack {
  readonly name: string;
  readonly pathAndQuery?: string;
  readonly headers: Record<string, string>;
  readonly params?: Record<string, string>;
}

describe('signature attacks on every webhook route', () => {
  let host: LocalHost;
  let callId: string;
  const genuine = new Map<string, Genuine>();

  beforeAll(async () => {
    host = await startTestHost();
    // A placed business-initiated call, so that its dial status and hangup have something to change.
    const callee = '+919810000001';
    const granted = await postSignedForm(host, plivoPaths.message, {
      From: digits(callee),
      To: digits(business),
      MessageUUID: randomUUID(),
      Interactive: JSON.stringify({
        type: 'call_permission_reply',
        call_permission_reply: { response: 'accept', response_source: 'user_action' },
      }),
    });
    expect(granted.status).toBe(200);
    const placed = await fetch(`${host.url}/v1/calls`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ from: business, to: callee }),
    });
    expect(placed.status).toBe(201);
    callId = ((await placed.json()) as { callId: string }).callId;

    genuine.set(plivoPaths.message, {
      pathAndQuery: plivoPaths.message,
      params: {
        From: '919810000002',
        To: digits(business),
        MessageUUID: randomUUID(),
        Interactive: JSON.stringify({
          type: 'call_permission_reply',
          call_permission_reply: { response: 'accept', response_source: 'user_action' },
        }),
      },
    });
    genuine.set(plivoPaths.answer, {
      pathAndQuery: plivoPaths.answer,
      params: {
        CallUUID: randomUUID(),
        From: '919810000003',
        To: digits(business),
        Direction: 'inbound',
        CallStatus: 'ringing',
      },
    });
    genuine.set(plivoPaths.dialStatus, {
      pathAndQuery: `${plivoPaths.dialStatus}?call=${callId}`,
      params: {
        DialStatus: 'completed',
        DialALegUUID: randomUUID(),
        DialBLegUUID: randomUUID(),
        CallUUID: randomUUID(),
      },
    });
    genuine.set(plivoPaths.hangup, {
      pathAndQuery: `${plivoPaths.hangup}?call=${callId}`,
      params: { CallUUID: randomUUID(), HangupCause: 'NORMAL_CLEARING', Duration: '42' },
    });
  });
  afterAll(() => host.close());

  const sign = (url: string, params: Record<string, string>, method: 'GET' | 'POST' = 'POST') =>
    signV3({ method, url, params, authToken: sandboxAuthToken });

  const attacks = ({ pathAndQuery, params }: Genuine): Attack[] => {
    const url = `${host.publicBaseUrl}${pathAndQuery}`;
    const [path = '', query] = pathAndQuery.split('?');
    const right = sign(url, params);
    const otherPath = path === plivoPaths.answer ? plivoPaths.hangup : plivoPaths.answer;
    const [firstKey = '', firstValue = ''] = Object.entries(params)[0] ?? [];
    const withQuery = (extra: string) => `${pathAndQuery}${query ? '&' : '?'}${extra}`;
    return [
      {
        name: 'a token one character off (another account)',
        headers: signV3({ method: 'POST', url, params, authToken: `${sandboxAuthToken}x` }),
      },
      {
        name: 'a token differing only in case',
        headers: signV3({ method: 'POST', url, params, authToken: sandboxAuthToken.toUpperCase() }),
      },
      {
        name: 'one parameter changed (its value, by one trailing space)',
        headers: right,
        params: { ...params, [firstKey]: `${firstValue} ` },
      },
      {
        name: 'one parameter added',
        headers: right,
        params: { ...params, CallStatus: 'completed', Extra: '1' },
      },
      {
        name: 'one parameter left out',
        headers: right,
        params: Object.fromEntries(Object.entries(params).slice(1)),
      },
      {
        name: 'a parameter name in another case',
        headers: right,
        params: Object.fromEntries(
          Object.entries(params).map(([k, v], i) => [i === 0 ? k.toLowerCase() : k, v]),
        ),
      },
      {
        name: 'signed for another path',
        headers: sign(`${host.publicBaseUrl}${otherPath}${query ? `?${query}` : ''}`, params),
      },
      {
        name: 'signed for another host',
        headers: sign(`https://attacker.example${pathAndQuery}`, params),
      },
      {
        name: 'signed for another scheme',
        headers: sign(url.replace(/^http:/, 'https:'), params),
      },
      {
        name: 'signed with a trailing slash',
        headers: sign(`${host.publicBaseUrl}${path}/${query ? `?${query}` : ''}`, params),
      },
      {
        name: 'a query parameter added after signing',
        headers: right,
        pathAndQuery: withQuery('step=menu'),
      },
      ...(query
        ? [
            {
              name: "another call's signature replayed to this call id",
              headers: sign(`${host.publicBaseUrl}${path}?call=${randomUUID()}`, params),
            },
            { name: 'the query dropped after signing', headers: right, pathAndQuery: path },
          ]
        : []),
      {
        name: 'the nonce header missing',
        headers: { 'X-Plivo-Signature-V3': right['X-Plivo-Signature-V3'] },
      },
      {
        name: 'the nonce header empty',
        headers: { ...right, 'X-Plivo-Signature-V3-Nonce': '' },
      },
      {
        name: 'another nonce than the one signed',
        headers: { ...right, 'X-Plivo-Signature-V3-Nonce': '12345678901234567890' },
      },
      {
        name: 'the signature header empty',
        headers: { ...right, 'X-Plivo-Signature-V3': '' },
      },
      {
        name: 'a signature computed for a GET replayed as POST',
        headers: sign(url, params, 'GET'),
      },
      {
        name: 'V3 wrong while V2 is right (no downgrade)',
        headers: {
          ...signV3({ method: 'POST', url, params, authToken: 'wrong-token' }),
          ...signV2({ url, authToken: sandboxAuthToken }),
        },
      },
      {
        name: 'V3 headers without a signature while V2 is right (no downgrade)',
        headers: {
          'X-Plivo-Signature-V3-Nonce': right['X-Plivo-Signature-V3-Nonce'],
          ...signV2({ url, authToken: sandboxAuthToken }),
        },
      },
      {
        name: 'V2 signed over another URL',
        headers: (() => {
          const nonce = '98765432109876543210';
          return {
            'X-Plivo-Signature-V2': computeV2Signature({
              url: `${host.publicBaseUrl}${otherPath}`,
              nonce,
              authToken: sandboxAuthToken,
            }),
            'X-Plivo-Signature-V2-Nonce': nonce,
          };
        })(),
      },
    ];
  };

  const post = (
    pathAndQuery: string,
    headers: Record<string, string>,
    params: Record<string, string>,
  ) =>
    fetch(`${host.url}${pathAndQuery}`, {
      method: 'POST',
      headers: { ...headers, 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams(params).toString(),
    });

  // In this order: the dial status and hangup of the same call come last.
  const order = [plivoPaths.message, plivoPaths.answer, plivoPaths.dialStatus, plivoPaths.hangup];
  it('covers every webhook route of the route table', () => {
    expect(
      routes
        .filter((r) => r.auth === 'plivo-signature')
        .map((r) => r.path)
        .sort(),
    ).toEqual([...order].sort());
  });

  it.each(order)(
    '%s: every attack gets 403 bad_signature and changes nothing; the genuine request does',
    async (path) => {
      const request = genuine.get(path) as Genuine;
      // What earlier genuine requests set off has landed: only the attacks could change the table now.
      await host.settled();
      const before = await snapshotTable(host.deps.db);
      for (const attack of attacks(request)) {
        const response = await post(
          attack.pathAndQuery ?? request.pathAndQuery,
          attack.headers,
          attack.params ?? request.params,
        );
        expect(response.status, attack.name).toBe(403);
        expect(await response.json(), attack.name).toMatchObject({ error: 'bad_signature' });
        expect(await snapshotTable(host.deps.db), attack.name).toBe(before);
      }
      const accepted = await postSignedForm(host, request.pathAndQuery, request.params);
      expect(accepted.status).toBe(200);
      expect(await snapshotTable(host.deps.db)).not.toBe(before);
    },
  );
});
