import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import {
  ConfigError,
  exampleConfigPath,
  parseConfig,
  readConfigFile,
} from '../../functions/shared/config/load.js';
import type { Config } from '../../functions/shared/config/schema.js';
import { lambdaDeps } from '../../functions/shared/lambda-deps.js';
import { lambdaObservability } from '../../functions/shared/lambda-observability.js';
import { configDefine } from '../../infra/function-construct.js';

/** What a bundle's `JSON.parse(__CALLGATE_CONFIG__)` gives: esbuild substitutes the define's literal. */
const bundled = (config: Config): unknown => JSON.parse(JSON.parse(configDefine(config)));

// biome-ignore lint/suspicious/noExplicitAny: the example file as written, before validation
const exampleFile = (): any => JSON.parse(readFileSync(exampleConfigPath, 'utf8'));

describe('the configuration bundled into a function', () => {
  it('is the validated configuration, so validating it again at a cold start would change nothing', () => {
    const config = readConfigFile(exampleConfigPath);
    const inBundle = bundled(config);
    expect(inBundle).toStrictEqual(config);
    expect(parseConfig(inBundle, 'the bundle')).toStrictEqual(inBundle);
  });

  it('is validated at synth whatever is passed: defaults filled in, bare prompts expanded', () => {
    expect(bundled(exampleFile())).toStrictEqual(readConfigFile(exampleConfigPath));
  });

  it('stops synth on a time zone Intl does not know, naming the entry', () => {
    const raw = exampleFile();
    raw.numbers[0].inbound.hours.timeZone = 'Europe/Atlantis';
    expect(() => configDefine(raw)).toThrow(ConfigError);
    expect(() => configDefine(raw)).toThrow(/numbers\[0\]\.inbound\.hours\.timeZone/);
  });

  it('is the only configuration a Lambda entry reads: unbundled, it refuses to start', () => {
    expect(() => lambdaDeps(lambdaObservability('health'))).toThrow(/No bundled configuration/);
  });
});
