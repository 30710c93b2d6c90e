import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type * as z from 'zod';
import { type Config, configSchema } from './schema.js';

export const exampleConfigPath = fileURLToPath(
  new URL('../../../config/callgate.example.json', import.meta.url),
);

export class ConfigError extends Error {
  override name = 'ConfigError';
}

const describePath = (path: readonly PropertyKey[]): string =>
  path.reduce<string>(
    (acc, key) =>
      typeof key === 'number' ? `${acc}[${key}]` : acc ? `${acc}.${String(key)}` : String(key),
    '',
  ) || '(root)';

export const formatIssues = (issues: readonly z.core.$ZodIssue[]): string =>
  issues.map((issue) => `  ${describePath(issue.path)}: ${issue.message}`).join('\n');

/** Validates parsed JSON; the error names every bad entry by its path. */
export const parseConfig = (raw: unknown, source: string): Config => {
  const result = configSchema.safeParse(raw);
  if (!result.success) {
    throw new ConfigError(
      `Invalid configuration in ${source}:\n${formatIssues(result.error.issues)}`,
    );
  }
  return result.data;
};

export const readConfigFile = (path: string): Config => {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (error) {
    throw new ConfigError(`Cannot read configuration ${path}: ${(error as Error).message}`);
  }
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (error) {
    throw new ConfigError(`Configuration ${path} is not valid JSON: ${(error as Error).message}`);
  }
  return parseConfig(raw, path);
};

/** The file `CALLGATE_CONFIG` names, or the repo's example. */
export const configPathFromEnv = (env: NodeJS.ProcessEnv = process.env): string =>
  env.CALLGATE_CONFIG ?? exampleConfigPath;
