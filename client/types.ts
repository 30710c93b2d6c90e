/**
 * What each /v1 route takes and answers, as the client types it. The views come from the rules that
 * build them; the few answers built in a handler or an operation are written here, and
 * test/unit/client/types.test.ts holds them equal to the server's own types.
 */

import type { CallLogView } from '../functions/shared/rules/call-log.js';
import type { IntentStatus } from '../functions/shared/rules/intent.js';
import type { IntentView } from '../functions/shared/rules/intent-view.js';
import type { PermissionRequestKind } from '../functions/shared/rules/pair.js';
import type { PermissionView } from '../functions/shared/rules/permission-state.js';
import type { PresetInForce } from '../functions/shared/rules/presets.js';

export type { CallLogView, IntentView, PermissionView };

/** Numbers are E.164 (`+918035737458`); a user may also be a BSUID. */
export interface PlaceCallRequest {
  readonly from: string;
  readonly to: string;
  /** A configured agent's SIP address or name; the number's default agent when absent. */
  readonly agent?: string;
}

export interface PlacedCall {
  readonly callId: string;
  readonly requestUuid: string;
  readonly from: string;
  readonly to: string;
  readonly agent: string;
  readonly status: 'placing';
}

export interface PermissionRequestBody {
  readonly from: string;
  readonly to: string;
  readonly variables?: Readonly<Record<string, string>>;
  /** Forces the template or the free-form request; absent, the customer-service window decides. */
  readonly kind?: PermissionRequestKind;
  /** The free-form request's body text. */
  readonly body?: string;
}

export interface PermissionRequestSent {
  readonly messageId: string;
  readonly sent: PermissionRequestKind;
  readonly from: string;
  readonly to: string;
  readonly requestedAt: string;
}

export interface PairRef {
  readonly business: string;
  readonly user: string;
}

export type PairPermission = { readonly business: string; readonly user: string } & PermissionView;

export interface PermissionCorrection {
  readonly status: 'temporary' | 'permanent' | 'rejected' | 'revoked' | 'none';
  /** ISO 8601 time: a temporary grant's end, or how long a refusal stands. */
  readonly expiresAt?: string;
}

export interface CreateIntentRequest {
  readonly from: string;
  readonly to: string;
  readonly agent?: string;
  /** ISO 8601 time after which the intent gives up. */
  readonly notAfter?: string;
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

export type PauseLift =
  | { readonly business: string; readonly lifted: false }
  | {
      readonly business: string;
      readonly lifted: true;
      readonly reason: string;
      readonly pausedUntil: string;
    };

export interface Health {
  readonly status: 'ok';
  readonly businessNumbers: number;
  readonly time: string;
  readonly preset: PresetInForce;
}
