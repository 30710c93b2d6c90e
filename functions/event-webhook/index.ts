import { SecretsProvider } from '@aws-lambda-powertools/parameters/secrets';
import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { webhookCredentials } from '../shared/events/webhook-delivery.js';
import { bundledConfig } from '../shared/lambda-deps.js';
import { lambdaObservability } from '../shared/lambda-observability.js';
import { createHandler } from './handler.js';

const webhook = bundledConfig().events.webhook;
if (!webhook) throw new Error('No events.webhook in the bundled configuration');

const observability = lambdaObservability('event-webhook');
const secrets = new SecretsProvider({
  awsSdkV3Client: observability.traced(new SecretsManagerClient({})),
});

export const handler = observability.wrap(
  createHandler({
    url: webhook.url,
    credentials: async () => {
      // Cached for 5 minutes: a rotated secret signs from then on, without a redeploy.
      const secret = await secrets.get(webhook.secret, { maxAge: 300 });
      if (typeof secret !== 'string') throw new Error('The webhook secret is not a string');
      return webhookCredentials(secret, webhook);
    },
    now: () => Date.now(),
    logger: observability.logger,
    metrics: observability.metrics,
  }),
);
