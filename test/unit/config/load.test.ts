import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  ConfigError,
  exampleConfigPath,
  parseConfig,
  readConfigFile,
} from '../../../functions/shared/config/load.js';

// biome-ignore lint/suspicious/noExplicitAny: a mutable copy of the example to break on purpose
const example = (): any => JSON.parse(JSON.stringify(readConfigFile(exampleConfigPath)));

const errorOf = (raw: unknown): string => {
  try {
    parseConfig(raw, 'test.json');
  } catch (error) {
    expect(error).toBeInstanceOf(ConfigError);
    return (error as Error).message;
  }
  throw new Error('expected the configuration to be refused');
};

describe('configuration', () => {
  // The one test that states the defaults: every other test reads them from the parsed configuration.
  it('accepts the example file and fills in every rule default', () => {
    const config = readConfigFile(exampleConfigPath);
    expect(config.numbers.length).toBeGreaterThan(0);
    expect(config.account).toEqual({ callsPerSecond: 10 });
    expect(config.rules).toEqual({
      preset: 'plivo-page',
      restrictedCountries: ['US', 'CA', 'TR', 'EG', 'NG', 'VN'],
      permissionSeconds: 604800,
      refusalStandsSeconds: 604800,
      permissionRequests: { per24Hours: 1, per7Days: 2 },
      businessCallsPer24Hours: 5,
      businessCallsCounted: 'dialed',
      missedCalls: { warnAt: 2, revokeAt: 4 },
      simultaneousCallsPerNumber: 1000,
      maxCallSeconds: 14400,
      callIntents: {
        lifetimeSeconds: 604800,
        maxLifetimeSeconds: 2592000,
        placementAttempts: 5,
        retrySeconds: 30,
      },
    });
    // Every route group takes IAM until the configuration gives it API keys.
    expect(config.api).toEqual({
      auth: { calls: 'iam', permissions: 'iam', intents: 'iam', numbers: 'iam' },
    });
    // Free-form requests inside the customer-service window are on, with no body of their own.
    for (const number of config.numbers) {
      expect(number.freeFormPermissionRequest).toEqual({ enabled: true });
    }
  });

  it("takes an editor's $schema and reads nothing from it", () => {
    const withSchema = parseConfig(
      { ...example(), $schema: './callgate.schema.json' },
      'test.json',
    );
    const { $schema: _schema, ...rest } = withSchema;
    const { $schema: _none, ...plain } = parseConfig(
      { ...example(), $schema: undefined },
      'test.json',
    );
    expect(rest).toEqual(plain);
  });

  it('follows the plivo-page preset when the rules name none', () => {
    const raw = example();
    delete raw.rules;
    expect(parseConfig(raw, 'test.json').rules).toEqual(readConfigFile(exampleConfigPath).rules);
    raw.rules = { maxCallSeconds: 60 };
    expect(parseConfig(raw, 'test.json').rules.preset).toBe('plivo-page');
  });

  it('fills the settings not written from the named preset; a written one wins', () => {
    const raw = example();
    raw.rules = { preset: 'meta-2026-06', missedCalls: { warnAt: 3 } };
    expect(parseConfig(raw, 'test.json').rules).toMatchObject({
      preset: 'meta-2026-06',
      businessCallsPer24Hours: 100,
      businessCallsCounted: 'connected',
      restrictedCountries: ['US', 'CA', 'EG', 'VN', 'NG'],
      missedCalls: { warnAt: 3, revokeAt: 4 },
    });
  });

  it("keeps the bus's events 30 days in its archive by default; 0 keeps no archive", () => {
    expect(parseConfig(example(), 'test.json').events.archiveRetentionDays).toBe(30);
    const raw = example();
    raw.events = { archiveRetentionDays: 0 };
    expect(parseConfig(raw, 'test.json').events.archiveRetentionDays).toBe(0);
    raw.events = { archiveRetentionDays: 1.5 };
    expect(errorOf(raw)).toMatch(/events\.archiveRetentionDays/);
  });

  it('refuses an unknown preset, naming the choices', () => {
    const raw = example();
    raw.rules = { preset: 'meta-2025-12' };
    expect(errorOf(raw).split('\n').slice(1)).toEqual([
      '  rules.preset: unknown preset "meta-2025-12"; choose one of plivo-page, meta-2026-06',
    ]);
  });

  it('an events webhook: 5 deliveries in flight at once by default, the secret fields as given', () => {
    const raw = example();
    raw.events = { webhook: { url: 'https://crm.example.com/hook', secret: 'callgate/webhook' } };
    expect(parseConfig(raw, 'test.json').events.webhook).toEqual({
      url: 'https://crm.example.com/hook',
      secret: 'callgate/webhook',
      concurrency: 5,
    });
    raw.events.webhook = {
      ...raw.events.webhook,
      signingSecretField: 'signingSecret',
      authHeader: { name: 'X-Api-Key', secretField: 'apiKey' },
    };
    expect(
      errorOf({
        ...raw,
        events: { webhook: { ...raw.events.webhook, signingSecretField: undefined } },
      }),
    ).toMatch(
      /events\.webhook\.signingSecretField: events\.webhook\.authHeader needs signingSecretField/,
    );
    expect(parseConfig(raw, 'test.json').events.webhook?.authHeader).toEqual({
      name: 'X-Api-Key',
      secretField: 'apiKey',
    });
  });

  it('names the bad entry by its path', () => {
    const raw = example();
    raw.numbers[1] = { ...raw.numbers[1], number: '8765550123' };
    expect(errorOf(raw)).toMatch(/numbers\[1\]\.number: must be an E\.164 number/);
  });

  it('refuses an unknown key anywhere, naming it and the key it probably meant', () => {
    const raw = example();
    raw.rules = { businessCallsPer24Hour: 2, missedCalls: { revoke: 3 } };
    raw.numbers[0].inbound.greting = raw.numbers[0].inbound.greeting;
    raw.numbers[1].permissionTemplate.lang = 'en';
    raw.operations = { alarms: { iteratorAge: 120 } };
    raw.zzz = true;
    const lines = errorOf(raw).split('\n').slice(1).sort();
    expect(lines).toEqual(
      [
        '  numbers[0].inbound.greting: unknown key "greting"; did you mean "greeting"?',
        '  numbers[1].permissionTemplate.lang: unknown key "lang"; did you mean "language"?',
        '  operations.alarms.iteratorAge: unknown key "iteratorAge"; did you mean "iteratorAgeSeconds"?',
        '  rules.businessCallsPer24Hour: unknown key "businessCallsPer24Hour"; did you mean "businessCallsPer24Hours"?',
        '  rules.missedCalls.revoke: unknown key "revoke"; did you mean "revokeAt"?',
        '  zzz: unknown key "zzz"; known keys here: $schema, account, numbers, rules, events, plivo, api, operations',
      ].sort(),
    );
  });

  it('refuses a typo that would otherwise leave a rule at its default', () => {
    const raw = example();
    raw.rules = { businessCallsPer24Hour: 2 };
    expect(() => parseConfig(raw, 'test.json')).toThrow(/did you mean "businessCallsPer24Hours"/);
    raw.rules = { businessCallsPer24Hours: 2 };
    expect(parseConfig(raw, 'test.json').rules.businessCallsPer24Hours).toBe(2);
  });

  it('says one thing for one mistake, in words a person uses', () => {
    const raw = example();
    raw.numbers[0].inbound.hours.weekly.mon = ['9:30-18:30'];
    raw.numbers[0].inbound.menu.options['10'] = raw.numbers[0].inbound.menu.options['1'];
    expect(errorOf(raw).split('\n').slice(1)).toEqual([
      '  numbers[0].inbound.menu.options.10: menu keys are single digits 0-9',
      '  numbers[0].inbound.hours.weekly.mon[0]: write hours as HH:MM-HH:MM',
    ]);
  });

  it('refuses a phone number as an agent', () => {
    const raw = example();
    raw.numbers[0] = { ...raw.numbers[0], agent: '+14155550123' };
    expect(errorOf(raw)).toMatch(
      /numbers\[0\]\.agent: a WhatsApp call can never be forwarded to a phone number/,
    );
  });

  it('refuses a business number configured twice', () => {
    const raw = example();
    raw.numbers.push(raw.numbers[0]);
    expect(errorOf(raw)).toMatch(/numbers\[3\]\.number: \+918035737458 is configured twice/);
  });

  it('refuses inconsistent rules', () => {
    expect(errorOf({ ...example(), rules: { missedCalls: { warnAt: 4, revokeAt: 2 } } })).toMatch(
      /rules\.missedCalls: warnAt must be below revokeAt/,
    );
    expect(errorOf({ ...example(), rules: { restrictedCountries: ['usa'] } })).toMatch(
      /rules\.restrictedCountries\[0\]/,
    );
  });

  it("reaches Meta's current and sandbox limits, well past 10, and keeps the Plivo page's defaults", () => {
    const raw = example();
    raw.rules = {
      businessCallsPer24Hours: 100,
      businessCallsCounted: 'connected',
      permissionRequests: { per24Hours: 25, per7Days: 25 },
      missedCalls: { warnAt: 5, revokeAt: 10 },
    };
    expect(parseConfig(raw, 'test.json').rules).toMatchObject(raw.rules);
    raw.rules = { businessCallsPer24Hours: 500, missedCalls: { warnAt: 20, revokeAt: 40 } };
    expect(parseConfig(raw, 'test.json').rules).toMatchObject(raw.rules);
    expect(readConfigFile(exampleConfigPath).rules.businessCallsCounted).toBe('dialed');
    raw.rules = { businessCallsCounted: 'answered' };
    expect(errorOf(raw)).toMatch(/rules\.businessCallsCounted/);
  });

  it("a menu waits 5 to 60 s for a key, as Plivo's GetInput executionTimeout accepts", () => {
    const raw = example();
    const withTimeout = (timeoutSeconds: number) => {
      raw.numbers[0].inbound.menu.timeoutSeconds = timeoutSeconds;
      return raw;
    };
    expect(errorOf(withTimeout(1))).toMatch(/timeoutSeconds/);
    expect(errorOf(withTimeout(4))).toMatch(/timeoutSeconds/);
    expect(() => parseConfig(withTimeout(5), 'test.json')).not.toThrow();
    expect(() => parseConfig(withTimeout(60), 'test.json')).not.toThrow();
    expect(errorOf(withTimeout(61))).toMatch(/timeoutSeconds/);
  });

  it('outbound hours are weekly hours, with nothing to play when closed', () => {
    const raw = example();
    const hours = { timeZone: 'Asia/Kolkata', weekly: { mon: ['09:00-18:00'] } };
    raw.numbers[0].outbound = { hours };
    expect(parseConfig(raw, 'test.json').numbers[0]?.outbound).toEqual({
      hours: { ...hours, holidays: [] },
    });
    raw.numbers[0].outbound = { hours: { ...hours, closed: { hangup: true } } };
    expect(errorOf(raw)).toContain(
      'numbers[0].outbound.hours.closed: unknown key "closed"; known keys here: timeZone, weekly, holidays',
    );
    raw.numbers[0].outbound = { hours, window: 'daytime' };
    expect(errorOf(raw)).toContain(
      'numbers[0].outbound.window: unknown key "window"; known keys here: hours',
    );
  });

  it('says which file is unreadable or not JSON', () => {
    const dir = mkdtempSync(join(tmpdir(), 'callgate-config-'));
    const broken = join(dir, 'broken.json');
    writeFileSync(broken, '{ "account": ');
    expect(() => readConfigFile(broken)).toThrow(/broken\.json is not valid JSON/);
    expect(() => readConfigFile(join(dir, 'missing.json'))).toThrow(/Cannot read configuration/);
  });
});
