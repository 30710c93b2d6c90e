import type { LiveCallList, LiveCallLookup } from '../plivo/live-calls.js';

/**
 * The Plivo APIs callgate uses, as a port: the real adapter speaks Plivo's REST API, the sandbox records.
 * Requests are built in Plivo's own parameter names so the sandbox shows exactly what would be sent.
 */
export interface CallParams {
  /** Caller ID of the first leg: the business number, digits without `+`. */
  readonly from: string;
  /** The agent to ring first: a SIP URI or a Plivo endpoint. */
  readonly to: string;
  readonly answer_url: string;
  readonly answer_method: 'POST';
  readonly hangup_url: string;
  readonly hangup_method: 'POST';
  readonly ring_timeout?: number;
  readonly time_limit?: number;
}

export interface TemplateMessageParams {
  /** Business number, digits without `+`. */
  readonly src: string;
  /** User number, digits without `+`. */
  readonly dst: string;
  readonly type: 'whatsapp';
  readonly template: {
    readonly name: string;
    readonly language: string;
    readonly components?: readonly unknown[];
  };
}

/**
 * Meta's free-form call-permission request, as Plivo's SDK sends an interactive WhatsApp message
 * (`interactive` beside `type: whatsapp`): only inside the user's customer-service window. No header or
 * footer; the body is optional.
 */
export interface InteractiveMessageParams {
  /** Business number, digits without `+`. */
  readonly src: string;
  /** User number, digits without `+`. */
  readonly dst: string;
  readonly type: 'whatsapp';
  readonly interactive: {
    readonly type: 'call_permission_request';
    readonly action: { readonly name: 'call_permission_request' };
    readonly body?: { readonly text: string };
  };
}

export type MessageParams = TemplateMessageParams | InteractiveMessageParams;

export interface PlacedCall {
  /** Plivo's request_uuid for the Call API request. */
  readonly requestUuid: string;
}

export interface SentMessage {
  readonly messageUuid: string;
}

/** Plivo's Live Call API: which of the account's calls are live. Both throw TelephonyError when a request fails. */
export interface LiveCalls {
  /** Every live CallUUID of the account, read page by page, or unknown (plivo/live-calls.ts). */
  list(): Promise<LiveCallList>;
  /** One call, looked up by its CallUUID. */
  lookup(callUuid: string): Promise<LiveCallLookup>;
}

export interface Telephony {
  placeCall(params: CallParams): Promise<PlacedCall>;
  /** The Message API: the permission request, as a template or as an interactive message. */
  sendMessage(params: MessageParams): Promise<SentMessage>;
  /** Absent where live calls cannot be known (the sandbox has no calls of its own). */
  readonly liveCalls?: LiveCalls;
}

/**
 * Plivo did not take the request (refused it, or could not be reached), or callgate cannot tell:
 * no answer in time, or a 2xx answer it cannot read, after either of which Plivo may have acted on it.
 */
export class TelephonyError extends Error {
  override name = 'TelephonyError';
  constructor(
    readonly kind: 'refused' | 'timeout' | 'unreachable' | 'unreadable',
    message: string,
    readonly status?: number,
  ) {
    super(message);
  }

  /** Whether Plivo may have carried the request out despite the error. */
  get mayHaveActed(): boolean {
    return this.kind === 'timeout' || this.kind === 'unreadable';
  }
}
