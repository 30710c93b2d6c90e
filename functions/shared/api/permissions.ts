import * as z from 'zod';
import { interactiveBody } from '../config/schema.js';
import { templateVariablesSchema } from '../config/template-variables.js';
import {
  anonymousExample,
  businessApiErrors,
  exampleBusiness,
  exampleUser,
  jsonBodyErrors,
  jsonBodyExamples,
  numberField,
  type RouteContract,
} from './contract.js';
import { referenceFields } from './references.js';

/** The pair's path: `%2B`-encoded or not; `http/business-pair.ts` validates the numbers. */
export const permissionPath = z.object({
  business: z.string().meta({ description: 'The business number, E.164 with +' }),
  user: z.string().meta({ description: 'The user number, or their business-scoped user ID' }),
});

const iso = z.iso.datetime();

const restrictionView = z.strictObject({
  inForce: z.boolean(),
  reason: z.string().meta({ description: "Meta's reason." }),
  since: iso,
  until: iso,
  liftedAt: iso.optional().meta({ description: 'When an operator lifted it.' }),
});

const actionView = z.strictObject({
  action: z.enum(['send_call_permission_request', 'start_call']),
  canPerform: z.boolean(),
  reason: z
    .string()
    .optional()
    .meta({ description: 'Why not: the error code the action would get now.' }),
  availableAt: iso
    .optional()
    .meta({ description: 'When the action may be performed, where known.' }),
  limits: z
    .array(
      z.strictObject({
        window: z.enum(['PT24H', 'P7D']),
        max: z.number().int(),
        used: z.number().int(),
        resetsAt: iso.optional(),
      }),
    )
    .readonly(),
  simultaneousCalls: z.strictObject({ max: z.number().int(), used: z.number().int() }).optional(),
  callsPerSecond: z.strictObject({ max: z.number().int(), availableAt: iso.optional() }).optional(),
});

/** The limits' preset in force, as the state view and GET /health show it. */
export const presetInForceResponse = z.strictObject({
  name: z.enum(['plivo-page', 'meta-2026-06']),
  source: z.string(),
  asOf: z.string(),
  overridden: z
    .array(z.string())
    .readonly()
    .meta({ description: 'The settings whose value in force is not the preset’s.' }),
});

/** The pair's state as Meta's call_permissions shows it, read by the rules that enforce it. */
export const permissionStateResponse = z.strictObject({
  business: z.string(),
  user: z.string(),
  permission: z.strictObject({
    status: z.enum(['no_permission', 'temporary', 'permanent', 'rejected', 'revoked', 'expired']),
    expiresAt: iso.optional(),
    source: z.enum(['reply', 'inbound_call', 'manual', 'missed_calls']).optional(),
    decidedAt: iso.optional(),
    revokedReason: z.enum(['missed_calls', 'automatic', 'manual']).optional(),
  }),
  consecutiveMissed: z.number().int().min(0),
  warned: z.boolean(),
  customerServiceWindow: z.strictObject({
    open: z.boolean(),
    closesAt: iso.optional(),
    remainingSeconds: z.number().int().min(0).optional(),
  }),
  actions: z.array(actionView).readonly(),
  preset: presetInForceResponse,
  businessNumber: z
    .strictObject({
      paused: restrictionView.nullable(),
      callButtonHidden: restrictionView.nullable(),
    })
    .optional(),
});

export type PermissionStateResponse = z.output<typeof permissionStateResponse>;

export const permissionCorrectionBody = z.strictObject({
  status: z.enum(['temporary', 'permanent', 'rejected', 'revoked', 'none']),
  expiresAt: z.iso
    .datetime({ offset: true, message: 'must be an ISO 8601 time such as 2027-01-31T12:00:00Z' })
    .transform((at) => Date.parse(at))
    .optional(),
});

/** Strict: a misspelt field is refused by name, never silently dropped. */
export const permissionRequestBody = z.strictObject({
  from: numberField('the business number'),
  to: numberField('the user number'),
  variables: templateVariablesSchema
    .optional()
    .meta({ description: "The template's variables by name, over permissionTemplate.variables." }),
  kind: z
    .enum(['template', 'interactive'])
    .optional()
    .meta({ description: 'Forces one kind; absent, the customer-service window decides.' }),
  body: interactiveBody.optional().meta({ description: "The free-form request's body text." }),
  ...referenceFields,
});

