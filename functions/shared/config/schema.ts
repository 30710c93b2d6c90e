import * as z from 'zod';
import { apiAuthSettings } from '../rules/api-keys.js';
import { accountSettings } from '../rules/calls-per-second.js';
import { concurrencySettings } from '../rules/concurrency.js';
import { countrySettings } from '../rules/countries.js';
import { dailyCallSettings } from '../rules/daily-calls.js';
import { intentSettings } from '../rules/intent.js';
import { missedCallSettings } from '../rules/missed-calls.js';
import { permissionSettings } from '../rules/permission.js';
import { permissionRequestSettings } from '../rules/permission-request.js';
import { presetSettings, withPreset } from '../rules/presets.js';
import { agentSchema } from './agent.js';
import { callFlowSchema, weeklyHoursSchema } from './call-flow.js';
import {
  templatePlaceholder,
  templateVariableName,
  templateVariablesSchema,
} from './template-variables.js';

const e164 = z.string().regex(/^\+[1-9]\d{6,14}$/, 'must be an E.164 number such as +918035737458');

/**
 * Each rule's settings come from the rule's own file under rules/: Meta's limits from the preset the
 * rules name (rules/presets.ts), filled in before the settings are read so that a setting written wins
 * and none is hidden by a default; callgate's own settings carry their defaults.
 */
export const rulesSchema = z.preprocess(
  withPreset,
  z.strictObject({
    ...presetSettings().shape,
    ...countrySettings().shape,
    ...permissionSettings().shape,
    ...permissionRequestSettings().shape,
    ...dailyCallSettings().shape,
    ...missedCallSettings().shape,
    ...concurrencySettings().shape,
    ...intentSettings().shape,
  }),
);

const placeholderText = z
  .string()
  .min(1)
  .max(1024)
  .refine(
    (text) => !/\{\{|\}\}/.test(text.replace(templatePlaceholder, '')),
    'placeholders are written {{name}}, the name in a-z, 0-9 and _, not starting with a digit',
  );

/** Meta's template parameters; only `text` may hold placeholders, the others are passed on as written. */
const templateParameter = z.discriminatedUnion('type', [
  z.strictObject({
    type: z.literal('text'),
    text: placeholderText,
    /** Meta's named parameter: the template's own `{{name}}`. */
    parameter_name: z.string().regex(templateVariableName).optional(),
  }),
  z.looseObject({
    type: z.enum([
      'currency',
      'date_time',
      'image',
      'video',
      'document',
      'payload',
      'coupon_code',
      'action',
      'location',
    ]),
  }),
]);

/** Meta's template components as sent in a template message (not as defined at template creation). */
const templateComponent = z.strictObject({
  type: z.enum(['header', 'body', 'button']),
  sub_type: z
    .string()
    .regex(/^[a-z_]{1,32}$/)
    .optional(),
  index: z.union([z.string().regex(/^\d$/), z.int().min(0).max(9)]).optional(),
  parameters: z.array(templateParameter).min(1).max(20),
});

/** Meta's interactive message body: at most 1,024 characters. */
export const interactiveBody = z.string().trim().min(1).max(1024);

export const permissionTemplateSchema = z.strictObject({
  name: z.string().min(1),
  language: z.string().min(2),
  /** Filled from the request's `variables`, then these defaults, when the request is sent. */
  components: z.array(templateComponent).max(10).optional(),
  variables: templateVariablesSchema.optional(),
});

export const businessNumberSchema = z.strictObject({
  number: e164,
  /**
   * Meta's phone_number_id of the number, where known: an account update that names the number only by
   * that id is matched with it (rules/number-pause.ts `restrictedNumbers`).
   */
  phoneNumberId: z
    .string()
    .regex(/^\d{1,30}$/, "phoneNumberId must be the digits of Meta's phone_number_id")
    .optional(),
  /** Default agent for business-initiated calls: the first leg rings it, then it is bridged to the user. */
  agent: agentSchema,
  callbackPermissionOnInbound: z.boolean().default(true),
  permissionTemplate: permissionTemplateSchema,
  /**
   * Inside the user's customer-service window (24 h from their last message or call), a permission
   * request goes as Meta's free-form interactive message instead of the template, unless turned off.
   */
  freeFormPermissionRequest: z
    .strictObject({
      enabled: z.boolean().default(true),
      /** The interactive message's body, unless the request gives one; none when absent (Meta: optional). */
      body: interactiveBody.optional(),
    })
    .prefault({}),
  inbound: callFlowSchema,
  outbound: z
    .strictObject({
      /** When business-initiated calls placed by call intents may start; any time when absent. */
      hours: weeklyHoursSchema.optional(),
    })
    .optional(),
});

/** The retention periods CloudWatch Logs allows (CDK's RetentionDays, without "never expire"). */
export const logRetentionDays = [
  1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288,
  3653,
] as const;

