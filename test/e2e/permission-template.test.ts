/**
 * A call-permission template with variables, end to end through the local host: the configuration's
 * components, filled from the request's `variables` and the configured defaults, are what the sandbox
 * records (and what the Message API is sent); a placeholder without a value is refused before the
 * request is counted.
 */
import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { exampleConfigPath, parseConfig } from '../../functions/shared/config/load.js';
import type { Config } from '../../functions/shared/config/schema.js';
import type { LocalHost } from '../../local/host.js';
import { exampleNumbers, newUser } from '../support/fixtures.js';
import { asJson, startTestHost } from '../support/local-host.js';
import { jsonAnswer, type Loopback, startLoopback } from '../support/loopback.js';

const business = exampleNumbers.india;
const jamaica = exampleNumbers.jamaica;

/** The example, with a template whose body names the user and the business. */
const configWithVariables = (): Config => {
  const raw = JSON.parse(readFileSync(exampleConfigPath, 'utf8'));
  raw.numbers[0].permissionTemplate = {
    name: 'call_permission_named',
    language: 'en',
    components: [
      {
        type: 'body',
        parameters: [
          { type: 'text', parameter_name: 'first_name', text: '{{first_name}}' },
          { type: 'text', parameter_name: 'business_name', text: 'the {{business_name}} team' },
        ],
      },
    ],
    variables: { business_name: 'Acme India' },
  };
  return parseConfig(raw, 'test.json');
};

const requestPermission = async (host: LocalHost, body: Record<string, unknown>) =>
  asJson(
    await fetch(`${host.url}/v1/permission-requests`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(body),
    }),
  );

interface RecordedMessage {
  readonly api: string;
  readonly params: { dst?: string; template?: Record<string, unknown> };
}

const sentTemplates = async (host: LocalHost, user: string) =>
  ((await (await fetch(`${host.url}/_sandbox/plivo/requests`)).json()) as RecordedMessage[]).filter(
    (r) => r.api === 'message' && r.params.dst === user.slice(1),
  );

const filledComponents = (firstName: string, businessName: string) => [
  {
    type: 'body',
    parameters: [
      { type: 'text', parameter_name: 'first_name', text: firstName },
      { type: 'text', parameter_name: 'business_name', text: `the ${businessName} team` },
    ],
  },
];

describe('permission template variables (sandbox)', () => {
  let host: LocalHost;
  beforeAll(async () => {
    host = await startTestHost({ config: configWithVariables() });
  });
  afterAll(() => host.close());

  it('fills the components from the request and the configured defaults', async () => {
    const user = newUser();
    const response = await requestPermission(host, {
      from: business,
      to: user,
      variables: { first_name: 'Asha' },
    });
    expect(response.status).toBe(202);
    const sent = await sentTemplates(host, user);
    expect(sent.map((r) => r.params.template)).toEqual([
      {
        name: 'call_permission_named',
        language: 'en',
        components: filledComponents('Asha', 'Acme India'),
      },
    ]);
  });

  it("a request's value overrides the configured default", async () => {
    const user = newUser();
    const response = await requestPermission(host, {
      from: business,
      to: user,
      variables: { first_name: 'Ravi', business_name: 'Acme Pune' },
    });
    expect(response.status).toBe(202);
    expect((await sentTemplates(host, user))[0]?.params.template?.components).toEqual(
      filledComponents('Ravi', 'Acme Pune'),
    );
  });

  it('a placeholder with no value: 400 naming it, nothing counted, nothing sent', async () => {
    const user = newUser();
    const refused = await requestPermission(host, { from: business, to: user });
    expect(refused.status).toBe(400);
    expect(refused.body.error).toBe('invalid_request');
    expect(refused.body.message).toMatch(/^variables\.first_name: /);
    expect(await sentTemplates(host, user)).toEqual([]);
    // One request per 24 h: the refused one did not use it.
    const sent = await requestPermission(host, {
      from: business,
      to: user,
      variables: { first_name: 'Asha' },
    });
    expect(sent.status).toBe(202);
  });

  it.each(['__proto__', 'constructor', 'toString', 'hasOwnProperty'])(
    'a variable named %s, which no placeholder uses: 400 naming it, nothing sent',
    async (name) => {
      const user = newUser();
      const response = asJson(
        await fetch(`${host.url}/v1/permission-requests`, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          // Written out: JSON.stringify of an object literal would drop `__proto__`.
          body: `{"from":"${business}","to":"${user}","variables":{"first_name":"Asha","${name}":"x"}}`,
        }),
      );
      const { status, body } = await response;
      expect(status).toBe(400);
      expect(body.error).toBe('invalid_request');
      expect(String(body.message)).toContain(`variables.${name}: `);
      expect(await sentTemplates(host, user)).toEqual([]);
    },
  );

  it('a variable no placeholder uses: 400 naming it, nothing sent', async () => {
    const user = newUser();
    const response = await requestPermission(host, {
      from: business,
      to: user,
      variables: { first_name: 'Asha', firstname: 'Asha' },
    });
    expect(response.status).toBe(400);
    expect(response.body.message).toMatch(/variables\.firstname: .*no \{\{firstname\}\}/);
    expect(await sentTemplates(host, user)).toEqual([]);
    const noComponents = await requestPermission(host, {
      from: jamaica,
      to: '+18765550199',
      variables: { first_name: 'Asha' },
    });
    expect(noComponents.status).toBe(400);
    expect(noComponents.body.message).toMatch(/variables\.first_name: /);
  });

  it.each([
    ['a name Meta does not take', { 'first-name': 'Asha' }, /variables/],
    ['a newline', { first_name: 'Asha\nEvil' }, /variables\.first_name: .*control characters/],
    ['five spaces', { first_name: 'A     sha' }, /variables\.first_name: .*consecutive spaces/],
    ['an empty value', { first_name: '' }, /variables\.first_name: must not be empty/],
    ['a long value', { first_name: 'a'.repeat(257) }, /variables\.first_name: .*256/],
    ['a value that is not text', { first_name: 42 }, /variables\.first_name/],
    ['not an object', 'first_name=Asha', /variables/],
  ])('refuses variables with %s: 400, nothing sent', async (_, variables, message) => {
    const user = newUser();
    const response = await requestPermission(host, { from: business, to: user, variables });
    expect(response.status).toBe(400);
    expect(response.body.error).toBe('invalid_request');
    expect(response.body.message).toMatch(message);
    expect(await sentTemplates(host, user)).toEqual([]);
  });
});

describe('permission template variables reach the Message API', () => {
  let plivo: Loopback;
  let host: LocalHost;
  beforeAll(async () => {
    plivo = await startLoopback(() =>
      jsonAnswer(202, { message: 'queued', message_uuid: [randomUUID()] }),
    );
    host = await startTestHost({
      config: configWithVariables(),
      plivo: {
        authId: 'MAXXXXXXXXXXXXXXXXXX',
        authToken: 'test-token',
        apiUrl: plivo.url,
      },
    });
  });
  afterAll(async () => {
    await host.close();
    await plivo.close();
  });

  it('posts the filled components in the template', async () => {
    const user = newUser();
    const response = await requestPermission(host, {
      from: business,
      to: user,
      variables: { first_name: 'Asha' },
    });
    expect(response.status).toBe(202);
    expect(plivo.requests.map((r) => r.json())).toEqual([
      {
        src: business.slice(1),
        dst: user.slice(1),
        type: 'whatsapp',
        template: {
          name: 'call_permission_named',
          language: 'en',
          components: filledComponents('Asha', 'Acme India'),
        },
      },
    ]);
  });
});
