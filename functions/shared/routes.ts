import * as z from 'zod';
import type { ApiKeyScope } from './rules/api-keys.js';

/**
 * The one route table: the CDK stack and the local host both read it, so what runs locally is what is
 * deployed. `fn` names a folder under functions/ holding `handler.ts` (factory) and `index.ts` (Lambda
 * entry). It lives with the functions because they also build the callback URLs Plivo is given from it.
 */
export type RouteAuth =
  /** Called by Plivo: the handler verifies the Plivo signature (403 otherwise). */
  | 'plivo-signature'
  /**
   * Called by the business's own systems: IAM (SigV4) or an API key, as the configuration's `api.auth`
   * says for the route's group (the word before its scope's colon). Locally without keys: open, or a
   * bearer token when API_TOKEN is set.
   */
  | 'business'
  | 'none';

interface RouteBase {
  readonly method: 'GET' | 'POST' | 'PUT' | 'DELETE';
  readonly path: string;
  readonly fn: HttpFunctionName;
}

/** A business route names the scope an API key needs for it; the others need none. */
export type Route = RouteBase &
  (
    | { readonly auth: 'business'; readonly scope: ApiKeyScope }
    | { readonly auth: 'plivo-signature' | 'none'; readonly scope?: undefined }
  );

/** Functions behind the HTTP API: each serves one or more routes below. */
export const httpFunctionNames = [
  'health',
  'permission-reply',
  'answer',
  'hangup',
  'dial-status',
  'place-call',
  'permission-state',
  'permission-request',
  'permission-correction',
  'call-log',
  'call-intents',
  'pause-lift',
] as const;

export type HttpFunctionName = (typeof httpFunctionNames)[number];

/**
 * Every function: the HTTP ones, two that read the table's stream (no route): `lease-changes` records
 * inbound calls, `events` publishes what changed; `intent-dispatcher`, which the bus's events and
 * EventBridge Scheduler's wake-ups invoke to move call intents on; `event-webhook`, which POSTs
 * the events signed to the business's webhook (deployed only when the configuration names one);
 * and `permission-expiry`, which the table's stream and its own schedules invoke to record a
 * temporary permission's end; `api-key-authorizer`, API Gateway's Lambda authorizer of the route
 * groups the configuration gives API keys (deployed only then).
 */
export const functionNames = [
  ...httpFunctionNames,
  'lease-changes',
  'events',
  'intent-dispatcher',
  'event-webhook',
  'permission-expiry',
  'api-key-authorizer',
] as const;

export type FunctionName = (typeof functionNames)[number];

/** The paths Plivo calls, set in its console or by callgate itself (answer_url, hangup_url, action). */
export const plivoPaths = {
  message: '/plivo/whatsapp/message',
  answer: '/plivo/whatsapp/answer',
  hangup: '/plivo/whatsapp/hangup',
  dialStatus: '/plivo/whatsapp/dial-status',
} as const;

export const routes: readonly Route[] = [
  { method: 'GET', path: '/health', fn: 'health', auth: 'none' },
  { method: 'POST', path: plivoPaths.message, fn: 'permission-reply', auth: 'plivo-signature' },
  { method: 'POST', path: plivoPaths.answer, fn: 'answer', auth: 'plivo-signature' },
  { method: 'POST', path: plivoPaths.hangup, fn: 'hangup', auth: 'plivo-signature' },
  { method: 'POST', path: plivoPaths.dialStatus, fn: 'dial-status', auth: 'plivo-signature' },
  { method: 'POST', path: '/v1/calls', fn: 'place-call', auth: 'business', scope: 'calls:write' },
  {
    method: 'GET',
    path: '/v1/permissions/{business}/{user}',
    fn: 'permission-state',
    auth: 'business',
    scope: 'permissions:read',
  },
  {
    method: 'POST',
    path: '/v1/permission-requests',
    fn: 'permission-request',
    auth: 'business',
    scope: 'permissions:write',
  },
  {
    method: 'PUT',
    path: '/v1/permissions/{business}/{user}',
    fn: 'permission-correction',
    auth: 'business',
    scope: 'permissions:write',
  },
  {
    method: 'GET',
    path: '/v1/calls',
    fn: 'call-log',
    auth: 'business',
    scope: 'calls:read',
  },
  {
    method: 'GET',
    path: '/v1/calls/{callId}',
    fn: 'call-log',
    auth: 'business',
    scope: 'calls:read',
  },
  {
    method: 'POST',
    path: '/v1/call-intents',
    fn: 'call-intents',
    auth: 'business',
    scope: 'intents:write',
  },
  {
    method: 'GET',
    path: '/v1/call-intents',
    fn: 'call-intents',
    auth: 'business',
    scope: 'intents:read',
  },
  {
    method: 'GET',
    path: '/v1/call-intents/{intentId}',
    fn: 'call-intents',
    auth: 'business',
    scope: 'intents:read',
  },
  {
    method: 'DELETE',
    path: '/v1/call-intents/{intentId}',
    fn: 'call-intents',
    auth: 'business',
    scope: 'intents:write',
  },
  {
    method: 'DELETE',
    path: '/v1/numbers/{business}/pause',
    fn: 'pause-lift',
    auth: 'business',
    scope: 'numbers:write',
  },
];

