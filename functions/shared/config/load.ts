import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { closest, distance } from 'fastest-levenshtein';
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

/** The schema that validates the value at `path`, through arrays, records, defaults and unions. */
const schemasAt = (schema: z.core.$ZodType, path: readonly PropertyKey[]): z.core.$ZodType[] => {
  const def = schema._zod.def as unknown as Record<string, unknown> & { type: string };
  const inner = (key: string) => def[key] as z.core.$ZodType;
  switch (def.type) {
    case 'optional':
    case 'nullable':
    case 'default':
    case 'prefault':
    case 'readonly':
      return schemasAt(inner('innerType'), path);
    case 'pipe':
      // A preprocess (rules' presets) reads its output schema; any other pipe its input.
      return schemasAt(
        inner('in')._zod.def.type === 'transform' ? inner('out') : inner('in'),
        path,
      );
    case 'union':
      return (def.options as z.core.$ZodType[]).flatMap((option) => schemasAt(option, path));
    default:
      break;
  }
  if (path.length === 0) return [schema];
  const [key, ...rest] = path;
  switch (def.type) {
    case 'object': {
      const child = (def.shape as Record<string, z.core.$ZodType>)[String(key)];
      return child ? schemasAt(child, rest) : [];
    }
    case 'array':
      return schemasAt(inner('element'), rest);
    case 'record':
      return schemasAt(inner('valueType'), rest);
    default:
      return [];
  }
};

/** Every key the object at `path` may have. */
const knownKeysAt = (path: readonly PropertyKey[]): string[] => [
  ...new Set(
    schemasAt(configSchema, path).flatMap((schema) =>
      schema._zod.def.type === 'object'
        ? Object.keys((schema._zod.def as unknown as { shape: object }).shape)
        : [],
    ),
  ),
];

/**
 * Zod says "Unrecognized key"; a person wants the key named, and the one they probably meant (a typo
 * such as `businessCallsPer24Hour` would otherwise be a mystery).
 */
const explainUnknownKeys = (issue: z.core.$ZodIssue): z.core.$ZodIssue[] => {
  if (issue.code !== 'unrecognized_keys') return [issue];
  const known = knownKeysAt(issue.path);
  return issue.keys.map((key) => {
    // A key cut short (`iteratorAge`, `lang`) or a letter off (`businessCallsPer24Hour`).
    const lower = key.toLowerCase();
    const nearest =
      known.find((k) => k.toLowerCase().startsWith(lower) || lower.startsWith(k.toLowerCase())) ??
      (known.length > 0 ? closest(key, known) : undefined);
    const near =
      nearest !== undefined &&
      (nearest.toLowerCase().startsWith(lower) ||
        lower.startsWith(nearest.toLowerCase()) ||
        distance(key, nearest) <= Math.max(2, key.length / 3));
    const hint = near
      ? `; did you mean "${nearest}"?`
      : known.length > 0
        ? `; known keys here: ${known.join(', ')}`
        : '';
    return { ...issue, path: [...issue.path, key], message: `unknown key "${key}"${hint}` };
  });
};

/** Validates parsed JSON; the error names every bad entry by its path. */
export const parseConfig = (raw: unknown, source: string): Config => {
  const result = configSchema.safeParse(raw);
  if (!result.success) {
    throw new ConfigError(
      `Invalid configuration in ${source}:\n${formatIssues(result.error.issues.flatMap(explainUnknownKeys))}`,
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
