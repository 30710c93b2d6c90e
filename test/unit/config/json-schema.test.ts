import { readFileSync } from 'node:fs';
import { Ajv2020 } from 'ajv/dist/2020.js';
import addFormats from 'ajv-formats';
import { describe, expect, it } from 'vitest';
import { configJsonSchema } from '../../../functions/shared/config/json-schema.js';
import { exampleConfigPath, parseConfig } from '../../../functions/shared/config/load.js';
import { defaultPreset } from '../../../functions/shared/rules/presets.js';
import { generatedFiles, repoPath } from '../../../local/generated-files.js';

const validator = () => {
  const ajv = new Ajv2020({ allErrors: true, strict: false });
  addFormats.default(ajv);
  return ajv.compile(configJsonSchema());
};

const exampleFile = (): Record<string, unknown> =>
  JSON.parse(readFileSync(exampleConfigPath, 'utf8')) as Record<string, unknown>;

describe("the configuration's JSON Schema", () => {
  it('is what config/callgate.schema.json holds (npm run openapi writes it)', () => {
    const file = generatedFiles().find(({ path }) => path === 'config/callgate.schema.json');
    expect(readFileSync(repoPath('config/callgate.schema.json'), 'utf8')).toBe(file?.text);
  });

  it('the example file names it and validates against it', () => {
    const raw = exampleFile();
    expect(raw.$schema).toBe('./callgate.schema.json');
    const validate = validator();
    expect(validate(raw), JSON.stringify(validate.errors)).toBe(true);
  });

  it('leaves out what the loader fills in: a file without rules is valid to both', () => {
    const { rules: _rules, ...noRules } = exampleFile();
    expect(validator()(noRules)).toBe(true);
    expect(parseConfig(noRules, 'test.json').rules.preset).toBe(defaultPreset);
  });

  it('refuses what the loader refuses by shape: an unknown key, a missing account, a wrong type', () => {
    const validate = validator();
    const raw = exampleFile();
    expect(validate({ ...raw, zzz: true })).toBe(false);
    const { account: _account, ...noAccount } = raw;
    expect(validate(noAccount)).toBe(false);
    expect(validate({ ...raw, account: { callsPerSecond: '10' } })).toBe(false);
  });
});
