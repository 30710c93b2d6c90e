/**
 * The client's one table of routes: each method's HTTP method and path (`{name}`: a path parameter).
 * test/unit/client/endpoints.test.ts holds it equal to the route table (functions/shared/routes.ts).
 */
export interface Endpoint {
  readonly method: 'GET' | 'POST' | 'PUT' | 'DELETE';
  readonly path: string;
}

export const endpoints = {
  placeCall: { method: 'POST', path: '/v1/calls' },
  readCall: { method: 'GET', path: '/v1/calls/{callId}' },
  listCalls: { method: 'GET', path: '/v1/calls' },
  requestPermission: { method: 'POST', path: '/v1/permission-requests' },
  permissionState: { method: 'GET', path: '/v1/permissions/{business}/{user}' },
  correctPermission: { method: 'PUT', path: '/v1/permissions/{business}/{user}' },
  createIntent: { method: 'POST', path: '/v1/call-intents' },
  readIntent: { method: 'GET', path: '/v1/call-intents/{intentId}' },
  cancelIntent: { method: 'DELETE', path: '/v1/call-intents/{intentId}' },
  listIntents: { method: 'GET', path: '/v1/call-intents' },
  liftPause: { method: 'DELETE', path: '/v1/numbers/{business}/pause' },
  health: { method: 'GET', path: '/health' },
} as const satisfies Record<string, Endpoint>;

export type EndpointName = keyof typeof endpoints;

/** The path with each `{name}` replaced by its value, percent-encoded (`+` is `%2B`). */
export const endpointPath = (
  name: EndpointName,
  params: Readonly<Record<string, string>> = {},
): string =>
  endpoints[name].path.replace(/\{(\w+)\}/g, (_, key: string) => {
    const value = params[key];
    if (value === undefined) throw new Error(`${name}: no value for {${key}}`);
    return encodeURIComponent(value);
  });
