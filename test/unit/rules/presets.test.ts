import { describe, expect, it } from 'vitest';
import { rulesSchema } from '../../../functions/shared/config/schema.js';
import {
  defaultPreset,
  presetInForce,
  presetNames,
  presets,
  withPreset,
} from '../../../functions/shared/rules/presets.js';

const week = 7 * 24 * 3600;

describe('the presets, as their sources state them', () => {
  // The facts each preset pins: change one only with its source and date.
  it("plivo-page: Plivo's guide, 5 dialed calls a day, Turkey restricted", () => {
    expect(presets['plivo-page']).toEqual({
      source: expect.stringMatching(/^Plivo's WhatsApp Calling guide/),
      asOf: '2026-11',
      values: {
        restrictedCountries: ['US', 'CA', 'TR', 'EG', 'NG', 'VN'],
        permissionSeconds: week,
        permissionRequests: { per24Hours: 1, per7Days: 2 },
        businessCallsPer24Hours: 5,
        businessCallsCounted: 'dialed',
        missedCalls: { warnAt: 2, revokeAt: 4 },
      },
    });
  });

  it("meta-2026-06: Meta's calling pages of June 2026, 100 connected calls a day, Turkey no longer restricted", () => {
    expect(presets['meta-2026-06']).toEqual({
      source: expect.stringMatching(/^Meta's WhatsApp Cloud API calling pages, updated June 2026/),
      asOf: '2026-06',
      values: {
        restrictedCountries: ['US', 'CA', 'EG', 'VN', 'NG'],
        permissionSeconds: week,
        permissionRequests: { per24Hours: 1, per7Days: 2 },
        businessCallsPer24Hours: 100,
        businessCallsCounted: 'connected',
        missedCalls: { warnAt: 2, revokeAt: 4 },
      },
    });
  });

  it('names exactly these presets, and each one passes the rules schema as it is', () => {
    expect(presetNames).toEqual(['plivo-page', 'meta-2026-06']);
    for (const name of presetNames) {
      expect(rulesSchema.parse({ preset: name })).toMatchObject({
        preset: name,
        ...presets[name].values,
      });
    }
  });
});

describe('withPreset', () => {
  it('fills every setting not written from the named preset, and writes the name in', () => {
    expect(withPreset({ preset: 'meta-2026-06', maxCallSeconds: 60 })).toEqual({
      preset: 'meta-2026-06',
      maxCallSeconds: 60,
      ...presets['meta-2026-06'].values,
    });
  });

  it('takes the default preset when none is named, the rules absent or empty', () => {
    const filled = { preset: defaultPreset, ...presets[defaultPreset].values };
    expect(withPreset(undefined)).toEqual(filled);
    expect(withPreset({})).toEqual(filled);
  });

  it('lets a written setting win: a value, a list whole, an object key by key', () => {
    expect(
      withPreset({
        preset: 'meta-2026-06',
        businessCallsPer24Hours: 10,
        restrictedCountries: ['US'],
        missedCalls: { warnAt: 3 },
        permissionRequests: { per7Days: 5 },
      }),
    ).toEqual({
      ...presets['meta-2026-06'].values,
      preset: 'meta-2026-06',
      businessCallsPer24Hours: 10,
      restrictedCountries: ['US'],
      missedCalls: { warnAt: 3, revokeAt: 4 },
      permissionRequests: { per24Hours: 1, per7Days: 5 },
    });
  });

  it('leaves what is not an object for the schema to refuse', () => {
    expect(withPreset(5)).toBe(5);
    expect(withPreset(null)).toBeNull();
    expect(withPreset(['preset'])).toEqual(['preset']);
    expect(withPreset({ missedCalls: 3, restrictedCountries: 'TR' })).toMatchObject({
      missedCalls: 3,
      restrictedCountries: 'TR',
    });
  });

  it("keeps an unknown preset's name, with the default preset's values so only the name is wrong", () => {
    expect(withPreset({ preset: 'meta-2025' })).toEqual({
      ...presets[defaultPreset].values,
      preset: 'meta-2025',
    });
    expect(withPreset({ preset: null })).toMatchObject({ preset: null });
    // A list holding a preset's name is no name (as a property key it would read as one).
    expect(withPreset({ preset: ['meta-2026-06'] })).toEqual({
      ...presets[defaultPreset].values,
      preset: ['meta-2026-06'],
    });
  });
});

describe('the rules schema with presets', () => {
  it('resolves meta-2026-06 with an explicit setting winning over it', () => {
    expect(
      rulesSchema.parse({ preset: 'meta-2026-06', businessCallsCounted: 'dialed' }),
    ).toMatchObject({
      preset: 'meta-2026-06',
      businessCallsPer24Hours: 100,
      businessCallsCounted: 'dialed',
      restrictedCountries: presets['meta-2026-06'].values.restrictedCountries,
    });
  });

  it('refuses an unknown preset with one message naming the value and the choices', () => {
    for (const preset of ['meta-2025', null, 3]) {
      const result = rulesSchema.safeParse({ preset });
      expect(result.success).toBe(false);
      expect(result.error?.issues).toEqual([
        expect.objectContaining({
          path: ['preset'],
          message: `unknown preset ${JSON.stringify(preset)}; choose one of plivo-page, meta-2026-06`,
        }),
      ]);
    }
  });

  it('parses its own result to the same result (a bundled configuration is validated again)', () => {
    const resolved = rulesSchema.parse({ preset: 'meta-2026-06', missedCalls: { warnAt: 3 } });
    expect(rulesSchema.parse(resolved)).toEqual(resolved);
  });
});

describe('presetInForce', () => {
  const meta = presets['meta-2026-06'];

  it("names the preset, its source and date, and nothing overridden when the rules are the preset's", () => {
    expect(presetInForce(rulesSchema.parse({ preset: 'meta-2026-06' }))).toEqual({
      name: 'meta-2026-06',
      source: meta.source,
      asOf: '2026-06',
      overridden: [],
    });
  });

  it('lists each setting whose value differs from the preset, by its path', () => {
    const rules = rulesSchema.parse({
      preset: 'meta-2026-06',
      businessCallsPer24Hours: 10,
      missedCalls: { revokeAt: 6 },
      permissionRequests: { per24Hours: 2 },
      restrictedCountries: ['US', 'CA', 'EG', 'VN', 'NG', 'TR'],
      permissionSeconds: week + 1,
      businessCallsCounted: 'dialed',
      maxCallSeconds: 60,
    });
    expect([...presetInForce(rules).overridden].sort()).toEqual(
      [
        'businessCallsCounted',
        'businessCallsPer24Hours',
        'missedCalls.revokeAt',
        'permissionRequests.per24Hours',
        'permissionSeconds',
        'restrictedCountries',
      ].sort(),
    );
  });

  it('reads the restricted countries as a set: another order is the same, fewer or others are not', () => {
    const overridden = (restrictedCountries: string[]) =>
      presetInForce(rulesSchema.parse({ preset: 'meta-2026-06', restrictedCountries })).overridden;
    expect(overridden(['NG', 'VN', 'EG', 'CA', 'US'])).toEqual([]);
    expect(overridden(['US', 'CA'])).toEqual(['restrictedCountries']);
    expect(overridden(['US', 'CA', 'EG', 'VN', 'TR'])).toEqual(['restrictedCountries']);
  });

  it("counts a setting written with the preset's own value as the preset's", () => {
    expect(
      presetInForce(rulesSchema.parse({ preset: 'plivo-page', businessCallsPer24Hours: 5 })),
    ).toMatchObject({ name: 'plivo-page', asOf: '2026-11', overridden: [] });
  });
});
