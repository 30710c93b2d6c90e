import * as z from 'zod';
import { agentSchema } from '../config/agent.js';
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
import {
  cursorSchema,
  limitSchema,
  listingErrors,
  listingRefusalExamples,
  nextCursor,
} from './listing.js';
import { referenceFields, referenceViewFields } from './references.js';

/** Strict: a misspelt field (`agnet`) is refused by name, never silently dropped. */
export const placeCallBody = z.strictObject({
  from: numberField('the business number'),
  to: numberField('the user number, or their business-scoped user ID'),
  agent: agentSchema.optional().meta({
    description: "The agent to ring first (SIP URI or endpoint); the number's own otherwise.",
  }),
  ...referenceFields,
});

export const idempotencyKeySchema = z
  .string()
  .regex(/^[\x21-\x7E]{1,255}$/, 'Idempotency-Key must be 1 to 255 visible ASCII characters');

export const placeCallHeaders = z.object({
  'Idempotency-Key': idempotencyKeySchema.optional().meta({
    description:
      'A retry with the same key within 24 h gets the first 201 again, and nothing is placed twice.',
  }),
});

export const placedCallResponse = z.strictObject({
  callId: z.uuid().meta({ description: "callgate's id of the call (GET /v1/calls/{callId})." }),
  requestUuid: z.string().meta({ description: "Plivo's request_uuid of the agent leg." }),
  from: z.string(),
  to: z.string(),
  agent: z.string(),
  status: z.literal('placing'),
});

export type PlacedCallResponse = z.output<typeof placedCallResponse>;

/**
 * Call ids are callgate's own (UUIDs) or Plivo's CallUUIDs, which the webhooks accept in the 8-4-4-4-12
 * hex form of any version: the same form here, so every stored call can be looked up.
 */
export const callLogPath = z.object({ callId: z.guid('callId must be a call id (a UUID)') });

export const callLogResponse = z.strictObject({
  callId: z.string(),
  direction: z.enum(['inbound', 'outbound']),
  business: z.string(),
  user: z
    .string()
    .meta({ description: 'The number, or the BSUID of an inbound caller known by it alone.' }),
  userId: z.string().optional().meta({ description: "The user's BSUID, when known." }),
  status: z.enum(['placing', 'ringing', 'in_progress', 'ended']),
  placedAt: z.iso.datetime().optional(),
  answeredAt: z.iso.datetime().optional(),
  endedAt: z.iso.datetime().optional(),
  durationSeconds: z.number().int().min(0).optional(),
  outcome: z
    .enum(['answered', 'missed', 'busy', 'failed', 'refused-after-placing'])
    .optional()
    .meta({ description: 'Absent while it is not known yet.' }),
  hangupCause: z.string().optional(),
  agent: z.string().optional(),
  refusal: z.string().optional(),
  endedBy: z.string().optional(),
  missedInARow: z.number().int().min(0).optional(),
  ...referenceViewFields,
});

const callId = '5b0f2c8e-3f7a-4f0e-9a51-2d9a1c7e6b10';
const placed = {
  callId,
  requestUuid: '9a8e1f7c-0b6d-4e52-8a47-3c2b1d0e9f88',
  from: exampleBusiness,
  to: exampleUser,
  agent: 'sip:support@phone.plivo.com',
  status: 'placing',
};
const call = { from: exampleBusiness, to: exampleUser };

const refusedCall = (
  name: string,
  summary: string,
  status: number,
  response: Record<string, unknown>,
  body: Record<string, unknown> = call,
) => ({ name, summary, request: { body }, status, response });