export const permissionRequestResponse = z.strictObject({
  messageId: z.string().meta({ description: "Plivo's message_uuid of the request." }),
  sent: z.enum(['template', 'interactive']),
  from: z.string(),
  to: z.string(),
  requestedAt: iso,
});

export type PermissionRequestResponse = z.output<typeof permissionRequestResponse>;

const pair = { business: exampleBusiness, user: exampleUser };
const statePath = { business: exampleBusiness, user: exampleUser };
const preset = {
  name: 'plivo-page',
  source: "Plivo's WhatsApp Calling guide, as read when callgate was built",
  asOf: '2026-11',
  overridden: [],
};
const granted = {
  ...pair,
  permission: {
    status: 'temporary',
    expiresAt: '2026-12-16T10:00:00.000Z',
    source: 'reply',
    decidedAt: '2026-12-09T10:00:00.000Z',
  },
  consecutiveMissed: 0,
  warned: false,
  customerServiceWindow: {
    open: true,
    closesAt: '2026-12-10T10:00:00.000Z',
    remainingSeconds: 86400,
  },
  actions: [
    {
      action: 'send_call_permission_request',
      canPerform: false,
      reason: 'permission_active',
      availableAt: '2026-12-16T10:00:00.000Z',
      limits: [
        { window: 'PT24H', max: 1, used: 0 },
        { window: 'P7D', max: 2, used: 0 },
      ],
    },
    {
      action: 'start_call',
      canPerform: true,
      limits: [{ window: 'PT24H', max: 5, used: 0 }],
      simultaneousCalls: { max: 1000, used: 0 },
      callsPerSecond: { max: 10 },
    },
  ],
  preset,
  businessNumber: { paused: null, callButtonHidden: null },
};

const pathRefusals = (prefix: string) => [
  {
    name: `${prefix}-bare-digits`,
    summary: 'A business number without +',
    request: { path: { ...statePath, business: exampleBusiness.slice(1) } },
    status: 400,
    response: {
      error: 'invalid_number',
      message: 'business must be E.164 with +, such as +919812345678',
    },
  },
  {
    name: `${prefix}-unknown-business-number`,
    summary: 'A business number the configuration does not have',
    request: { path: { ...statePath, business: '+918035737459' } },
    status: 404,
    response: {
      error: 'unknown_business_number',
      message: 'business is not a configured business number',
    },
  },
];

export const permissionStateRoute: RouteContract = {
  summary: 'Read the permission state',
  description:
    "The user's permission and the two actions (a permission request, a call) with their limits, shaped like Meta's call_permissions.",
  path: permissionPath,
  responses: {
    200: { description: 'The state as the rules read it now.', schema: permissionStateResponse },
  },
  errors: [...businessApiErrors, 'invalid_number', 'unknown_business_number'],
  examples: [
    {
      name: 'permission-state-granted',
      summary: 'A user who granted a temporary permission',
      request: { path: statePath },
      status: 200,
      response: granted,
    },
    ...pathRefusals('permission-state'),
    anonymousExample('permission-state', statePath),
  ],
};

export const permissionCorrectionRoute: RouteContract = {
  summary: "Correct the permission state (an operator's)",
  description:
    'Sets the permission as Meta holds it, where callgate drifted (source manual); answered with the state view. expiresAt is for temporary, rejected and revoked.',
  path: permissionPath,
  body: permissionCorrectionBody,
  responses: {
    200: { description: 'The state view after the correction.', schema: permissionStateResponse },
  },
  errors: [...jsonBodyErrors, ...businessApiErrors, 'invalid_number', 'unknown_business_number'],
  examples: [
    {
      name: 'permission-corrected',
      summary: 'A permanent permission Meta holds',
      request: { path: statePath, body: { status: 'permanent' } },
      status: 200,
      response: {
        ...granted,
        permission: {
          status: 'permanent',
          source: 'manual',
          decidedAt: '2026-12-09T10:00:00.000Z',
        },
      },
    },
    {
      name: 'permission-correction-expiry-in-the-past',
      summary: 'An expiry that has passed',
      request: {
        path: statePath,
        body: { status: 'temporary', expiresAt: '2020-01-01T00:00:00Z' },
      },
      status: 400,
      response: { error: 'invalid_request', message: 'expiresAt must be in the future' },
    },
    ...pathRefusals('permission-correction').map((example) => ({
      ...example,
      request: { ...example.request, body: { status: 'none' } },
    })),
    ...jsonBodyExamples('permission-correction', statePath),
  ],
};

