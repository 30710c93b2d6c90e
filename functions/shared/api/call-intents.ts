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

/** Strict: a misspelt field (`notafter`) is refused by name, never silently dropped. */
export const callIntentBody = z.strictObject({
  from: numberField('the business number'),
  to: numberField('the user number, or their business-scoped user ID'),
  agent: agentSchema.optional(),
  notAfter: z.iso
    .datetime({
      offset: true,
      error: 'notAfter must be an ISO 8601 time such as 2026-12-09T18:00:00Z',
    })
    .optional()
    .meta({ description: 'Give up after this moment (callIntents.lifetimeSeconds otherwise).' }),
  ...referenceFields,
});

export const callIntentPath = z.object({
  intentId: z.uuid('intentId must be a call intent id (a UUID)'),
});

const iso = z.iso.datetime();

/** An intent's statuses: the three open ones first (rules/intent.ts). */
export const callIntentStatuses = [
  'waiting_permission',
  'scheduled',
  'placing',
  'placed',
  'expired',
  'declined',
  'cancelled',
] as const;

/** What GET /v1/call-intents may list: one status, or `open` (every open status, the default). */
export const intentStatusFilters = ['open', ...callIntentStatuses] as const;

/** A call intent as the business API shows it. */
export const callIntentResponse = z.strictObject({
  intentId: z.uuid(),
  status: z.enum(callIntentStatuses),
  from: z.string(),
  to: z.string(),
  agent: z.string().optional(),
  createdAt: iso,
  notAfter: iso,
  scheduledAt: iso
    .optional()
    .meta({ description: 'scheduled / waiting_permission: when the intent is next looked at.' }),
  reason: z
    .string()
    .optional()
    .meta({ description: 'Why it waits (scheduled, waiting_permission) or why it was declined.' }),
  callId: z.string().optional().meta({ description: 'placed: the call (GET /v1/calls/{callId}).' }),
  endedAt: iso.optional(),
  ...referenceViewFields,
});

const intentId = '0d5e8a7c-6b1f-4c3e-9f2a-8b7d6e5c4a30';
const intent = { from: exampleBusiness, to: exampleUser };
const waiting = {
  intentId,
  status: 'waiting_permission',
  ...intent,
  createdAt: '2026-12-09T10:00:00.000Z',
  notAfter: '2026-12-10T10:00:00.000Z',
  scheduledAt: '2026-12-10T10:00:00.000Z',
  reason: 'no_permission',
};
const unknownIntent = '00000000-0000-4000-8000-000000000000';
const intentErrors = [...businessApiErrors, 'invalid_request', 'not_found'] as const;

export const createCallIntentRoute: RouteContract = {
  summary: 'Call this user as soon as the rules allow it',
  description:
    "202 with the new intent; 200 with the pair's open intent when one stands. The intent asks for permission, waits for the number's outbound hours and every limit, then places the call (docs/intents.md).",
  body: callIntentBody,
  responses: {
    202: { description: 'A new intent.', schema: callIntentResponse },
    200: {
      description: "The pair's open intent, which stands instead.",
      schema: callIntentResponse,
    },
  },
  errors: [
    ...jsonBodyErrors,
    ...businessApiErrors,
    'invalid_number',
    'unknown_business_number',
    'country_restricted',
    'bsuid_not_dialable',
  ],
  examples: [
    {
      name: 'intent-created',
      summary: 'A user with no permission yet: the request goes out, the intent waits',
      request: { body: intent },
      status: 202,
      response: waiting,
    },
    {
      name: 'intent-created-with-references',
      summary: 'A reference and metadata, kept with the intent and the call it places',
      request: { body: { ...intent, reference: 'TICKET-4711', metadata: { crm: 'hubspot' } } },
      status: 202,
      response: { ...waiting, reference: 'TICKET-4711', metadata: { crm: 'hubspot' } },
    },
    {
      name: 'intent-already-open',
      summary: 'A second intent for the same pair',
      request: { body: intent },
      status: 200,
      response: waiting,
    },
    {
      name: 'intent-not-after-passed',
      summary: 'A notAfter in the past',
      request: { body: { ...intent, notAfter: '2020-01-01T00:00:00Z' } },
      status: 400,
      response: {
        error: 'invalid_request',
        message: 'notAfter must be in the future and no later than 2026-12-16T10:00:00.000Z',
      },
    },
    {
      name: 'intent-bare-digits',
      summary: 'A number without +',
      request: { body: { ...intent, to: exampleUser.slice(1) } },
      status: 400,
      response: {
        error: 'invalid_number',
        message: 'to must be E.164 with +, such as +919812345678',
      },
    },
    {
      name: 'intent-unknown-business-number',
      summary: 'A business number the configuration does not have',
      request: { body: { ...intent, from: '+918035737459' } },
      status: 404,
      response: {
        error: 'unknown_business_number',
        message: 'from is not a configured business number',
      },
    },
    {
      name: 'intent-restricted-country',
      summary: 'A business number in a country Meta restricts',
      request: { body: { ...intent, from: '+12125550123' } },
      status: 403,
      response: {
        error: 'country_restricted',
        message: 'Business-initiated calls are not available from business numbers in US',
      },
    },
    {
      name: 'intent-bsuid-alone',
      summary: 'A user known by a business-scoped user ID alone',
      request: { body: { ...intent, to: 'US.13491208655302741918' } },
      status: 422,
      response: {
        error: 'bsuid_not_dialable',
        message:
          'The user is known by a business-scoped user ID alone, and Plivo documents no way to call one',
      },
    },
    ...jsonBodyExamples('intent'),
  ],
};

