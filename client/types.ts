/**
 * What each /v1 route takes and answers, as the client types it: the very zod schemas the handlers
 * validate with and docs/openapi.json is generated from (`functions/shared/api/`), imported for their
 * types only, so the client, the server and the document cannot disagree.
 */

import type * as z from 'zod';
import type {
  callIntentBody,
  callIntentListQuery,
  callIntentListResponse,
  callIntentResponse,
} from '../functions/shared/api/call-intents.js';
import type {
  callListQuery,
  callListResponse,
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

/** A listing's query as a program writes it: `business` required, `limit` a number. */
type ListingQuery<Q> = Omit<Q, 'business' | 'limit'> & {
  readonly business: string;
  readonly limit?: number;
};

export type ListCallsQuery = ListingQuery<z.input<typeof callListQuery>>;
export type ListIntentsQuery = ListingQuery<z.input<typeof callIntentListQuery>>;

/** One page of a listing, newest first; `cursor` fetches the next one and is absent on the last. */
export type CallList = z.output<typeof callListResponse>;
export type IntentList = z.output<typeof callIntentListResponse>;