const request = { from: exampleBusiness, to: exampleUser };
const refusedRequest = (
  name: string,
  summary: string,
  status: number,
  response: Record<string, unknown>,
  body: Record<string, unknown> = request,
) => ({ name, summary, request: { body }, status, response });

export const permissionRequestRoute: RouteContract = {
  summary: 'Send the call-permission request',
  description:
    'Free-form inside the customer-service window where the number allows it, the template outside it, within the request limits and Meta’s pause of the number.',
  body: permissionRequestBody,
  responses: { 202: { description: 'Plivo took the message.', schema: permissionRequestResponse } },
  errors: [
    ...jsonBodyErrors,
    ...businessApiErrors,
    'invalid_number',
    'unknown_business_number',
    'permission_active',
    'request_limit',
    'number_paused',
    'bsuid_not_messageable',
    'window_closed',
    'free_form_off',
    'plivo_error',
    'plivo_outcome_unknown',
  ],
  examples: [
    {
      name: 'permission-request-sent',
      summary: 'The template to a user with no permission',
      request: { body: request },
      status: 202,
      response: {
        messageId: '4a6c1c1e-7a8f-11ee-b962-0242ac120002',
        sent: 'template',
        ...request,
        requestedAt: '2026-12-09T10:00:00.000Z',
      },
    },
    refusedRequest(
      'permission-request-misspelt-field',
      'A field callgate does not know',
      400,
      {
        error: 'invalid_request',
        message: 'body: Unrecognized key: "kidn"',
      },
      { ...request, kidn: 'template' },
    ),
    refusedRequest(
      'permission-request-bare-digits',
      'A number without +',
      400,
      { error: 'invalid_number', message: 'to must be E.164 with +, such as +919812345678' },
      { ...request, to: exampleUser.slice(1) },
    ),
    refusedRequest(
      'permission-request-unknown-business-number',
      'A business number the configuration does not have',
      404,
      { error: 'unknown_business_number', message: 'from is not a configured business number' },
      { ...request, from: '+918035737459' },
    ),
    refusedRequest('permission-request-active', 'A user whose permission stands', 409, {
      error: 'permission_active',
      message: 'The user has already granted call permission',
      retryAfter: 604800,
    }),
    refusedRequest('permission-request-limit', 'A request sent already today', 429, {
      error: 'request_limit',
      message:
        'Permission request limit reached for this user: at most 1 per 24 h and 2 per 7 days',
      retryAfter: 86400,
    }),
    refusedRequest(
      'permission-request-number-paused',
      'A business number Meta paused',
      403,
      {
        error: 'number_paused',
        message:
          'Meta has paused business-initiated calls and permission requests from this business number until 2026-12-10T00:00:00.000Z (RESTRICTED_BIZ_INITIATED_CALLING)',
        retryAfter: 86400,
        reason: 'RESTRICTED_BIZ_INITIATED_CALLING',
        pausedUntil: '2026-12-10T00:00:00.000Z',
      },
      { ...request, from: '+18765550123' },
    ),
    refusedRequest(
      'permission-request-bsuid-alone',
      'A user known by a business-scoped user ID alone',
      422,
      {
        error: 'bsuid_not_messageable',
        message:
          'The user is known by a business-scoped user ID alone, and Plivo documents no way to message one',
      },
      { ...request, to: 'US.13491208655302741918' },
    ),
    refusedRequest(
      'permission-request-window-closed',
      'A free-form request outside the customer-service window',
      409,
      {
        error: 'window_closed',
        message:
          'the customer-service window is closed: no message or call from the user in the last 24 h; send the template ("kind": "template")',
      },
      { ...request, kind: 'interactive' },
    ),
    refusedRequest(
      'permission-request-free-form-off',
      'A free-form request from a number that turned them off',
      409,
      {
        error: 'free_form_off',
        message:
          'free-form permission requests are turned off for this business number (freeFormPermissionRequest.enabled)',
      },
      { ...request, from: '+18765550123', kind: 'interactive' },
    ),
    refusedRequest('permission-request-plivo-refuses', 'Plivo refuses the message', 502, {
      error: 'plivo_error',
      message: 'Plivo did not send the request: Plivo refused the message (HTTP 400)',
    }),
    ...jsonBodyExamples('permission-request'),
  ],
};
