/**
 * The client's route table against the one the stack and the local host serve: every business route
 * and /health has a client method, and every method a route.
 */
import { describe, expect, it } from 'vitest';
import { createClient } from '../../../client/client.js';
import { endpointPath, endpoints } from '../../../client/endpoints.js';
import { routes } from '../../../functions/shared/routes.js';

const served = routes
  .filter(
    ({ path, auth }) =>
      auth !== 'plivo-signature' && (path.startsWith('/v1/') || path === '/health'),
  )
  .map(({ method, path }) => `${method} ${path}`);
const called = Object.values(endpoints).map(({ method, path }) => `${method} ${path}`);

describe('the client has a method for every business route, and no other', () => {
  it('has every route the table serves', () => {
    expect(served.length).toBeGreaterThan(8);
    expect(served.filter((route) => !called.includes(route))).toEqual([]);
  });

  it('calls no route the table does not serve', () => {
    expect(called.filter((route) => !served.includes(route))).toEqual([]);
  });

  it('names each endpoint once, and each is a method of the client', () => {
    expect(new Set(called).size).toBe(called.length);
    const client = createClient({ baseUrl: 'http://127.0.0.1:1', auth: { kind: 'none' } });
    expect(Object.keys(client).sort()).toEqual(Object.keys(endpoints).sort());
  });

  it('fills path parameters percent-encoded, and refuses a path with one missing', () => {
    expect(endpointPath('permissionState', { business: '+918035737458', user: 'CC.a/b' })).toBe(
      '/v1/permissions/%2B918035737458/CC.a%2Fb',
    );
    expect(() => endpointPath('readCall')).toThrow('readCall: no value for {callId}');
  });
});
