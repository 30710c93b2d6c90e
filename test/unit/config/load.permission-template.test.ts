import { describe, expect, it } from 'vitest';
import {
  ConfigError,
  exampleConfigPath,
  parseConfig,
  readConfigFile,
} from '../../../functions/shared/config/load.js';

// biome-ignore lint/suspicious/noExplicitAny: a mutable copy of the example to break on purpose
const withTemplate = (permissionTemplate: unknown): any => {
  const raw = JSON.parse(JSON.stringify(readConfigFile(exampleConfigPath)));
  raw.numbers[0].permissionTemplate = permissionTemplate;
  return raw;
};

const errorOf = (raw: unknown): string => {
  try {
    parseConfig(raw, 'test.json');
  } catch (error) {
    expect(error).toBeInstanceOf(ConfigError);
    return (error as Error).message;
  }
  throw new Error('expected the configuration to be refused');
};

const body = (text: string) => [{ type: 'body', parameters: [{ type: 'text', text }] }];

describe('permissionTemplate', () => {
  it("takes Meta's components and default variables", () => {
    const template = {
      name: 'call_permission_named',
      language: 'en_US',
      components: [
        {
          type: 'header',
          parameters: [{ type: 'image', image: { link: 'https://x.test/a.png' } }],
        },
        {
          type: 'body',
          parameters: [
            { type: 'text', parameter_name: 'first_name', text: 'Hi {{first_name}}' },
            {
              type: 'currency',
              currency: { fallback_value: '$5', code: 'USD', amount_1000: 5000 },
            },
          ],
        },
        {
          type: 'button',
          sub_type: 'quick_reply',
          index: '0',
          parameters: [{ type: 'payload', payload: 'yes' }],
        },
      ],
      variables: { first_name: 'there' },
    };
    expect(parseConfig(withTemplate(template), 'test.json').numbers[0]?.permissionTemplate).toEqual(
      template,
    );
  });

  it.each([
    [
      'a placeholder with a space',
      body('{{first name}}'),
      /permissionTemplate\.components.*\{\{name\}\}/,
    ],
    ['an upper-case placeholder', body('{{FirstName}}'), /\{\{name\}\}/],
    ['a positional placeholder', body('{{1}}'), /\{\{name\}\}/],
    ['a {{__proto__}} placeholder', body('{{__proto__}}'), /\{\{name\}\}/],
    ['an unclosed placeholder', body('{{first_name}'), /\{\{name\}\}/],
    [
      'an unknown component type',
      [{ type: 'footer', parameters: [] }],
      /permissionTemplate\.components\[0\]\.type/,
    ],
    [
      'an unknown parameter field',
      [{ type: 'body', parameters: [{ type: 'text', text: 'x', txt: 'y' }] }],
      /txt/,
    ],
    ['a parameter without text', [{ type: 'body', parameters: [{ type: 'text' }] }], /text/],
  ])('refuses %s', (_, components, message) => {
    expect(errorOf(withTemplate({ name: 'n', language: 'en', components }))).toMatch(message);
  });

  it('refuses unknown fields and bad default variables, naming them', () => {
    expect(errorOf(withTemplate({ name: 'n', language: 'en', componets: [] }))).toMatch(
      /numbers\[0\]\.permissionTemplate.*componets/,
    );
    expect(
      errorOf(withTemplate({ name: 'n', language: 'en', variables: { first_name: 'a\tb' } })),
    ).toMatch(/permissionTemplate\.variables\.first_name: .*control characters/);
    expect(
      errorOf(withTemplate({ name: 'n', language: 'en', variables: { 'First-Name': 'x' } })),
    ).toMatch(/permissionTemplate\.variables/);
    const proto = JSON.parse('{"name":"n","language":"en","variables":{"__proto__":"x"}}');
    expect(errorOf(withTemplate(proto))).toMatch(
      /permissionTemplate\.variables\.__proto__: is not a variable name/,
    );
  });
});
