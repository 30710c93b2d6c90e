import * as z from 'zod';
import type { CountrySettings } from './countries.js';
import type { DailyCallSettings } from './daily-calls.js';
import type { MissedCallSettings } from './missed-calls.js';
import type { PermissionSettings } from './permission.js';
import type { PermissionRequestSettings } from './permission-request.js';

/**
 * Meta's limits as named, dated presets: each is the values one source stated on one date. Meta changes
 * them (5 → 10 → 100 calls a day, Turkey dropped from the restricted countries) while Plivo's page
 * stayed as it was, so a configuration names the source it follows, and any setting written beside it
 * wins over the preset's value.
 */

/** The settings a preset fills: Meta's limits. The rest are callgate's own and keep their defaults. */
export type PresetValues = Pick<CountrySettings, 'restrictedCountries'> &
  Pick<PermissionSettings, 'permissionSeconds'> &
  PermissionRequestSettings &
  DailyCallSettings &
  MissedCallSettings;

export interface Preset {
  /** Where the values were read. */
  readonly source: string;
  /** When that source stated them (a month, ISO 8601). */
  readonly asOf: string;
  readonly values: PresetValues;
}

const week = 7 * 24 * 3600;

/** What both sources agree on: the request limits, the permission's length, the missed-call steps. */
const sharedValues = {
  permissionSeconds: week,
  permissionRequests: { per24Hours: 1, per7Days: 2 },
  missedCalls: { warnAt: 2, revokeAt: 4 },
} satisfies Partial<PresetValues>;

export const presets = {
  'plivo-page': {
    source: "Plivo's WhatsApp Calling guide, as read when callgate was built",
    asOf: '2026-11',
    values: {
      ...sharedValues,
      businessCallsPer24Hours: 5,
      businessCallsCounted: 'dialed',
      restrictedCountries: ['US', 'CA', 'TR', 'EG', 'NG', 'VN'],
    },
  },
  'meta-2026-06': {
    source: "Meta's WhatsApp Cloud API calling pages, updated June 2026",
    asOf: '2026-06',
    values: {
      ...sharedValues,
      businessCallsPer24Hours: 100,
      businessCallsCounted: 'connected',
      restrictedCountries: ['US', 'CA', 'EG', 'VN', 'NG'],
    },
  },
} satisfies Record<string, Preset>;

export type PresetName = keyof typeof presets;

export const presetNames = Object.keys(presets) as [PresetName, ...PresetName[]];

/** The preset of a configuration that names none: the values callgate has always had. */
export const defaultPreset: PresetName = 'plivo-page';

const isPresetName = (name: unknown): name is PresetName =>
  typeof name === 'string' && Object.hasOwn(presets, name);

// Built where the configuration is validated (synth, local runs), never at a Lambda's cold start.
export const presetSettings = () =>
  z.strictObject({
    preset: z.enum(presetNames, {
      error: (issue) =>
        `unknown preset ${JSON.stringify(issue.input)}; choose one of ${presetNames.join(', ')}`,
    }),
  });

export type PresetSettings = z.infer<ReturnType<typeof presetSettings>>;

const isPlainObject = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

/**
 * The rules as written, with the named preset's values (the default preset's when none is named) in
 * every setting not written; an object setting is filled key by key, so `missedCalls: { warnAt: 3 }`
 * keeps the preset's `revokeAt`. The preset's name is written in, so the result says which applied.
 * Anything but an object is returned as it is, for the schema to refuse; so is an unknown preset's
 * name, with the default preset's values, so that the name is the one error reported.
 */
export const withPreset = (written: unknown): unknown => {
  if (written === undefined) return withPreset({});
  if (!isPlainObject(written)) return written;
  const name = written.preset === undefined ? defaultPreset : written.preset;
  const { values } = presets[isPresetName(name) ? name : defaultPreset];
  const filled: Record<string, unknown> = { ...written, preset: name };
  for (const [key, value] of Object.entries(values)) {
    const own = written[key];
    filled[key] =
      own === undefined
        ? value
        : isPlainObject(own) && isPlainObject(value)
          ? { ...value, ...own }
          : own;
  }
  return filled;
};

export interface PresetInForce {
  readonly name: PresetName;
  readonly source: string;
  readonly asOf: string;
  /** The settings whose value in force is not the preset's (`missedCalls.warnAt`): written over it. */
  readonly overridden: readonly string[];
}

/** A list is compared as a set: the restricted countries in another order are the same. */
const sameValue = (value: unknown, presetValue: unknown): boolean =>
  Array.isArray(presetValue)
    ? (value as unknown[]).length === presetValue.length &&
      (value as unknown[]).every((item) => presetValue.includes(item))
    : value === presetValue;

/** The paths of `values`' leaves whose value in `rules` (of the same shape) differs. */
const differences = (rules: unknown, values: unknown, path: string): string[] =>
  isPlainObject(values)
    ? Object.entries(values).flatMap(([key, value]) =>
        differences((rules as Record<string, unknown>)[key], value, path ? `${path}.${key}` : key),
      )
    : sameValue(rules, values)
      ? []
      : [path];

/** Which preset the rules follow, from which source and date, and where they depart from it. */
export const presetInForce = (rules: PresetSettings & PresetValues): PresetInForce => {
  const { source, asOf, values } = presets[rules.preset];
  return { name: rules.preset, source, asOf, overridden: differences(rules, values, '') };
};
