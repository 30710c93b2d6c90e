import { fromEnv } from '@aws-sdk/credential-provider-env';

/**
 * The AWS SDK clients' default credential chain as the Lambda bundles have it (infra/function-construct.ts
 * puts this module in place of @aws-sdk/credential-provider-node). Lambda puts the execution role's
 * credentials in AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY and AWS_SESSION_TOKEN, the first link of that
 * chain, so the SSO, ini-file, process, web-identity and instance-metadata providers (and the STS and
 * SSO clients they bring) would be bundled and parsed at every cold start for nothing. Tests and
 * `npm start` run unbundled and keep the full chain.
 */
export const defaultProvider = fromEnv;
