import * as z from 'zod';
import type { RouteContract } from './contract.js';
import { presetInForceResponse } from './permissions.js';

export const healthResponse = z.strictObject({
  status: z.literal('ok'),
  businessNumbers: z.number().int().min(1),
  time: z.iso.datetime(),
  preset: presetInForceResponse.meta({
    description: 'The limits in force: their preset and the settings written over it.',
  }),
});

export const healthRoute: RouteContract = {
  summary: 'Liveness',
  description: 'The function runs, its configuration loaded, and the limits it enforces.',
  responses: { 200: { description: 'Up.', schema: healthResponse } },
  errors: ['internal_error'],
  examples: [
    {
      name: 'health',
      summary: 'Up',
      request: {},
      status: 200,
      response: {
        status: 'ok',
        businessNumbers: 3,
        time: '2026-12-09T10:00:00.000Z',
        preset: {
          name: 'plivo-page',
          source: "Plivo's WhatsApp Calling guide, as read when callgate was built",
          asOf: '2026-11',
          overridden: [],
        },
      },
    },
  ],
};
