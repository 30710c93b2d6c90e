import * as z from 'zod';
import { defaultPreset, presets } from '../rules/presets.js';
import { configSchema, rulesSchema } from './schema.js';

/** What `withPreset` fills in before the rules are read (the preset, its values). */
const presetFilled = new Set(['preset', ...Object.keys(presets[defaultPreset].values)]);

/** A key whose schema takes it absent (a preset fills it, a default stands) is optional in the file. */
const optionalWhenAbsent = (schema: z.core.$ZodType, required: unknown): unknown => {
  if (!(schema instanceof z.ZodObject) || !Array.isArray(required)) return required;
  const shape = schema.shape as Record<string, z.ZodType>;
  return required.filter((key) => !shape[key]?.safeParse(undefined).success);
};

/**
 * The configuration file's JSON Schema, for editors and for checking a file without running callgate:
 * zod's own rendering of `configSchema` as a file is written. The refinements that need code (a
 * number's plan, an agent's target, a flow's steps) are left to the loader (`npm run synth`).
 */
export const configJsonSchema = (): Record<string, unknown> => ({
  ...z.toJSONSchema(configSchema, {
    target: 'draft-2020-12',
    io: 'input',
    unrepresentable: 'any',
    override: ({ zodSchema, jsonSchema }) => {
      const required = optionalWhenAbsent(zodSchema, jsonSchema.required);
      if (!Array.isArray(required)) return;
      jsonSchema.required =
        zodSchema === rulesSchema
          ? required.filter((key: string) => !presetFilled.has(key))
          : (required as string[]);
    },
  }),
  title: 'callgate configuration',
});
