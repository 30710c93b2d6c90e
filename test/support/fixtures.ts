import { type CountryCode, getExampleNumber, isValidPhoneNumber } from 'libphonenumber-js/max';
import mobileExamples from 'libphonenumber-js/mobile/examples';
import { exampleConfigPath, readConfigFile } from '../../functions/shared/config/load.js';
import { type BusinessNumber, rulesSchema } from '../../functions/shared/config/schema.js';
import { parsePhoneNumber } from '../../functions/shared/numbers.js';

/** The example configuration (config/callgate.example.json), parsed: what the test host runs by default. */
export const exampleConfig = readConfigFile(exampleConfigPath);

const exampleNumberIn = (country: CountryCode): BusinessNumber => {
  const found = exampleConfig.numbers.find(
    ({ number }) => parsePhoneNumber(number)?.country === country,
  );
  if (!found) throw new Error(`the example configuration has no business number in ${country}`);
  return found;
};

const india = exampleNumberIn('IN');
const jamaica = exampleNumberIn('JM');
const newYork = exampleNumberIn('US');

/** The example configuration's business numbers, by where they are. */
export const exampleNumbers = {
  india: india.number,
  jamaica: jamaica.number,
  newYork: newYork.number,
} as const;

/** The agent each example business number places its calls to. */
export const exampleAgents = {
  india: india.agent,
  jamaica: jamaica.agent,
  newYork: newYork.agent,
} as const;

/** Digits a fresh number varies at its end; the rest is the country's example mobile number. */
const variedDigits = 6;
const handedOut = new Set<string>(Object.values(exampleNumbers));
const drawn = new Map<CountryCode, number>();

/**
 * A mobile number of `country`, valid in libphonenumber's plan, that no earlier call in this test file
 * returned (each test file is its own module, and owns its table or host).
 */
const freshNumber = (country: CountryCode): string => {
  const example = getExampleNumber(country, mobileExamples);
  if (!example) throw new Error(`libphonenumber has no example mobile number for ${country}`);
  const national = example.nationalNumber;
  const stem = `+${example.countryCallingCode}${national.slice(0, national.length - variedDigits)}`;
  for (let n = (drawn.get(country) ?? 0) + 1; n < 10 ** variedDigits; n++) {
    const number = `${stem}${String(n).padStart(variedDigits, '0')}`;
    if (handedOut.has(number) || !isValidPhoneNumber(number)) continue;
    drawn.set(country, n);
    handedOut.add(number);
    return number;
  }
  throw new Error(`no fresh ${country} number left`);
};

/** A WhatsApp user no earlier test in this file has used (an Indian mobile number unless told). */
export const newUser = (country: CountryCode = 'IN'): string => freshNumber(country);

let bsuidsDrawn = 0;

/**
 * A business-scoped user ID (a WhatsApp user with a username) no earlier test in this file has used,
 * in Meta's example form: the country and 20 digits.
 */
export const newBsuid = (country = 'US'): string =>
  `${country}.${Date.now()}${String(++bsuidsDrawn).padStart(7, '0')}`;

/** A business number no earlier test in this file has used, for a test that needs one of its own. */
export const newBusiness = (country: CountryCode = 'IN'): string => freshNumber(country);

/**
 * The rules as the defaults give them (no preset named, nothing set): a test that needs a default's
 * value reads it here instead of restating it (test/unit/config/load.test.ts states the defaults).
 */
export const defaultRules = rulesSchema.parse(undefined);

/** How long a temporary permission lasts by default (a reply's grant), in ms. */
export const temporaryGrantMs = defaultRules.permissionSeconds * 1000;

/**
 * The settings the tests that count to a limit use, stated here rather than taken from the defaults,
 * so a default can change under them (test/unit/config/load.test.ts states the defaults).
 */
export const statedRules = rulesSchema.parse({
  permissionSeconds: 7 * 24 * 3600,
  refusalStandsSeconds: 7 * 24 * 3600,
  permissionRequests: { per24Hours: 1, per7Days: 2 },
  businessCallsPer24Hours: 5,
  missedCalls: { warnAt: 2, revokeAt: 4 },
  simultaneousCallsPerNumber: 1000,
});