export const readCallIntentRoute: RouteContract = {
  summary: 'Read a call intent',
  description: 'The intent as it stands.',
  path: callIntentPath,
  responses: { 200: { description: 'The intent.', schema: callIntentResponse } },
  errors: intentErrors,
  examples: [
    {
      name: 'intent-read',
      summary: 'An intent waiting for the permission',
      request: { path: { intentId } },
      status: 200,
      response: waiting,
    },
    {
      name: 'intent-read-not-a-uuid',
      summary: 'An id that is not a UUID',
      request: { path: { intentId: 'intent-7' } },
      status: 400,
      response: {
        error: 'invalid_request',
        message: 'intentId: intentId must be a call intent id (a UUID)',
      },
    },
    {
      name: 'intent-read-unknown',
      summary: 'No intent has this id',
      request: { path: { intentId: unknownIntent } },
      status: 404,
      response: { error: 'not_found', message: 'No call intent with this id' },
    },
    anonymousExample('intent-read', { intentId }),
  ],
};

export const cancelCallIntentRoute: RouteContract = {
  summary: 'Cancel a call intent',
  description: 'Cancels an open intent; 409 once its call is placed or being placed.',
  path: callIntentPath,
  responses: {
    200: { description: 'The intent, cancelled (or as it ended).', schema: callIntentResponse },
  },
  errors: [...intentErrors, 'intent_placed'],
  examples: [
    {
      name: 'intent-cancelled',
      summary: 'An intent still waiting',
      request: { path: { intentId } },
      status: 200,
      response: { ...waiting, status: 'cancelled', endedAt: '2026-12-09T10:05:00.000Z' },
    },
    {
      name: 'intent-cancel-placed',
      summary: 'An intent whose call is placed',
      request: { path: { intentId } },
      status: 409,
      response: {
        error: 'intent_placed',
        message: "The intent's call is placed; it cannot be cancelled",
      },
    },
    {
      name: 'intent-cancel-not-a-uuid',
      summary: 'An id that is not a UUID',
      request: { path: { intentId: 'intent-7' } },
      status: 400,
      response: {
        error: 'invalid_request',
        message: 'intentId: intentId must be a call intent id (a UUID)',
      },
    },
    {
      name: 'intent-cancel-unknown',
      summary: 'No intent has this id',
      request: { path: { intentId: unknownIntent } },
      status: 404,
      response: { error: 'not_found', message: 'No call intent with this id' },
    },
    anonymousExample('intent-cancel', { intentId }),
  ],
};

/** GET /v1/call-intents: strict, like the body. */
export const callIntentListQuery = z.strictObject({
  business: z
    .string()
    .optional()
    .meta({ description: 'Required: the business number, E.164 (its `+` as %2B or +).' }),
  status: z
    .enum(intentStatusFilters, {
      error: `status must be one of ${intentStatusFilters.join(', ')}`,
    })
    .default('open'),
  limit: limitSchema,
  cursor: cursorSchema,
});

export const callIntentListResponse = z.strictObject({
  intents: z
    .array(callIntentResponse)
    .readonly()
    .meta({ description: 'Newest first by creation.' }),
  cursor: nextCursor,
});

export type CallIntentListResponse = z.output<typeof callIntentListResponse>;

export const listCallIntentsRoute: RouteContract = {
  summary: "List a number's call intents",
  description:
    "A business number's call intents of one status, or the open ones (waiting_permission, scheduled, placing: the default), newest first, a page at a time.",
  query: callIntentListQuery,
  responses: { 200: { description: 'One page.', schema: callIntentListResponse } },
  errors: [...businessApiErrors, ...listingErrors],
  examples: [
    {
      name: 'intent-list-open',
      summary: "The number's open intents",
      request: { query: { business: exampleBusiness } },
      status: 200,
      response: { intents: [] },
    },
    {
      name: 'intent-list-bad-status',
      summary: 'A status intents do not have',
      request: { query: { business: exampleBusiness, status: 'done' } },
      status: 400,
      response: {
        error: 'invalid_request',
        message: `status: status must be one of ${intentStatusFilters.join(', ')}`,
      },
    },
    ...listingRefusalExamples('intent-list'),
    anonymousExample('intent-list'),
  ],
};
