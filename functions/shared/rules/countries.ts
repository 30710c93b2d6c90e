import * as z from 'zod';

/** Meta's list of countries whose business numbers may not place business-initiated calls (its values: rules/presets.ts). */
// Built where the configuration is validated (synth, local runs), never at a Lambda's cold start.
export const countrySettings = () =>
  z.strictObject({
    /** ISO 3166 alpha-2 regions, matched by numbering plan (+1 876 is Jamaica, not the US). */
    restrictedCountries: z.array(
      z.string().regex(/^[A-Z]{2}$/, 'must be an ISO 3166 alpha-2 code such as US'),
    ),
  });

export type CountrySettings = z.infer<ReturnType<typeof countrySettings>>;

/**
 * Whether the business number's country (by numbering plan, so +1 876 is Jamaica and +1 212 the US)
 * may not place business-initiated calls. A number no plan assigns to a country is refused too: Meta's
 * restriction could not be checked for it.
 */
export const isCountryRestricted = (
  country: string | undefined,
  settings: CountrySettings,
): boolean => country === undefined || settings.restrictedCountries.includes(country);