export const placeCallRoute: RouteContract = {
  summary: 'Place a business-initiated call',
  description:
    "Rings the business number's agent, then the user, only within every rule: the user's permission, the daily limit, the number's simultaneous calls, the account's calls per second, Meta's pause of the number.",
  body: placeCallBody,
  headers: placeCallHeaders,
  responses: {
    201: { description: 'Placed: Plivo took the agent leg.', schema: placedCallResponse },
  },
  errors: [
    ...jsonBodyErrors,
    ...businessApiErrors,
    'invalid_number',
    'unknown_business_number',
    'country_restricted',
    'no_permission',
    'permission_expired',
    'permission_revoked',
    'permission_rejected',
    'number_paused',
    'bsuid_not_dialable',
    'idempotency_conflict',
    'idempotency_key_reused',
    'daily_call_limit',
    'concurrency_limit',
    'cps_limit',
    'plivo_error',
  ],
  examples: [
    {
      name: 'call-placed',
      summary: 'A user who granted permission',
      request: { body: call, headers: { 'Idempotency-Key': 'order-4711' } },
      status: 201,
      response: placed,
    },
    {
      name: 'call-placed-with-references',
      summary: "A CRM's ticket and contact ids, carried onto the call's events and its log",
      request: {
        body: { ...call, reference: 'TICKET-4711', metadata: { crm: 'hubspot', contactId: '901' } },
      },
      status: 201,
      response: placed,
    },
    refusedCall(
      'call-metadata-too-many-keys',
      'Metadata of more than 10 keys',
      400,
      { error: 'invalid_request', message: 'metadata: must have at most 10 keys' },
      {
        ...call,
        metadata: Object.fromEntries(Array.from({ length: 11 }, (_, i) => [`k${i}`, 'v'])),
      },
    ),
    refusedCall(
      'call-misspelt-field',
      'A field callgate does not know',
      400,
      {
        error: 'invalid_request',
        message: 'body: Unrecognized key: "agnet"',
      },
      { ...call, agnet: 'sip:support@phone.plivo.com' },
    ),
    refusedCall(
      'call-bare-digits',
      'A number without +',
      400,
      { error: 'invalid_number', message: 'to must be E.164 with +, such as +919812345678' },
      { ...call, to: exampleUser.slice(1) },
    ),
    refusedCall(
      'call-unknown-business-number',
      'A business number the configuration does not have',
      404,
      {
        error: 'unknown_business_number',
        message: 'from is not a configured business number',
      },
      { ...call, from: '+918035737459' },
    ),
    refusedCall(
      'call-restricted-country',
      'A business number in a country Meta restricts',
      403,
      {
        error: 'country_restricted',
        message: 'Business-initiated calls are not available from business numbers in US',
      },
      { ...call, from: '+12125550123' },
    ),
    refusedCall('call-no-permission', 'A user who never granted permission', 403, {
      error: 'no_permission',
      message:
        'The user has not granted this business number permission to call; a call needs a new permission first: a permission request may be sent now',
      requestPermissionAfter: 0,
    }),
    refusedCall('call-permission-rejected', 'A user who declined the request', 403, {
      error: 'permission_rejected',
      message:
        'The user declined the call permission request; a call needs a new permission first: a permission request may be sent in 604800 s',
      requestPermissionAfter: 604800,
    }),
    refusedCall('call-permission-revoked', 'A permission an operator revoked', 403, {
      error: 'permission_revoked',
      message:
        'The call permission was revoked; a call needs a new permission first: a permission request may be sent now',
      requestPermissionAfter: 0,
    }),
    refusedCall('call-permission-expired', 'A temporary permission that ran out', 403, {
      error: 'permission_expired',
      message:
        "The user's call permission has expired; ask for it again; a call needs a new permission first: a permission request may be sent now",
      requestPermissionAfter: 0,
    }),
    refusedCall('call-daily-limit', "The user's daily limit of calls reached", 429, {
      error: 'daily_call_limit',
      message: 'The daily limit of business-initiated calls to this user is reached',
      retryAfter: 86399,
    }),
    refusedCall(
      'call-concurrency-limit',
      'The business number at its limit of simultaneous calls',
      429,
      {
        error: 'concurrency_limit',
        message: 'The business number is at its limit of simultaneous calls',
      },
    ),
    refusedCall(
      'call-number-paused',
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
      { ...call, from: '+18765550123' },
    ),
    refusedCall(
      'call-bsuid-alone',
      'A user known by a business-scoped user ID alone',
      422,
      {
        error: 'bsuid_not_dialable',
        message:
          'The user is known by a business-scoped user ID alone, and Plivo documents no way to call one',
      },
      { ...call, to: 'US.13491208655302741918' },
    ),
    {
      name: 'call-idempotency-key-reused',
      summary: 'An Idempotency-Key sent before for another user',
      request: { body: call, headers: { 'Idempotency-Key': 'order-4712' } },
      status: 409,
      response: {
        error: 'idempotency_key_reused',
        message:
          'This Idempotency-Key was used for a request with another from, to or agent; nothing was placed',
      },
    },
    refusedCall('call-plivo-refuses', 'Plivo refuses the Call API request', 502, {
      error: 'plivo_error',
      message: 'Plivo refused the call (HTTP 400); nothing was counted',
    }),
    ...jsonBodyExamples('call'),
  ],
};

