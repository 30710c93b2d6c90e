import * as z from 'zod';
import {
  anonymousExample,
  businessApiErrors,
  exampleBusiness,
  type RouteContract,
} from './contract.js';

/** `%2B`-encoded or not; `http/business-pair.ts` validates the number. */
export const numberPath = z.object({
  business: z.string().meta({ description: 'The business number, E.164 with +' }),
});

export const pauseLiftResponse = z.strictObject({
  business: z.string(),
  lifted: z.boolean().meta({ description: 'Whether a pause stood.' }),
  reason: z.string().optional().meta({ description: "Meta's reason for the pause lifted." }),
  pausedUntil: z.iso
    .datetime()
    .optional()
    .meta({ description: 'When the pause would have ended.' }),
});

export type PauseLiftResponse = z.output<typeof pauseLiftResponse>;

const path = { business: '+18765550123' };

export const pauseLiftRoute: RouteContract = {
  summary: "Lift Meta's pause of a business number",
  description:
    'An operator lifts the pause early (Meta lifted it, or it was recorded by mistake). 200 either way, so a retry is harmless; intents waiting on the pause are woken.',
  path: numberPath,
  responses: { 200: { description: 'The pause, lifted or not there.', schema: pauseLiftResponse } },
  errors: [...businessApiErrors, 'invalid_number', 'unknown_business_number'],
  examples: [
    {
      name: 'pause-lifted',
      summary: 'A number Meta paused',
      request: { path },
      status: 200,
      response: {
        business: '+18765550123',
        lifted: true,
        reason: 'RESTRICTED_BIZ_INITIATED_CALLING',
        pausedUntil: '2026-12-10T00:00:00.000Z',
      },
    },
    {
      name: 'pause-not-there',
      summary: 'A number with no pause',
      request: { path: { business: exampleBusiness } },
      status: 200,
      response: { business: exampleBusiness, lifted: false },
    },
    {
      name: 'pause-lift-bare-digits',
      summary: 'A number without +',
      request: { path: { business: exampleBusiness.slice(1) } },
      status: 400,
      response: {
        error: 'invalid_number',
        message: 'business must be E.164 with +, such as +919812345678',
      },
    },
    {
      name: 'pause-lift-unknown-business-number',
      summary: 'A business number the configuration does not have',
      request: { path: { business: '+918035737459' } },
      status: 404,
      response: {
        error: 'unknown_business_number',
        message: 'business is not a configured business number',
      },
    },
    anonymousExample('pause-lift', path),
  ],
};