/** The route a payload-v2 event's `routeKey` (`POST /v1/calls`) names. */
export const routeOfKey = (routeKey: string): Route | undefined =>
  routes.find((route) => `${route.method} ${route.path}` === routeKey);

/** callgate's own id of a business-initiated call, which Plivo brings back in the callback URLs' `?call=`. */
export const callIdSchema = z.uuid('`call` must be a callgate call id');

/**
 * Every URL callgate hands Plivo, from the public base URL Plivo calls (signatures are computed over it).
 * The business-initiated call's id rides in `?call=` on each of its callbacks.
 */
export const plivoUrls = (publicBaseUrl: string) => {
  const url = (path: string, callId?: string) =>
    `${publicBaseUrl}${path}${callId === undefined ? '' : `?call=${encodeURIComponent(callId)}`}`;
  return {
    /** WhatsApp message webhook, set in the Plivo console. */
    message: url(plivoPaths.message),
    /** Answer URL: set in the console for inbound calls; inbound flows continue on it with `?step=`. */
    answer: url(plivoPaths.answer),
    /** Hangup URL, where the console offers one (docs/plivo-webhooks.md#the-hangup-url). */
    hangup: url(plivoPaths.hangup),
    /** The agent leg of a business-initiated call: answer_url and hangup_url of the Call API request. */
    agentLegAnswer: (callId: string) => url(plivoPaths.answer, callId),
    agentLegHangup: (callId: string) => url(plivoPaths.hangup, callId),
    /** The `action` of the `<Dial callType="whatsapp">` that rings the user. */
    dialStatus: (callId: string) => url(plivoPaths.dialStatus, callId),
  };
};

/**
 * Where each URL Plivo calls goes in the Plivo console: one wording for the stack's outputs, the local
 * host's banner and the README. The current Configure Number panel of a WhatsApp number has the Webhook
 * URL and the Answer URL only; docs/plivo-webhooks.md#the-hangup-url says what callgate does without a
 * Hangup URL and where one can still be set.
 */
export const plivoConsoleSettings = (publicBaseUrl: string) => {
  const urls = plivoUrls(publicBaseUrl);
  return [
    {
      output: 'MessageWebhookUrl',
      label: 'Webhook URL',
      url: urls.message,
      where: 'Messaging → WhatsApp → Numbers → your number → Configure Number → Webhook URL (POST)',
    },
    {
      output: 'AnswerUrl',
      label: 'Answer URL',
      url: urls.answer,
      where: 'the same panel → Enable WhatsApp Calling → Answer URL (POST)',
    },
    {
      output: 'HangupUrl',
      label: 'Hangup URL',
      url: urls.hangup,
      where:
        "optional: the current Configure Number panel has no Hangup URL; where the number's calls go through an XML application (Voice → Applications, Plivo's earlier setup), set it as that application's Hangup URL (POST). Without it: docs/plivo-webhooks.md#the-hangup-url",
    },
  ] as const;
};
