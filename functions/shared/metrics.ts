import { parsePhoneNumber } from './numbers.js';
import { type FunctionName, functionNames } from './routes.js';

/** CloudWatch namespace of every callgate metric (the dashboard and alarms read it: infra/operations.ts). */
export const metricsNamespace = 'Callgate';

/**
 * Every metric callgate emits, with what one count means. Each count carries the dimension sets
 * `{service, function}`, `{service, function, reason | status}` when it has that label, and
 * `{service, function, country}`: `service` is the stack's name (`callgate` outside AWS), `function` the
 * function's name in functions/shared/routes.ts, `country` the business number's ISO 3166 code (or
 * `unknown`). Never a phone number: a dimension is a low-cardinality label.
 */
export const metricCatalog = {
  // From the table's stream (the events function): each change counted once, whoever made it.
  PermissionRequested: 'a permission request message was sent to a user',
  PermissionGranted:
    'a permission was granted; `reason` is its source: reply, inbound_call (the user called) or manual',
  PermissionRejected: 'a user rejected a permission request',
  PermissionRevoked:
    'a permission was revoked; `reason` is missed_calls, automatic (Meta) or manual',
  PermissionExpired: 'a temporary permission ran out (callgate recorded it at its expiry)',
  CallsPlaced: "a business-initiated call was taken by Plivo's Call API",
  CallsAnswered: 'a business-initiated call was answered by the user',
  CallsMissed: 'a business-initiated call was not answered (no answer, busy, failed)',
  InboundCalls: 'an inbound WhatsApp call was admitted into the call flow',
  NumbersPaused:
    "Meta paused a business number's business-initiated calls and permission requests (an account update)",
  CallButtonsHidden:
    "Meta hid a business number's call button from users (low pickup of inbound calls)",
  EventsPublished: "an event was put on the business's event bus",
  EventsFailed: 'an event the bus did not take: its change is read again from the stream',
  WebhookDelivered: "an event was taken (2xx) by the business's webhook (`events.webhook`)",
  WebhookFailed:
    "a delivery to the business's webhook failed and is tried again; `status` is the receiver's HTTP status, timeout, unreachable, secret (the secret could not be read) or unreadable (not an envelope)",
  // At the edge, where the request is refused or the dependency fails.
  CallsRefused:
    'a call (POST /v1/calls or a due intent) was refused by a rule; `reason` is the error code',
  PermissionRequestsRefused:
    'a permission request was refused by a rule; `reason` is the error code',
  InboundRefusedAtCapacity:
    'an inbound call was turned away: its number had its simultaneous-call limit up (1,000 by default)',
  AccountUpdatesIgnored:
    'an account update about calling was not applied; `reason` is unreadable (its restriction cannot be read) or unknown_business_number',
  UserIdsIgnored:
    "a webhook's business-scoped user ID could not be applied: beside `From`, `reason` not_a_bsuid or two_bsuids (two that disagree), and `From` alone named the user; Meta's user_changed_user_id, `reason` user_id_change_unreadable, user_id_change_previous_unlinked (the previous ID has no number) or user_id_change_v2_signed",
  SignaturesRefused:
    'a webhook was refused 403 for its signature; `reason` is missing, invalid or replayed (a V2 nonce used twice)',
  ApiKeysRefused:
    'a request was refused 403 by the API-key authorizer; `reason` is malformed, unknown, wrong_secret or revoked (the caller is told none of them)',
  PlivoApiErrors:
    "Plivo's REST API failed a request; `status` is its HTTP status, timeout, unreachable or unreadable (a 2xx answer callgate cannot read)",
  LeasesReaped:
    'a lease of a call that had ended without its hangup reaching callgate was released',
  LiveCallsUnknown:
    "a number at capacity kept leases it could not prove over: `reason` is unavailable (Plivo's Live Call API failed), unreadable (an answer callgate cannot read), incomplete (pages that are not one whole list) or unconfirmed (a call the list left out could not be looked up)",
  StorageRetries:
    'a DynamoDB transaction was cancelled and sent again; `reason` is conflict (a concurrent writer) or throttled',
  StorageUnknownOutcomes:
    'a DynamoDB transaction whose answer was lost (timeout, 5xx); `status` is resent (same token, applied once) or given_up',
} as const;

