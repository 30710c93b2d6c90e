/**
 * The one route table: the CDK stack and the local host both read it, so what runs locally is what is
 * deployed. `fn` names a folder under functions/ holding `handler.ts` (factory) and `index.ts` (Lambda entry).
 */
export type RouteAuth =
  /** Called by Plivo: the handler verifies the Plivo signature (403 otherwise). */
  | 'plivo-signature'
  /** Called by the business's own systems: IAM on AWS; locally open, or a bearer token when API_TOKEN is set. */
  | 'iam'
  | 'none';

export interface Route {
  readonly method: 'GET' | 'POST';
  readonly path: string;
  readonly fn: FunctionName;
  readonly auth: RouteAuth;
}

export const functionNames = [
  'health',
  'message-webhook',
  'answer',
  'hangup',
  'dial-status',
  'place-call',
  'permission-state',
  'permission-request',
] as const;

export type FunctionName = (typeof functionNames)[number];

export const routes: readonly Route[] = [
  { method: 'GET', path: '/health', fn: 'health', auth: 'none' },
  {
    method: 'POST',
    path: '/plivo/whatsapp/message',
    fn: 'message-webhook',
    auth: 'plivo-signature',
  },
  { method: 'POST', path: '/plivo/whatsapp/answer', fn: 'answer', auth: 'plivo-signature' },
  { method: 'POST', path: '/plivo/whatsapp/hangup', fn: 'hangup', auth: 'plivo-signature' },
  {
    method: 'POST',
    path: '/plivo/whatsapp/dial-status',
    fn: 'dial-status',
    auth: 'plivo-signature',
  },
  { method: 'POST', path: '/v1/calls', fn: 'place-call', auth: 'iam' },
  { method: 'GET', path: '/v1/permissions/{business}/{user}', fn: 'permission-state', auth: 'iam' },
  { method: 'POST', path: '/v1/permission-requests', fn: 'permission-request', auth: 'iam' },
];

/** The URLs Plivo is given, by the console or by callgate itself (answer_url, action). */
export const plivoPaths = {
  message: '/plivo/whatsapp/message',
  answer: '/plivo/whatsapp/answer',
  hangup: '/plivo/whatsapp/hangup',
  dialStatus: '/plivo/whatsapp/dial-status',
} as const;
