import type { MetricLabels, MetricName } from '../metrics.js';
import type { Envelope, EventType } from './envelope.js';

type EventOf<T extends EventType> = Extract<Envelope, { type: T }>;

/** The metric one event counts in, with its label. */
export type EventMetric = readonly [MetricName, MetricLabels];

/**
 * What each event type counts in besides EventsPublished; null: published only. Typed over every event
 * type, so a type added to EventData does not compile until its metric is decided here.
 */
export const eventMetrics: {
  readonly [T in EventType]: ((event: EventOf<T>) => EventMetric) | null;
} = {
  'permission.requested': ({ business }) => ['PermissionRequested', { business }],
  'permission.granted': ({ business, data }) => [
    'PermissionGranted',
    { business, reason: data.source },
  ],
  'permission.rejected': ({ business }) => ['PermissionRejected', { business }],
  'permission.revoked': ({ business, data }) => [
    'PermissionRevoked',
    { business, reason: data.reason },
  ],
  'permission.expired': ({ business }) => ['PermissionExpired', { business }],
  'permission.cleared': null,
  'call.placed': ({ business }) => ['CallsPlaced', { business }],
  'call.answered': ({ business }) => ['CallsAnswered', { business }],
  'call.missed': ({ business }) => ['CallsMissed', { business }],
  'call.started': ({ business }) => ['InboundCalls', { business }],
  'call.ended': null,
  'intent.scheduled': null,
  'intent.waiting_permission': null,
  'intent.placed': null,
  'intent.expired': null,
  'intent.declined': null,
  'intent.cancelled': null,
  'number.paused': ({ business }) => ['NumbersPaused', { business }],
  'number.unpaused': null,
  'number.call_button_hidden': ({ business }) => ['CallButtonsHidden', { business }],
};

/** The metric an event counts in besides EventsPublished, if any. */
export const metricOf = (event: Envelope): EventMetric | undefined =>
  // The table is indexed by the event's own type, so the cast only widens what TypeScript cannot correlate.
  (eventMetrics[event.type] as ((event: Envelope) => EventMetric) | null)?.(event);
