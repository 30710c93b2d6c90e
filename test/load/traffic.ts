/**
 * The requests of the load, as Plivo and the business's systems send them: webhooks form-encoded and
 * V3-signed over the public URL (as postSignedForm does, but built ahead so that signing is not part
 * of the timed run), the business API as JSON.
 */
import { randomUUID } from 'node:crypto';
import { plivoPaths } from '../../functions/shared/routes.js';
import { sandboxAuthToken } from '../../local/host.js';
import { permissionReplyForm } from '../support/plivo-forms.js';
import { signV3 } from '../support/plivo-sign.js';
import type { Shot } from './cannon.js';

/** Plivo writes numbers as digits without `+`. */
const digits = (e164: string) => e164.slice(1);

export const signedForm = <Meta>(
  publicBaseUrl: string,
  path: string,
  params: Record<string, string>,
  meta: Meta,
): Shot<Meta> => ({
  method: 'POST',
  path,
  headers: {
    ...signV3({
      method: 'POST',
      url: `${publicBaseUrl}${path}`,
      params,
      authToken: sandboxAuthToken,
    }),
    'content-type': 'application/x-www-form-urlencoded',
  },
  body: new URLSearchParams(params).toString(),
  meta,
});

export interface MessageMeta {
  readonly kind: 'reply' | 'redelivery' | 'text';
  readonly business: string;
  readonly user: string;
  readonly messageUuid: string;
  readonly permanent: boolean;
}

/** The user accepts the call-permission request (Meta's call_permission_reply, as Plivo forwards it). */
export const permissionReply = (
  base: string,
  business: string,
  user: string,
  options: { permanent: boolean; messageUuid: string; redelivery: boolean },
): Shot<MessageMeta> =>
  signedForm(
    base,
    plivoPaths.message,
    permissionReplyForm(
      user,
      business,
      {
        response: 'accept',
        response_source: 'user_action',
        ...(options.permanent ? { is_permanent: true } : {}),
      },
      options.messageUuid,
    ),
    {
      kind: options.redelivery ? 'redelivery' : 'reply',
      business,
      user,
      messageUuid: options.messageUuid,
      permanent: options.permanent,
    },
  );

/** An ordinary WhatsApp text message: it opens the user's customer-service window. */
export const textMessage = (base: string, business: string, user: string): Shot<MessageMeta> => {
  const messageUuid = randomUUID();
  return signedForm(
    base,
    plivoPaths.message,
    {
      From: digits(user),
      To: digits(business),
      Type: 'whatsapp',
      ContentType: 'text',
      Text: 'Hello, when are you open?',
      MessageUUID: messageUuid,
    },
    { kind: 'text', business, user, messageUuid, permanent: false },
  );
};

export interface InboundMeta {
  readonly callUuid: string;
  readonly business: string;
  readonly user: string;
}

/** Plivo's answer URL request for an inbound WhatsApp call. */
export const inboundAnswer = (base: string, call: InboundMeta): Shot<InboundMeta> =>
  signedForm(
    base,
    plivoPaths.answer,
    {
      CallUUID: call.callUuid,
      From: digits(call.user),
      To: digits(call.business),
      Direction: 'inbound',
      CallStatus: 'ringing',
    },
    call,
  );

export interface HangupMeta {
  /** Plivo's CallUUID (inbound) or callgate's call id (business-initiated). */
  readonly callId: string;
  readonly durationSeconds: number;
}

/** Plivo's hangup URL request for an inbound call: `To` is the business number. */
export const inboundHangup = (
  base: string,
  call: InboundMeta,
  durationSeconds: number,
): Shot<HangupMeta> =>
  signedForm(
    base,
    plivoPaths.hangup,
    {
      CallUUID: call.callUuid,
      From: digits(call.user),
      To: digits(call.business),
      Direction: 'inbound',
      Duration: String(durationSeconds),
      BillDuration: String(durationSeconds),
      HangupCause: 'NORMAL_CLEARING',
      HangupCauseName: 'Normal Hangup',
      HangupSource: 'Caller',
    },
    { callId: call.callUuid, durationSeconds },
  );

export interface PlacedMeta {
  /** callgate's call id, from the 201. */
  readonly callId: string;
  readonly business: string;
  readonly user: string;
  readonly agent: string;
  /** Plivo's CallUUID of the agent leg. */
  readonly agentLeg: string;
}

/** The agent answered the first leg: Plivo fetches the answer_url callgate gave it. */
export const agentAnswer = (base: string, call: PlacedMeta): Shot<PlacedMeta> =>
  signedForm(
    base,
    `${plivoPaths.answer}?call=${call.callId}`,
    {
      CallUUID: call.agentLeg,
      From: digits(call.business),
      To: call.agent,
      Direction: 'outbound',
      CallStatus: 'in-progress',
    },
    call,
  );

export type DialStatus = 'completed' | 'no-answer';

export interface DialStatusMeta {
  readonly callId: string;
  readonly business: string;
  readonly user: string;
  readonly dialStatus: DialStatus;
}

/** The `<Dial>` action: whether the WhatsApp user answered. */
export const dialStatus = (
  base: string,
  call: PlacedMeta,
  status: DialStatus,
): Shot<DialStatusMeta> =>
  signedForm(
    base,
    `${plivoPaths.dialStatus}?call=${call.callId}`,
    {
      DialStatus: status,
      DialALegUUID: call.agentLeg,
      DialBLegUUID: status === 'completed' ? randomUUID() : '',
      DialHangupCause: status === 'completed' ? 'NORMAL_CLEARING' : 'NO_ANSWER',
    },
    { callId: call.callId, business: call.business, user: call.user, dialStatus: status },
  );

/** The hangup_url callgate gave Plivo for a business-initiated call: `?call=` names it. */
export const outboundHangup = (
  base: string,
  call: PlacedMeta,
  durationSeconds: number,
): Shot<HangupMeta> =>
  signedForm(
    base,
    `${plivoPaths.hangup}?call=${call.callId}`,
    {
      CallUUID: call.agentLeg,
      From: digits(call.business),
      To: call.agent,
      Direction: 'outbound',
      Duration: String(durationSeconds),
      HangupCause: 'NORMAL_CLEARING',
      HangupCauseName: 'Normal Hangup',
    },
    { callId: call.callId, durationSeconds },
  );

export interface PlacementMeta {
  readonly business: string;
  readonly user: string;
}

/** POST /v1/calls from the business's systems (open locally: no API token configured). */
export const placement = (business: string, to: string): Shot<PlacementMeta> => ({
  method: 'POST',
  path: '/v1/calls',
  headers: { 'content-type': 'application/json' },
  body: JSON.stringify({ from: business, to }),
  meta: { business, user: to },
});