export type MetricName = keyof typeof metricCatalog;

/** The optional label of a metric: why it was refused, or the status a dependency answered. */
export interface MetricLabels {
  /** The business number the count is about; only its country becomes a dimension. */
  readonly business?: string | undefined;
  readonly reason?: string | undefined;
  readonly status?: string | undefined;
}

/** The port handlers and operations count through; Lambda emits EMF, the local host keeps counts. */
export interface Metrics {
  count(name: MetricName, labels?: MetricLabels, value?: number): void;
}

/** The country dimension of a business number: its ISO code, never the number itself. */
export const countryDimension = (business: string | undefined): string =>
  (business && parsePhoneNumber(business)?.country) || 'unknown';

/** One counted metric as the local host and tests see it. */
export interface CountedMetric {
  readonly name: MetricName;
  readonly value: number;
  readonly dimensions: Readonly<Record<string, string>>;
}

/** Keeps every count in memory, by function: the local host shows them, tests assert on them. */
export const createMetricsRecorder = () => {
  const counted: CountedMetric[] = [];
  return {
    counted,
    forFunction: (functionName: string): Metrics => ({
      count: (name, labels = {}, value = 1) => {
        counted.push({ name, value, dimensions: dimensionsOf(functionName, labels) });
      },
    }),
  };
};

/** The dimensions of a count, country included. */
export const dimensionsOf = (
  functionName: string,
  labels: MetricLabels,
): Record<string, string> => ({
  function: functionName,
  ...(labels.reason === undefined ? {} : { reason: labels.reason }),
  ...(labels.status === undefined ? {} : { status: labels.status }),
  country: countryDimension(labels.business),
});

/** The functions whose table writes include transactions (the storage counts come from those). */
const sendsTransactions = (fn: FunctionName): boolean =>
  fn !== 'health' && fn !== 'event-webhook' && fn !== 'api-key-authorizer';

/**
 * The functions that emit each metric: the alarms sum a metric over these (an alarm's metric math
 * cannot search), the dashboard searches over every function.
 */
export const metricEmitters: Readonly<Record<MetricName, readonly FunctionName[]>> = {
  PermissionRequested: ['events'],
  PermissionGranted: ['events'],
  PermissionRejected: ['events'],
  PermissionRevoked: ['events'],
  PermissionExpired: ['events'],
  CallsPlaced: ['events'],
  CallsAnswered: ['events'],
  CallsMissed: ['events'],
  InboundCalls: ['events'],
  NumbersPaused: ['events'],
  CallButtonsHidden: ['events'],
  EventsPublished: ['events'],
  EventsFailed: ['events'],
  WebhookDelivered: ['event-webhook'],
  WebhookFailed: ['event-webhook'],
  CallsRefused: ['place-call', 'call-intents', 'intent-dispatcher'],
  PermissionRequestsRefused: ['permission-request', 'call-intents', 'intent-dispatcher'],
  InboundRefusedAtCapacity: ['answer'],
  AccountUpdatesIgnored: ['permission-reply'],
  UserIdsIgnored: ['answer', 'permission-reply'],
  SignaturesRefused: ['permission-reply', 'answer', 'hangup', 'dial-status'],
  ApiKeysRefused: ['api-key-authorizer'],
  PlivoApiErrors: [
    'place-call',
    'permission-request',
    'call-intents',
    'intent-dispatcher',
    'answer',
  ],
  LeasesReaped: ['answer'],
  LiveCallsUnknown: ['answer'],
  StorageRetries: functionNames.filter(sendsTransactions),
  StorageUnknownOutcomes: functionNames.filter(sendsTransactions),
};
