import { readFileSync } from 'node:fs';
import { App, Validations } from 'aws-cdk-lib';
import { AwsSolutionsChecks } from 'cdk-nag';
import { readConfigFile } from '../functions/shared/config/load.js';
import { CallgateStack } from './stack.js';

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

/** The CDK app with the callgate stack and the cdk-nag AwsSolutions checks (run at synth). */
export const createApp = (options: CreateAppOptions): { app: App; stack: CallgateStack } => {
  const config = readConfigFile(options.configPath);
  const app = new App({
    context: { ...cdkJsonContext(), ...options.context },
    outdir: options.outdir,
  });
  const stack = new CallgateStack(app, stackName, {
    config,
    publicBaseUrl: parsePublicBaseUrl(app.node.tryGetContext('publicBaseUrl')),
    projectRoot: options.projectRoot,
  });
  // cdk-nag 3 runs as a policy-validation plugin; the Aspects API of cdk-nag 2 crashes here.
  Validations.of(app).addPlugins(new AwsSolutionsChecks(app));
  return { app, stack };
};
