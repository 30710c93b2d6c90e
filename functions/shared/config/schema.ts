import * as z from 'zod';
import { agentSchema } from './agent.js';
import { callFlowSchema } from './call-flow.js';

const e164 = z.string().regex(/^\+[1-9]\d{6,14}$/, 'must be an E.164 number such as +918035737458');

const seconds = z.number().int().positive();

export const rulesSchema = z
  .object({
    /** ISO 3166 alpha-2 regions whose business numbers may not place business-initiated calls. */
    restrictedCountries: z
      .array(z.string().regex(/^[A-Z]{2}$/, 'must be an ISO 3166 alpha-2 code such as US'))
      .default(['US', 'CA', 'TR', 'EG', 'NG', 'VN']),
    permissionSeconds: seconds.default(7 * 24 * 3600),
    /** How long a rejection, a revocation or an unanswered request stands. */
    refusalStandsSeconds: seconds.default(7 * 24 * 3600),
    permissionRequests: z
      .object({
        per24Hours: z.number().int().min(1).max(10).default(1),
        per7Days: z.number().int().min(1).max(10).default(2),
      })
      .default({ per24Hours: 1, per7Days: 2 }),
    businessCallsPer24Hours: z.number().int().min(1).max(100).default(5),
    missedCalls: z
      .object({
        warnAt: z.number().int().min(1).default(2),
        revokeAt: z.number().int().min(1).default(4),
      })
      .refine((m) => m.warnAt < m.revokeAt, 'warnAt must be below revokeAt')
      .default({ warnAt: 2, revokeAt: 4 }),
    simultaneousCallsPerNumber: z.number().int().min(1).max(1000).default(1000),
    /** The longest bridged call (Plivo `timeLimit`); a lost hangup's lease lapses an hour after that. */
    maxCallSeconds: seconds.default(4 * 3600),
  })
  .default({
    restrictedCountries: ['US', 'CA', 'TR', 'EG', 'NG', 'VN'],
    permissionSeconds: 7 * 24 * 3600,
    refusalStandsSeconds: 7 * 24 * 3600,
    permissionRequests: { per24Hours: 1, per7Days: 2 },
    businessCallsPer24Hours: 5,
    missedCalls: { warnAt: 2, revokeAt: 4 },
    simultaneousCallsPerNumber: 1000,
    maxCallSeconds: 4 * 3600,
  });

export const businessNumberSchema = z.object({
  number: e164,
  /** Default agent for business-initiated calls: the first leg rings it, then it is bridged to the user. */
  agent: agentSchema,
  callbackPermissionOnInbound: z.boolean().default(true),
  permissionTemplate: z.object({
    name: z.string().min(1),
    language: z.string().min(2),
  }),
  inbound: callFlowSchema,
});

export const configSchema = z
  .object({
    account: z.object({ callsPerSecond: z.number().int().min(1).max(1000) }),
    numbers: z.array(businessNumberSchema).min(1, 'configure at least one business number'),
    rules: rulesSchema,
  })
  .superRefine((config, ctx) => {
    const seen = new Set<string>();
    config.numbers.forEach((n, i) => {
      if (seen.has(n.number)) {
        ctx.addIssue({
          code: 'custom',
          path: ['numbers', i, 'number'],
          message: `${n.number} is configured twice`,
        });
      }
      seen.add(n.number);
    });
  });

export type Config = z.infer<typeof configSchema>;
export type Rules = z.infer<typeof rulesSchema>;
export type BusinessNumber = z.infer<typeof businessNumberSchema>;
