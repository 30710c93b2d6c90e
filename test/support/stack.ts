import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { CfnElement } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import type { IConstruct } from 'constructs';
import { exampleConfigPath } from '../../functions/shared/config/load.js';
import { createApp } from '../../infra/callgate-app.js';
import type { CallgateStack } from '../../infra/stack.js';

// biome-ignore lint/suspicious/noExplicitAny: CloudFormation JSON is untyped.
export type Json = any;

/** Skips asset bundling: the template is what the infra tests read. */
export const noBundling = { 'aws:cdk:bundling-stacks': [] };

/** CloudFormation takes one value or a list in many places (actions, resources). */
export const asArray = <T>(value: T | T[]): T[] => (Array.isArray(value) ? value : [value]);

/** The logical id of an L2 construct's CloudFormation resource. */
export const logicalIdIn = (stack: CallgateStack, construct: IConstruct): string =>
  stack.getLogicalId(construct.node.defaultChild as CfnElement);

/** The stack for a configuration file (the example's by default), synthesized without bundling. */
export const synthesized = (configPath = exampleConfigPath) => {
  const { stack } = createApp({ configPath, context: noBundling });
  const template = Template.fromStack(stack);
  const resources: Record<string, Json> = template.toJSON().Resources;
  return { stack, template, resources };
};

/** The example configuration with an events webhook (which adds the event-webhook function), as a file. */
export const exampleWithWebhookPath = (): string => {
  const raw = JSON.parse(readFileSync(exampleConfigPath, 'utf8'));
  raw.events = {
    webhook: { url: 'https://crm.example.com/hooks/callgate', secret: 'callgate/webhook' },
  };
  const path = join(mkdtempSync(join(tmpdir(), 'callgate-webhook-config-')), 'config.json');
  writeFileSync(path, JSON.stringify(raw));
  return path;
};

/** The example configuration with `api.auth` as given (API keys for some route groups), as a file. */
export const exampleWithApiKeysPath = (
  auth: Record<string, 'iam' | 'api-key'> = { calls: 'api-key', intents: 'api-key' },
  withWebhook = false,
): string => {
  const raw = JSON.parse(
    readFileSync(withWebhook ? exampleWithWebhookPath() : exampleConfigPath, 'utf8'),
  );
  raw.api = { auth };
  const path = join(mkdtempSync(join(tmpdir(), 'callgate-api-keys-config-')), 'config.json');
  writeFileSync(path, JSON.stringify(raw));
  return path;
};
