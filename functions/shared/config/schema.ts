import * as z from 'zod';
import { accountSettings } from '../rules/calls-per-second.js';
import { concurrencySettings } from '../rules/concurrency.js';
import { countrySettings } from '../rules/countries.js';
import { dailyCallSettings } from '../rules/daily-calls.js';
import { missedCallSettings } from '../rules/missed-calls.js';
import { permissionSettings } from '../rules/permission.js';
import { permissionRequestSettings } from '../rules/permission-requests.js';
import { agentSchema } from './agent.js';
import { callFlowSchema } from './call-flow.js';

const e164 = z.string().regex(/^\+[1-9]\d{6,14}$/, 'must be an E.164 number such as +918035737458');

/** Each rule's settings, with its defaults, come from the rule's own file under rules/. */
export const rulesSchema = z
  .object({
    ...countrySettings.shape,
    ...permissionSettings.shape,
    ...permissionRequestSettings.shape,
    ...dailyCallSettings.shape,
    ...missedCallSettings.shape,
    ...concurrencySettings.shape,
  })
  .prefault({});

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
    account: accountSettings,
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

/** The configured business number `e164` names, if any. */
export const configuredNumber = (
  config: Config,
  e164: string | undefined,
): BusinessNumber | undefined =>
  e164 === undefined ? undefined : config.numbers.find((n) => n.number === e164);
