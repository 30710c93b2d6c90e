import * as z from 'zod';

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

export const tamperedCursor = 'eyJwayI6IkNBTExTIn0.AAAAAAAAAAAAAAAAAAAAAA';
