/**
 * Per-route inputs: the fields each route reads, filled with values that are sometimes right (so the
 * handler's own validation and domain code run) and often wrong in every way the generic ones know.
 */
import fc from 'fast-check';
import type { HttpFunctionName } from '../../functions/shared/routes.js';
import { exampleNumbers } from '../support/fixtures.js';
import { nastyString } from './support.js';

const businessNumbers = Object.values(exampleNumbers);

/** Numbers as Plivo (bare digits) and the API (E.164) write them, valid or not. */
export const phoneNumber = (): fc.Arbitrary<string> =>
  fc.oneof(
    fc.constantFrom(...businessNumbers),
    fc.constantFrom(...businessNumbers).map((n) => n.slice(1)),
    fc.integer({ min: 0, max: 99_999_999 }).map((n) => `+9198${String(n).padStart(8, '0')}`),
    fc.integer({ min: 0, max: 99_999_999 }).map((n) => `9198${String(n).padStart(8, '0')}`),
    fc.stringMatching(/^\+?\d{0,17}$/),
    fc.constantFrom(
      '+0',
      '+',
      ` ${exampleNumbers.india} `,
      '+91 80 3573 7458',
      `${exampleNumbers.india}\u0000`,
    ),
  );

const interactiveObject = (): fc.Arbitrary<unknown> =>
  fc.oneof(
    fc.record(
      {
        type: fc.constantFrom('call_permission_reply', 'button_reply', 'interactive', 'x'),
        call_permission_reply: fc.oneof(
          fc.record(
            {
              response: fc.oneof(fc.constantFrom('accept', 'reject'), nastyString()),
              is_permanent: fc.oneof(fc.boolean(), fc.constantFrom('true', 'false', 'yes', 1)),
              expiration_timestamp: fc.oneof(
                fc.integer({ min: 1_700_000_000, max: 2_100_000_000 }),
                fc.constantFrom(1_900_000_000_000, -1, 0, 1.5, '1900000000', 'soon', 1e308),
              ),
              response_source: fc.oneof(fc.constantFrom('user_action', 'automatic'), nastyString()),
            },
            { requiredKeys: [] },
          ),
          fc.constantFrom(null, 'accept', [], 42),
        ),
      },
      { requiredKeys: [] },
    ),
    // Meta's whole message, nested to any depth.
    fc
      .nat({ max: 3_000 })
      .map((depth) =>
        JSON.parse(
          `${'{"interactive":'.repeat(depth)}{"type":"call_permission_reply"}${'}'.repeat(depth)}`,
        ),
      ),
  );

const uuid = () =>
  fc.oneof(fc.uuid(), fc.constantFrom('00000000-0000-4000-8000-000000000000', 'not-a-uuid'));

