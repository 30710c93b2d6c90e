import * as z from 'zod';
import { type Example, exampleBusiness } from './contract.js';

/** What a listing's query shares (GET /v1/calls, GET /v1/call-intents). */

export const defaultPageLimit = 25;
export const maxPageLimit = 100;

export const limitSchema = z
  .string()
  .regex(/^\d{1,3}$/, `limit must be a whole number from 1 to ${maxPageLimit}`)
  .transform(Number)
  .pipe(
    z
      .number()
      .min(1, `limit must be a whole number from 1 to ${maxPageLimit}`)
      .max(maxPageLimit, `limit must be a whole number from 1 to ${maxPageLimit}`),
  )
  .default(defaultPageLimit)
  .meta({ description: `Entries a page, 1 to ${maxPageLimit} (default ${defaultPageLimit}).` });

/** Opaque; its checks are the store's (store/listing.ts), which answer `invalid_cursor`. */
export const cursorSchema = z
  .string()
  .min(1, 'cursor must not be empty')
  .optional()
  .meta({ description: "The page before's `cursor`, with the same parameters." });

export const nextCursor = z
  .string()
  .optional()
  .meta({ description: 'Absent on the last page; else ask again with it as `cursor`.' });

/** A listing's refusals besides the caller's. */
export const listingErrors = [
  'invalid_request',
  'invalid_number',
  'unknown_business_number',
  'invalid_cursor',
] as const;

const tamperedCursor = 'eyJwayI6IkNBTExTIn0.AAAAAAAAAAAAAAAAAAAAAA';

/** The refusals both listings answer alike, as examples named after the listing. */
export const listingRefusalExamples = (prefix: string): Example[] => [
  {
    name: `${prefix}-bare-digits`,
    summary: 'A business number without +',
    request: { query: { business: exampleBusiness.slice(1) } },
    status: 400,
    response: {
      error: 'invalid_number',
      message: 'business must be E.164 with +, such as +918035737458',
    },
  },
  {
    name: `${prefix}-unknown-business-number`,
    summary: 'A business number the configuration does not have',
    request: { query: { business: '+918035737459' } },
    status: 404,
    response: {
      error: 'unknown_business_number',
      message: 'business is not a configured business number',
    },
  },
  {
    name: `${prefix}-tampered-cursor`,
    summary: 'A cursor this listing did not give',
    request: { query: { business: exampleBusiness, cursor: tamperedCursor } },
    status: 400,
    response: {
      error: 'invalid_cursor',
      message:
        'cursor is not one this listing gave: ask again without it, with the same parameters',
    },
  },
];
