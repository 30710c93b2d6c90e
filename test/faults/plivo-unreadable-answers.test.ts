/**
 * Plivo's Message and Call APIs answering what callgate cannot read, over real HTTP to a loopback
 * stand-in: a 2xx without the id, a 2xx that is not JSON, a redirect to another server. Each fails
 * closed, counted in PlivoApiErrors: a call is 502 plivo_error and nothing is counted on the pair; a
 * permission request Plivo answered 2xx may have gone, so it stays counted (502 plivo_outcome_unknown);
 * and a redirect is never followed, so the request and its credentials reach no other server.
 */
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { plivoPaths } from '../../functions/shared/routes.js';
import { keys } from '../../functions/shared/store/keys.js';
import type { LocalHost } from '../../local/host.js';
import { exampleNumbers, newUser } from '../support/fixtures.js';
import { postSignedForm, startTestHost } from '../support/local-host.js';
import {
  jsonAnswer,
  type Loopback,
  type LoopbackReply,
  startLoopback,
} from '../support/loopback.js';
import {
  callRecordsOf,
  leasesOf,
  permissionReply,
  permissionUsage,
  placeCall,
  readItem,
  requestPermission,
} from './support.js';

const business = exampleNumbers.india;
const authToken = 'unreadable-answers-token';

type Answer = 'no id' | 'not JSON' | 'redirect 307' | 'redirect 302';
const answers: readonly Answer[] = ['no id', 'not JSON', 'redirect 307', 'redirect 302'];

describe('Plivo answers callgate cannot read', () => {
  let plivo: Loopback;
  /** Where a redirect points: a server that would take anything. */
  let elsewhere: Loopback;
  let host: LocalHost;
  let answer: Answer | 'ok' = 'ok';

  const ok = (resource: string): LoopbackReply =>
    resource === 'Call'
      ? jsonAnswer(201, { api_id: randomUUID(), message: 'call fired', request_uuid: randomUUID() })
      : jsonAnswer(202, { api_id: randomUUID(), message_uuid: [randomUUID()] });

  beforeAll(async () => {
    elsewhere = await startLoopback((request) =>
      ok(/\/Call\//.test(request.url) ? 'Call' : 'Message'),
    );
    plivo = await startLoopback((request) => {
      const resource = /\/v1\/Account\/[^/]+\/(\w+)\//.exec(request.url)?.[1] ?? '';
      const status = resource === 'Call' ? 201 : 202;
      switch (answer) {
        case 'ok':
          return ok(resource);
        case 'no id':
          return jsonAnswer(status, { api_id: randomUUID(), message: 'queued' });
        case 'not JSON':
          return { status, headers: { 'content-type': 'text/html' }, body: '<html>ok</html>' };
        case 'redirect 307':
        case 'redirect 302':
          return {
            status: answer === 'redirect 307' ? 307 : 302,
            headers: { location: `${elsewhere.url}${request.url}` },
          };
      }
    });
    host = await startTestHost({
      plivo: { authId: 'MAUNREADABLEXXXXXXXX', authToken, apiUrl: plivo.url },
    });
  });
  beforeEach(() => {
    answer = 'ok';
    elsewhere.requests.length = 0;
  });
  afterAll(async () => {
    await host.close();
    await plivo.close();
    await elsewhere.close();
  });

  const errorsCounted = () => host.metrics.filter((m) => m.name === 'PlivoApiErrors').length;

  it.each(['no id', 'not JSON'] as const)(
    'POST /v1/permission-requests, Plivo answers 2xx with %s: 502 plivo_outcome_unknown, the request stays counted',
    async (unreadable) => {
      const user = newUser();
      const errorsBefore = errorsCounted();
      answer = unreadable;
      const failed = await requestPermission(host, business, user);
      expect([failed.status, failed.body.error]).toEqual([502, 'plivo_outcome_unknown']);
      expect(errorsCounted()).toBe(errorsBefore + 1);
      expect(
        (await permissionUsage(host, business, user)).used.send_call_permission_request,
      ).toEqual({ PT24H: 1, P7D: 1 });

      answer = 'ok';
      const again = await requestPermission(host, business, user);
      expect([again.status, again.body.error]).toEqual([429, 'request_limit']);
    },
  );

  it.each(['redirect 307', 'redirect 302'] as const)(
    'POST /v1/permission-requests, Plivo answers %s: 502, counted as an error, nothing counted on the pair',
    async (unreadable) => {
      const user = newUser();
      const errorsBefore = errorsCounted();
      answer = unreadable;
      const failed = await requestPermission(host, business, user);
      expect([failed.status, failed.body.error]).toEqual([502, 'plivo_error']);
      expect(errorsCounted()).toBe(errorsBefore + 1);
      expect(elsewhere.requests).toEqual([]);
      expect(
        (await permissionUsage(host, business, user)).used.send_call_permission_request,
      ).toEqual({ PT24H: 0, P7D: 0 });
      const pair = await readItem(host.deps.db, keys.pair(business, user));
      expect(Object.keys(pair ?? {}).filter((name) => /^request\d+$/.test(name))).toEqual([]);

      answer = 'ok';
      expect((await requestPermission(host, business, user)).status).toBe(202);
    },
  );

  it.each(answers)(
    'POST /v1/calls, Plivo answers %s: 502, counted as an error, no call held',
    async (unreadable) => {
      const user = newUser();
      const reply = await postSignedForm(
        host,
        plivoPaths.message,
        permissionReply(user, business, 'accept'),
        authToken,
      );
      expect(reply.status).toBe(200);
      const leasesBefore = await leasesOf(host.deps.db, business);
      const errorsBefore = errorsCounted();
      answer = unreadable;
      const failed = await placeCall(host, business, user);
      expect([failed.status, failed.body.error]).toEqual([502, 'plivo_error']);
      expect(errorsCounted()).toBe(errorsBefore + 1);
      expect(elsewhere.requests).toEqual([]);
      expect(await leasesOf(host.deps.db, business)).toEqual(leasesBefore);
      expect((await permissionUsage(host, business, user)).used.start_call).toEqual({ PT24H: 0 });
      expect(await callRecordsOf(host.deps.db, user)).toEqual([]);
    },
  );
});
