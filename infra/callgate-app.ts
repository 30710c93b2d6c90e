import { readFileSync } from 'node:fs';
import { App, Validations } from 'aws-cdk-lib';
import { AwsSolutionsChecks } from 'cdk-nag';
import { readConfigFile } from '../functions/shared/config/load.js';
import { tableDefinition } from '../functions/shared/store/table.js';
import { CallgateStack, type CallgateStackProps } from './stack.js';

export interface CreateAppOptions {
  /** The configuration file; validated here, so a bad entry stops synth before anything is built. */
  readonly configPath: string;
  /** CDK context, e.g. `{ publicBaseUrl }` or `{ 'aws:cdk:bundling-stacks': [] }` in tests. */
  readonly context?: Record<string, unknown>;
  readonly outdir?: string;
  /** Where functions/ and package-lock.json live; defaults to the repo root. */
  readonly projectRoot?: string;
}

export const stackName = 'Callgate';

/** A bad `-c` value: the user's to fix, reported without a stack trace like a ConfigError. */
export class ContextError extends Error {
  override name = 'ContextError';
}

/**
 * `publicBaseUrl` context: the custom domain Plivo calls. Plivo signs the exact URL, so a trailing
 * slash would break every signature; anything but an https origin (+ optional path) is refused.
 */
export const parsePublicBaseUrl = (value: unknown): string | undefined => {
  if (value === undefined || value === '') return undefined;
  if (typeof value !== 'string' || !/^https:\/\/[^\s/?#]+(\/[^\s?#]*)?$/.test(value)) {
    throw new ContextError(
      `Context publicBaseUrl must be an https URL such as https://calls.example.com, got ${JSON.stringify(value)}`,
    );
  }
  return value.replace(/\/+$/, '');
};

const certificateArnPattern = /^arn:aws[a-z-]*:acm:[a-z0-9-]+:\d{12}:certificate\/[A-Za-z0-9-]+$/;
const hostedZoneIdPattern = /^Z[A-Z0-9]{1,31}$/;

/**
 * `certificateArn` (and optionally `hostedZoneId` with `hostedZoneName`) context: the stack creates the
 * custom domain of `publicBaseUrl` with that certificate, and the DNS record in that zone.
 */
export const parseCustomDomain = (
  publicBaseUrl: string | undefined,
  context: (key: string) => unknown,
): CallgateStackProps['customDomain'] => {
  const text = (key: string): string | undefined => {
    const value = context(key);
    if (value === undefined || value === '') return undefined;
    if (typeof value !== 'string') {
      throw new ContextError(`Context ${key} must be a string, got ${JSON.stringify(value)}`);
    }
    return value;
  };
  const certificateArn = text('certificateArn');
  const zoneId = text('hostedZoneId');
  const zoneName = text('hostedZoneName')?.replace(/\.$/, '');
  if (!certificateArn) {
    if (zoneId || zoneName) {
      throw new ContextError('Context hostedZoneId and hostedZoneName need certificateArn');
    }
    return undefined;
  }
  if (!certificateArnPattern.test(certificateArn)) {
    throw new ContextError(
      `Context certificateArn must be an ACM certificate ARN (arn:aws:acm:<region>:<account>:certificate/<id>), got ${JSON.stringify(certificateArn)}`,
    );
  }
  if (!publicBaseUrl) {
    throw new ContextError(
      'Context certificateArn needs publicBaseUrl: the domain to create, such as https://calls.example.com',
    );
  }
  const url = new URL(publicBaseUrl);
  if (url.pathname !== '/') {
    throw new ContextError(
      `A custom domain the stack creates serves callgate at its root: publicBaseUrl must have no path, got ${publicBaseUrl}`,
    );
  }
  if (!zoneId && !zoneName) return { certificateArn };
  if (!zoneId || !zoneName || !hostedZoneIdPattern.test(zoneId)) {
    throw new ContextError(
      'Context hostedZoneId (such as Z0123456789ABCDEFGHIJ) and hostedZoneName (such as example.com) go together',
    );
  }
  if (url.hostname !== zoneName && !url.hostname.endsWith(`.${zoneName}`)) {
    throw new ContextError(`${url.hostname} is not in the hosted zone ${zoneName}`);
  }
  return { certificateArn, hostedZone: { id: zoneId, name: zoneName } };
};

/**
 * cdk.json's context: the feature flags `cdk init` sets, which the CLI passes to the app. Read here too,
 * so an app built in tests is the app `cdk synth` builds.
 */
const cdkJsonContext = (): Record<string, unknown> =>
  (
    JSON.parse(readFileSync(new URL('../cdk.json', import.meta.url), 'utf8')) as {
      context?: Record<string, unknown>;
    }
  ).context ?? {};

/**
 * `tableIndexes` context: how many of the listings' indexes to deploy, for an upgrade that adds them
 * one per deploy (CloudFormation creates one global secondary index per table update: docs/deploy.md).
 */
export const parseTableIndexes = (value: unknown): number | undefined => {
  if (value === undefined) return undefined;
  const count = Number(value);
  if (!Number.isInteger(count) || count < 0 || count > tableDefinition.indexes.length) {
    throw new ContextError(
      `Context tableIndexes must be a whole number from 0 to ${tableDefinition.indexes.length}, got ${JSON.stringify(value)}`,
    );
  }
  return count;
};

/** The CDK app with the callgate stack and the cdk-nag AwsSolutions checks (run at synth). */
export const createApp = (options: CreateAppOptions): { app: App; stack: CallgateStack } => {
  const config = readConfigFile(options.configPath);
  const app = new App({
    context: { ...cdkJsonContext(), ...options.context },
    outdir: options.outdir,
  });
  const publicBaseUrl = parsePublicBaseUrl(app.node.tryGetContext('publicBaseUrl'));
  const customDomain = parseCustomDomain(publicBaseUrl, (key) => app.node.tryGetContext(key));
  const tableIndexes = parseTableIndexes(app.node.tryGetContext('tableIndexes'));
  const stack = new CallgateStack(app, stackName, {
    config,
    publicBaseUrl,
    ...(tableIndexes === undefined ? {} : { tableIndexes }),
    ...(customDomain ? { customDomain } : {}),
    projectRoot: options.projectRoot,
  });
  // cdk-nag 3 runs as a policy-validation plugin; the Aspects API of cdk-nag 2 crashes here.
  Validations.of(app).addPlugins(new AwsSolutionsChecks(app));
  return { app, stack };
};