/** What a field of the route may hold: right values, wrong values, other types (JSON only). */
const fieldValues: Record<string, () => fc.Arbitrary<unknown>> = {
  From: phoneNumber,
  To: phoneNumber,
  from: phoneNumber,
  to: phoneNumber,
  CallUUID: uuid,
  MessageUUID: uuid,
  Interactive: () =>
    fc.oneof(
      interactiveObject(),
      interactiveObject().map((v) => JSON.stringify(v)),
    ),
  interactive: interactiveObject,
  Type: () => fc.constantFrom('whatsapp', 'sms'),
  ContentType: () => fc.constantFrom('text', 'interactive', 'unknown', 'button'),
  Status: () => fc.constantFrom('delivered', 'read', 'failed'),
  Direction: () => fc.constantFrom('inbound', 'outbound'),
  CallStatus: () => fc.constantFrom('ringing', 'in-progress', 'completed'),
  Digits: () => fc.oneof(fc.stringMatching(/^[0-9#*]{0,3}$/), nastyString()),
  DialStatus: () =>
    fc.oneof(
      fc.constantFrom('completed', 'no-answer', 'busy', 'timeout', 'failed', 'COMPLETED'),
      nastyString(),
    ),
  RecordingID: uuid,
  Duration: () => fc.oneof(fc.nat().map(String), fc.constantFrom('-1', '1.5', '99999999', '')),
  HangupCause: () => fc.constantFrom('NORMAL_CLEARING', 'USER_BUSY', ''),
  HangupCauseName: () => fc.constantFrom('Normal Hangup', 'x'.repeat(101), ''),
  status: () =>
    fc.oneof(
      fc.constantFrom('temporary', 'permanent', 'rejected', 'revoked', 'none'),
      nastyString(),
    ),
  notAfter: () =>
    fc.oneof(
      fc.constantFrom('2099-01-01T00:00:00Z', '2000-01-01T00:00:00Z', '2026-12-09T18:00:00+05:30'),
      nastyString(),
    ),
  expiresAt: () =>
    fc.oneof(
      fc.constantFrom('2099-01-01T00:00:00Z', '2000-01-01T00:00:00Z', '2099-01-01', 'soon'),
      nastyString(),
    ),
  agent: () =>
    fc.oneof(
      fc.constantFrom('sip:agent@phone.plivo.com', 'sales_desk_2', exampleNumbers.india, 'sip:'),
      nastyString(),
    ),
};

/** The body fields each route reads (Plivo sends many more; some of those are listed too). */
export const bodyFields: Record<HttpFunctionName, readonly string[]> = {
  health: ['status'],
  'permission-reply': [
    'From',
    'To',
    'Type',
    'ContentType',
    'MessageUUID',
    'Interactive',
    'interactive',
    'Status',
    'entry',
    'field',
    'value',
  ],
  answer: [
    'CallUUID',
    'From',
    'To',
    'Direction',
    'CallStatus',
    'Digits',
    'DialStatus',
    'RecordingID',
  ],
  hangup: ['CallUUID', 'To', 'Duration', 'HangupCause', 'HangupCauseName', 'From'],
  'dial-status': ['DialStatus', 'CallUUID', 'From', 'To'],
  'place-call': ['from', 'to', 'agent'],
  'permission-state': ['from', 'to'],
  'permission-request': ['from', 'to'],
  'permission-correction': ['status', 'expiresAt'],
  // Reads no body: its call id is in the path.
  'call-log': ['callId'],
  'call-intents': ['from', 'to', 'agent', 'notAfter'],
  // Reads no body: its business number is in the path.
  'pause-lift': ['business'],
};

/** Query parameters each route reads (callgate puts them in the URLs it gives Plivo). */
export const queryFields: Record<HttpFunctionName, Record<string, () => fc.Arbitrary<string>>> = {
  health: {},
  'permission-reply': {},
  answer: {
    step: () => fc.oneof(fc.constantFrom('menu', 'dial', 'voicemail', 'nope'), nastyString()),
    attempt: () => fc.oneof(fc.nat({ max: 7 }).map(String), fc.constantFrom('-1', '1e3', '')),
    at: () =>
      fc.oneof(
        fc.constantFrom('action', 'noAnswer', 'closed', 'menu.noInput', 'menu.1', 'menu.3'),
        nastyString(),
      ),
    agent: () => fc.oneof(fc.constantFrom('all', '0', '1', '19', '20', '-1'), nastyString()),
    call: () => fc.oneof(fc.uuid(), nastyString()),
  },
  hangup: { call: () => fc.oneof(fc.uuid(), nastyString()) },
  'dial-status': { call: () => fc.oneof(fc.uuid(), nastyString()) },
  'place-call': {},
  'permission-state': {},
  'permission-request': {},
  'permission-correction': {},
  'call-log': {},
  'call-intents': {},
  'pause-lift': {},
};

const valueFor = (field: string): fc.Arbitrary<unknown> => fieldValues[field]?.() ?? nastyString();

/** A string value for a form field. */
export const formValueFor = (field: string): fc.Arbitrary<string> =>
  valueFor(field).map((v) => (typeof v === 'string' ? v : JSON.stringify(v)));

/**
 * Structured params for a route: a subset of its fields with plausible values, sometimes a field
 * repeated; `any` mixes in values of every JSON type (for JSON bodies).
 */
export const routeParams = (fn: HttpFunctionName, kind: 'form' | 'json') =>
  fc
    .array(
      fc
        .constantFrom(...bodyFields[fn])
        .chain((field) =>
          fc.tuple(
            fc.constant(field),
            kind === 'form'
              ? formValueFor(field)
              : fc.oneof(
                  { weight: 4, arbitrary: valueFor(field) },
                  { weight: 1, arbitrary: fc.jsonValue({ maxDepth: 2 }) },
                ),
          ),
        ),
      { maxLength: bodyFields[fn].length + 2 },
    )
    .map((entries) => entries as Array<[string, unknown]>);

/** A query for a route: some of its parameters, sometimes none. */
export const routeQuery = (fn: HttpFunctionName): fc.Arbitrary<Record<string, string>> => {
  const fields = queryFields[fn];
  const names = Object.keys(fields);
  if (names.length === 0) return fc.constant({});
  return fc.record(
    Object.fromEntries(names.map((name) => [name, (fields[name] as () => fc.Arbitrary<string>)()])),
    { requiredKeys: [] },
  ) as fc.Arbitrary<Record<string, string>>;
};