export const callLogRoute: RouteContract = {
  summary: 'Read one call',
  description:
    'One call, inbound or business-initiated: its status, outcome and times (a call log).',
  path: callLogPath,
  responses: { 200: { description: 'The call as it stands.', schema: callLogResponse } },
  errors: [...businessApiErrors, 'invalid_request', 'not_found'],
  examples: [
    {
      name: 'call-log-read',
      summary: 'A call placed a moment ago',
      request: { path: { callId } },
      status: 200,
      response: {
        callId,
        direction: 'outbound',
        business: exampleBusiness,
        user: exampleUser,
        status: 'placing',
        placedAt: '2026-12-09T10:00:00.000Z',
        agent: 'sip:support@phone.plivo.com',
      },
    },
    {
      name: 'call-log-not-a-uuid',
      summary: 'An id that is not a UUID',
      request: { path: { callId: 'call-42' } },
      status: 400,
      response: { error: 'invalid_request', message: 'callId: callId must be a call id (a UUID)' },
    },
    {
      name: 'call-log-unknown',
      summary: 'No call has this id',
      request: { path: { callId: '00000000-0000-4000-8000-000000000000' } },
      status: 404,
      response: { error: 'not_found', message: 'No call with this id' },
    },
    anonymousExample('call-log', { callId }),
  ],
};

const isoTime = (name: string) =>
  z.iso.datetime({
    offset: true,
    error: `${name} must be an ISO 8601 time such as 2026-12-09T18:00:00Z`,
  });

/** GET /v1/calls: strict, so a misspelt parameter (`directon`) is refused by name. */
export const callListQuery = z.strictObject({
  business: z
    .string()
    .optional()
    .meta({ description: 'Required: the business number, E.164 (its `+` as %2B or +).' }),
  user: z
    .string()
    .optional()
    .meta({ description: "Only this user's calls: their number, or a BSUID known alone." }),
  since: isoTime('since').optional().meta({ description: 'Calls started at or after.' }),
  until: isoTime('until').optional().meta({ description: 'Calls started before.' }),
  direction: z
    .enum(['inbound', 'outbound'], { error: 'direction must be inbound or outbound' })
    .optional(),
  limit: limitSchema,
  cursor: cursorSchema,
});

export const callListResponse = z.strictObject({
  calls: z.array(callLogResponse).readonly().meta({ description: 'Newest first by start.' }),
  cursor: nextCursor,
});

export type CallListResponse = z.output<typeof callListResponse>;

export const callListRoute: RouteContract = {
  summary: "List a number's calls",
  description:
    "A business number's calls, or one user's with it, newest first by when they started, a page at a time: each entry is what GET /v1/calls/{callId} answers. Calls recorded before the listing's index existed are not listed.",
  query: callListQuery,
  responses: { 200: { description: 'One page.', schema: callListResponse } },
  errors: [...businessApiErrors, ...listingErrors],
  examples: [
    {
      name: 'call-list',
      summary: "The number's outbound calls, two a page",
      request: { query: { business: exampleBusiness, direction: 'outbound', limit: '2' } },
      status: 200,
      response: { calls: [] },
    },
    {
      name: 'call-list-user',
      summary: "One user's calls with the number",
      request: { query: { business: exampleBusiness, user: exampleUser } },
      status: 200,
      response: { calls: [] },
    },
    {
      name: 'call-list-no-business',
      summary: 'No business number',
      request: { query: { direction: 'inbound' } },
      status: 400,
      response: {
        error: 'invalid_request',
        message: 'business is required: the business number in E.164',
      },
    },
    ...listingRefusalExamples('call-list'),
    anonymousExample('call-list'),
  ],
};