/** A count per 5 minutes that raises an alarm when reached. */
const alarmCount = (fallback: number) => z.number().int().min(1).max(1_000_000).default(fallback);

/**
 * How callgate is operated on AWS: read by the CDK stack alone (infra/operations.ts), never by a
 * handler. Each alarm fires when its count in 5 minutes reaches the threshold
 * (docs/operations.md).
 */
export const operationsSchema = z
  .strictObject({
    /** Where alarms are e-mailed (an SNS e-mail subscription, confirmed once by its recipient). */
    alarmEmail: z.email('operations.alarmEmail must be an e-mail address').optional(),
    /** How long every function's and the API's logs are kept, in days. */
    logRetentionDays: z.literal(logRetentionDays).default(30),
    alarms: z
      .strictObject({
        /** 5xx (or 429) answers to Plivo's webhooks. */
        plivoRoute5xxPer5Minutes: alarmCount(1),
        /** Failed invocations of any one function. */
        functionErrorsPer5Minutes: alarmCount(1),
        /** Throttled reads and writes on the table. */
        tableThrottlesPer5Minutes: alarmCount(1),
        /** How old the oldest stream record a stream function is reading may grow, in seconds. */
        iteratorAgeSeconds: z.number().int().min(1).max(86_400).default(60),
        /** Failed Plivo REST API requests, all functions together. */
        plivoApiErrorsPer5Minutes: alarmCount(5),
        /** Inbound calls turned away because their number was at its simultaneous-call limit. */
        capacityRefusalsPer5Minutes: alarmCount(1),
        /** Business numbers Meta paused (an account update): every pause is worth a look. */
        numberPausesPer5Minutes: alarmCount(1),
        /**
         * How old the oldest envelope on its way to the events webhook may grow, in seconds: a receiver
         * falling behind is seen well before its day of retries ends in the dead-letter queue.
         */
        webhookBacklogAgeSeconds: z.number().int().min(60).max(86_400).default(3600),
      })
      .prefault({}),
  })
  .prefault({});

export const configSchema = z
  .strictObject({
    /** Where an editor finds the JSON Schema of this file (config/callgate.schema.json); not read. */
    $schema: z.string().optional(),
    account: accountSettings(),
    numbers: z.array(businessNumberSchema).min(1, 'configure at least one business number'),
    rules: rulesSchema,
    events: z
      .strictObject({
        /**
         * One HTTPS endpoint that receives every event (the envelope as JSON), signed with Standard
         * Webhooks headers by the event-webhook function (docs/decisions/0011-signed-webhooks.md).
         */
        webhook: z
          .strictObject({
            url: z.url({ protocol: /^https$/, error: 'events.webhook.url must be an https URL' }),
            /** Name or full ARN of the Secrets Manager secret, read at run time. */
            secret: z.string().min(1),
            /**
             * The customer-managed KMS key the secret is encrypted with, when it is not AWS's own: the
             * function may decrypt with it, through Secrets Manager alone.
             */
            kmsKeyArn: z
              .string()
              .regex(/^arn:aws[a-z-]*:kms:[a-z0-9-]+:\d{12}:key\/[0-9a-zA-Z-]+$/, {
                error:
                  'events.webhook.kmsKeyArn must be a KMS key ARN (arn:aws:kms:<region>:<account>:key/<id>)',
              })
              .optional(),
            /** The JSON key of the `whsec_` signing secret; without it, the whole secret string. */
            signingSecretField: z.string().min(1).optional(),
            /** A header sent with every delivery too, its value the secret's JSON key `secretField`. */
            authHeader: z
              .strictObject({ name: z.string().min(1), secretField: z.string().min(1) })
              .optional(),
            /** At most this many deliveries in flight at once (the queue's maximum concurrency). */
            concurrency: z.number().int().min(2).max(1000).default(5),
          })
          .refine((webhook) => !webhook.authHeader || webhook.signingSecretField, {
            error:
              'events.webhook.authHeader needs signingSecretField: both values live in one JSON secret',
            path: ['signingSecretField'],
          })
          .optional(),
        /**
         * Days the bus's archive keeps every event, for a consumer to replay a time range it missed
         * (docs/events.md). 0: no archive (EventBridge reads 0 as "forever", which callgate never asks).
         */
        archiveRetentionDays: z.number().int().min(0).max(3650).default(30),
      })
      .prefault({}),
    plivo: z
      .strictObject({
        /**
         * Accept V2 signatures on the message webhook (docs/decisions/0004-signature-policy.md). V2 signs
         * no body, so each nonce is used once; turn it off once Plivo is known to sign with V3 there.
         */
        acceptV2Signatures: z.boolean().default(true),
      })
      .prefault({}),
    /** How the business's systems authenticate on `/v1`, per route group (rules/api-keys.ts). */
    api: apiAuthSettings(),
    operations: operationsSchema,
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
export type PermissionTemplate = z.infer<typeof permissionTemplateSchema>;
export type OperationsSettings = z.infer<typeof operationsSchema>;
