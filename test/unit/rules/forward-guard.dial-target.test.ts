import { readFileSync } from 'node:fs';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ForbiddenForward } from '../../../functions/shared/call-flow/guard.js';
import { type InboundCall, renderAnswer } from '../../../functions/shared/call-flow/render.js';
import { agentSchema } from '../../../functions/shared/config/agent.js';
import type { CallFlow } from '../../../functions/shared/config/call-flow.js';
import { exampleConfigPath, parseConfig } from '../../../functions/shared/config/load.js';
import { dialTargetRefusal } from '../../../functions/shared/rules/forward-guard.js';

const call: InboundCall = {
  answerUrl: 'https://callgate.example.com/plivo/whatsapp/answer',
  maxCallSeconds: 14400,
};
const example = () => JSON.parse(readFileSync(exampleConfigPath, 'utf8'));

/** A flow that skipped validation: the renderer must still refuse to forward to its agent. */
const uncheckedFlow = (agent: string) =>
  ({
    action: { dial: { agents: [agent], mode: 'simultaneous', ringSeconds: 30 } },
    noAnswer: { hangup: true },
  }) as CallFlow;

/** Every spelling of a phone number a SIP gateway or Plivo may dial. */
const phoneSpellings = [
  'sip:+91-98123-45678@gw.example.com',
  'sip:+91.98123.45678@gw.example.com',
  'sip:(91) 98123 45678@gw.example.com',
  'sip:%2B919812345678@gw.example.com',
  'sip:%2b91%2D98123%2D45678@gw.example.com',
  'sip:%252B919812345678@gw.example.com',
  'sip:919812345678;user=phone@gw.example.com',
  'sip:919812345678;isub=1@gw.example.com',
  'sip:+919812345678:secret@gw.example.com',
  'sip:alice@gw.example.com;user=phone',
  'sip:alice;USER=Phone@gw.example.com',
  'SIP:+919812345678@gw.example.com',
  'sips:+919812345678@gw.example.com',
  'sip:00919812345678@gw.example.com',
  'sip:０９１９８１２３４５６７８@gw.example.com',
  'sip:tel:+919812345678@gw.example.com',
  'sip:+919812345678',
  'tel:+919812345678',
  'tel:+91-98123-45678',
  'TEL:support',
  '+91-98123-45678',
  '%2B919812345678',
  '919812345678;user=phone',
];

describe('the guard reads a SIP URI as a gateway would', () => {
  it.each(phoneSpellings)('refuses %s as a phone number', (target) => {
    expect(dialTargetRefusal(target)).toMatch(/phone number/);
  });

  it.each(phoneSpellings)(
    'the renderer refuses %s even when the configuration was not checked',
    (target) => {
      expect(() => renderAnswer(uncheckedFlow(target), call, 0)).toThrow(ForbiddenForward);
    },
  );

  it.each(phoneSpellings)(
    'the configuration refuses %s as an inbound agent and as the number agent',
    (target) => {
      const raw = example();
      raw.numbers[0].inbound.menu.options['1'].dial.agents[0] = target;
      raw.numbers[1].agent = target;
      expect(() => parseConfig(raw, 'callgate.json')).toThrow(
        /numbers\[0\]\.inbound\.menu\.options\.1\.dial\.agents\[0\]: [^\n]*phone number[\s\S]*numbers\[1\]\.agent: [^\n]*phone number/,
      );
    },
  );

  it.each([
    'sip:1001@pbx.example.com',
    'sip:123456@pbx.example.com',
    'sip:support@phone.plivo.com',
    'sip:desk-7@10.0.0.12:5060',
    'sip:alice@pbx.example.com;transport=tls',
    'sales_desk_2',
  ])('allows %s (extensions, names, endpoints)', (target) => {
    expect(dialTargetRefusal(target)).toBeUndefined();
    expect(agentSchema.safeParse(target).success).toBe(true);
    expect(() => renderAnswer(uncheckedFlow(target), call, 0)).not.toThrow();
  });

  it('property: a phone number with separators or percent-encoding in a SIP user part is refused', () => {
    fc.assert(
      fc.property(
        fc.constantFrom('', '+', '%2B', '%2b'),
        fc.stringMatching(/^[1-9]\d{6,14}$/),
        fc.array(fc.constantFrom('-', '.', ' ', '(', ')', '%2D', '%20'), { maxLength: 15 }),
        (plus, digits, separators) => {
          const spelled = [...digits].map((d, i) => `${separators[i] ?? ''}${d}`).join('');
          expect(dialTargetRefusal(`sip:${plus}${spelled}@gw.example.com`)).toMatch(/phone number/);
        },
      ),
    );
  });
  it.each(['sip:%2525252B919812345678@gw.example.com', 'sip:%E0%A4@gw.example.com'])(
    'refuses %s: encoded too deep or broken',
    (target) => {
      expect(dialTargetRefusal(target)).toMatch(/percent-encoding/);
      expect(() => renderAnswer(uncheckedFlow(target), call, 0)).toThrow(ForbiddenForward);
    },
  );
});

describe('agent format', () => {
  it.each([
    ['markup', 'sip:a"><Number>919812345678</Number>@x.com', /SIP URI/],
    ['20 KB', `sip:${'a'.repeat(20_000)}@example.com`, /at most 255 characters/],
    ['a quote', "sip:o'brien@pbx.example.com", /SIP URI/],
    ['a space', 'sip:a b@pbx.example.com', /SIP URI/],
    ['a trailing newline', 'sip:alice@pbx.example.com\n', /SIP URI/],
    ['a host label starting with -', 'sip:alice@-pbx.example.com', /SIP URI/],
    ['an empty host label', 'sip:alice@pbx..example.com', /SIP URI/],
    ['a port out of range', 'sip:alice@pbx.example.com:99999', /SIP URI/],
    ['broken percent-encoding', 'sip:al%zzice@pbx.example.com', /SIP URI/],
    ['no user', 'sip:@pbx.example.com', /SIP URI/],
    ['an endpoint name with markup', 'desk<1>', /SIP URI/],
    ['an endpoint name starting with a digit', '1desk', /SIP URI/],
    ['an endpoint name over 64 characters', `d${'e'.repeat(64)}`, /SIP URI/],
  ])('refuses an agent with %s', (_, agent, message) => {
    const result = agentSchema.safeParse(agent);
    expect(result.success).toBe(false);
    expect(result.error?.issues.map((issue) => issue.message).join('; ')).toMatch(message);
  });

  it('accepts up to 255 characters', () => {
    const user = 'a'.repeat(255 - 'sip:@example.com'.length);
    expect(agentSchema.safeParse(`sip:${user}@example.com`).success).toBe(true);
    expect(agentSchema.safeParse(`sip:${user}a@example.com`).success).toBe(false);
  });
});
