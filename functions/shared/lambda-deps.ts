import { SecretsProvider } from '@aws-lambda-powertools/parameters/secrets';
import { SchedulerClient } from '@aws-sdk/client-scheduler';
import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import * as z from 'zod';
import { systemClock } from './clock.js';
import type { Config } from './config/schema.js';
import type { Deps } from './deps.js';
import type { LambdaObservability } from './lambda-observability.js';
import type { SchedulerOptions } from './scheduling/eventbridge-scheduler.js';
import { createDb, type Db } from './store/client.js';
import { createPlivoRest, type PlivoCredentials } from './telephony/plivo-rest.js';

/**
 * Injected by the CDK bundler (infra/function-construct.ts): the configuration as `cdk synth` validated
 * it, defaults filled in. Trusted as it is: validating it again would cost every cold start zod's parse
 * of the whole configuration and its time-zone checks, and load the configuration schemas, for a result
 * known at build time. Unbundled runs (npm start, tests) read and validate a file (config/load.ts).
 */
declare const __CALLGATE_CONFIG__: string | undefined;

export const bundledConfig = (): Config => {
  if (typeof __CALLGATE_CONFIG__ !== 'string') {
    throw new Error('No bundled configuration: a Lambda entry runs only as built by cdk synth');
  }
  return JSON.parse(__CALLGATE_CONFIG__) as Config;
};

const credentialsSchema = z.object({ authId: z.string().min(1), authToken: z.string().min(1) });

const requireEnv = (name: string): string => {
  const value = process.env[name];
  if (!value) throw new Error(`${name} is not set`);
  return value;
};

/** The Lambda's dependencies, built once per cold start; its clients traced. */
export const lambdaDeps = ({ logger, metrics, traced }: LambdaObservability): Deps => {
  const config = bundledConfig();
  const secrets = new SecretsProvider({ awsSdkV3Client: traced(new SecretsManagerClient({})) });
  const credentials = async (): Promise<PlivoCredentials> => {
    // Cached for 5 minutes: a rotated token is picked up without a redeploy.
    const secret = await secrets.get(requireEnv('PLIVO_SECRET_ARN'), {
      transform: 'json',
      maxAge: 300,
    });
    const parsed = credentialsSchema.safeParse(secret);
    if (!parsed.success) throw new Error('The Plivo secret must be JSON {"authId","authToken"}');
    return parsed.data;
  };
  return {
    config,
    clock: systemClock,
    db: createDb({ tableName: requireEnv('TABLE_NAME'), metrics, instrument: traced }),
    telephony: createPlivoRest({
      credentials,
      metrics,
      ...(process.env.PLIVO_API_URL ? { baseUrl: process.env.PLIVO_API_URL } : {}),
    }),
    plivoAuthToken: async () => (await credentials()).authToken,
    // Only the listing functions are given the secret (infra/functions.ts); read once a container.
    listingCursorKey: async () => {
      const key = await secrets.get(requireEnv('CURSOR_SECRET_ARN'), { maxAge: 3600 });
      if (typeof key !== 'string' || key.length < 32) {
        throw new Error('The listing cursor secret must be a string of 32 characters or more');
      }
      return key;
    },
    publicBaseUrl: requireEnv('PUBLIC_BASE_URL').replace(/\/$/, ''),
    logger,
    metrics,
  };
};

/**
 * What a function whose one-time schedules invoke itself builds them from: the stack's Scheduler
 * variables, read at the cold start, and the function's own ARN, known from the first invocation's
 * context; built once.
 */
export const selfSchedules = <Schedules>(
  { traced }: LambdaObservability,
  build: (options: SchedulerOptions) => Schedules,
): ((functionArn: string) => Schedules) => {
  const groupName = requireEnv('SCHEDULE_GROUP_NAME');
  const roleArn = requireEnv('SCHEDULER_ROLE_ARN');
  const deadLetterArn = requireEnv('WAKEUP_DEAD_LETTER_ARN');
  let schedules: Schedules | undefined;
  return (functionArn) => {
    schedules ??= build({
      groupName,
      targetArn: functionArn,
      roleArn,
      deadLetterArn,
      client: traced(new SchedulerClient({})),
    });
    return schedules;
  };
};

/** The table alone, for a function that needs nothing else of `Deps` (the API-key authorizer). */
export const lambdaTable = ({ metrics, traced }: LambdaObservability): Db =>
  createDb({ tableName: requireEnv('TABLE_NAME'), metrics, instrument: traced });
