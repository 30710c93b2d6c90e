/**
 * What each /v1 route takes and answers, as the client types it: the very zod schemas the handlers
 * validate with and docs/openapi.json is generated from (`functions/shared/api/`), imported for their
 * types only, so the client, the server and the document cannot disagree.
 */

import type * as z from 'zod';
import type { callIntentBody, callIntentResponse } from '../functions/shared/api/call-intents.js';
import type {
  callLogResponse,
  placeCallBody,
  placedCallResponse,
} from '../functions/shared/api/calls.js';
import type { healthResponse } from '../functions/shared/api/health.js';
import type { pauseLiftResponse } from '../functions/shared/api/numbers.js';
import type {
  permissionCorrectionBody,
  permissionRequestBody,
  permissionRequestResponse,
  permissionStateResponse,
} from '../functions/shared/api/permissions.js';
import type { IntentStatus } from '../functions/shared/rules/intent.js';

export type PlaceCallRequest = z.input<typeof placeCallBody>;
export type PlacedCall = z.output<typeof placedCallResponse>;
export type CallLogView = z.output<typeof callLogResponse>;
export type PermissionRequestBody = z.input<typeof permissionRequestBody>;
export type PermissionRequestSent = z.output<typeof permissionRequestResponse>;
export type PairPermission = z.output<typeof permissionStateResponse>;
export type PermissionCorrection = z.input<typeof permissionCorrectionBody>;
export type CreateIntentRequest = z.input<typeof callIntentBody>;
export type IntentView = z.output<typeof callIntentResponse>;
export type PauseLift = z.output<typeof pauseLiftResponse>;
export type Health = z.output<typeof healthResponse>;

export interface PairRef {
  readonly business: string;
  readonly user: string;
}

export type CallDirection = CallLogView['direction'];

export interface ListCallsQuery {
  readonly business: string;
  readonly user?: string;
  /** ISO 8601 times bounding when the calls started. */
  readonly since?: string;
  readonly until?: string;
  readonly direction?: CallDirection;
  readonly limit?: number;
  /** The `cursor` of the page before. */
  readonly cursor?: string;
}

export interface ListIntentsQuery {
  readonly business: string;
  readonly status?: IntentStatus;
  readonly limit?: number;
  readonly cursor?: string;
}

/** One page of a listing, newest first; `cursor` fetches the next one and is absent on the last. */
export interface Page<T> {
  readonly items: readonly T[];
  readonly cursor?: string;
}
