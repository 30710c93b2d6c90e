import * as z from 'zod';
import { defaultPreset, presets } from '../rules/presets.js';
import { configSchema, rulesSchema } from './schema.js';

type JsonSchema = Record<string, unknown>;

const render = (
  schema: z.ZodType,
  io: 'input' | 'output',
  override?: (ctx: { zodSchema: z.core.$ZodType; jsonSchema: JsonSchema }) => void,
): JsonSchema => {
  const { $schema: _dialect, ...rest } = z.toJSONSchema(schema, {
    target: 'draft-2020-12',
    io,
    unrepresentable: 'any',
    override: (ctx) => {
      // A field checked as unknown first (to see keys a record would drop) is, as written, its pipe's
      // output: without this its schema would say nothing.
      const inner = ctx.zodSchema;
      if (io === 'input' && inner instanceof z.ZodPipe && inner.in instanceof z.ZodUnknown) {
        Object.assign(ctx.jsonSchema, render(inner.out as z.ZodType, 'output'));
      }
      override?.(ctx);
    },
  });
  return rest;
};

/** zod's JSON Schema (draft 2020-12) of `schema`, as it is sent (`input`) or answered (`output`). */
export const jsonSchemaOf = (schema: z.ZodType, io: 'input' | 'output'): JsonSchema =>
  render(schema, io);

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
export const configJsonSchema = (): JsonSchema => ({
  $schema: 'https://json-schema.org/draft/2020-12/schema',
  ...render(configSchema, 'input', ({ zodSchema, jsonSchema }) => {
    const required = optionalWhenAbsent(zodSchema, jsonSchema.required);
    if (!Array.isArray(required)) return;
    jsonSchema.required =
      zodSchema === rulesSchema
        ? required.filter((key: string) => !presetFilled.has(key))
        : (required as string[]);
  }),
  title: 'callgate configuration',
});
