import { readFileSync } from 'node:fs';
import fc from 'fast-check';
import { XMLParser } from 'fast-xml-parser';
import { Response as PlivoResponse } from 'plivo/dist/utils/plivoxml.js';
import { describe, expect, it } from 'vitest';
import {
  assertNoForbiddenForward,
  ForbiddenForward,
} from '../../../functions/shared/call-flow/guard.js';
import {
  type InboundCall,
  renderAnswer,
  renderRefusal,
  renderStep,
} from '../../../functions/shared/call-flow/render.js';
import { type CallFlow, callFlowSchema } from '../../../functions/shared/config/call-flow.js';
import { exampleConfigPath, parseConfig } from '../../../functions/shared/config/load.js';
import { element, renderPlivoXml, type XmlElement } from '../../../functions/shared/plivo/xml.js';
import { dialTargetRefusal } from '../../../functions/shared/rules/forward-guard.js';

const call: InboundCall = {
  answerUrl: 'https://callgate.example.com/plivo/whatsapp/answer',
  maxCallSeconds: 14400,
};
const monday10amIst = Date.UTC(2026, 2, 2, 4, 30); // Mon 2 Mar 2026 10:00 Asia/Kolkata
const flow = (raw: unknown): CallFlow => callFlowSchema.parse(raw);

/** Element order preserved, attributes kept: the tree Plivo reads. */
const parser = new XMLParser({
  ignoreAttributes: false,
  attributeNamePrefix: '',
  preserveOrder: true,
  parseTagValue: false,
  parseAttributeValue: false,
  trimValues: false,
});

interface Node {
  name: string;
  attributes: Record<string, string>;
  text: string;
  children: Node[];
}

const toNodes = (ordered: Record<string, unknown>[]): Node[] =>
  ordered
    .filter((entry) => !('#text' in entry) && !('?xml' in entry))
    .map((entry) => {
      const name = Object.keys(entry).find((k) => k !== ':@') as string;
      const content = entry[name] as Record<string, unknown>[];
      return {
        name,
        attributes: (entry[':@'] ?? {}) as Record<string, string>,
        text: content
          .filter((c) => '#text' in c)
          .map((c) => String(c['#text']))
          .join(''),
        children: toNodes(content),
      };
    });

/** The `<Response>` children of a document. */
const parse = (document: string): Node[] => {
  const [response] = toNodes(parser.parse(document));
  expect(response?.name).toBe('Response');
  return response?.children ?? [];
};

const xmlOf = (elements: XmlElement[]): Node[] => parse(renderPlivoXml(elements));

const defined = (attributes: XmlElement['attributes']) =>
  Object.fromEntries(Object.entries(attributes).filter(([, v]) => v !== undefined));

/** The same document built with the Plivo SDK's own builder: the oracle for the elements it supports. */
const sdkXml = (elements: readonly XmlElement[]): string => {
  const response = new PlivoResponse();
  // biome-ignore lint/suspicious/noExplicitAny: the SDK's builder is untyped for nesting
  const add = (parent: any, node: XmlElement) => {
    const text = node.children.filter((c): c is string => typeof c === 'string').join('');
    const attributes = defined(node.attributes);
    switch (node.name) {
      case 'Speak':
        return parent.addSpeak(text, attributes);
      case 'Play':
        return parent.addPlay(text, attributes);
      case 'User':
        return parent.addUser(text, attributes);
      case 'Record':
        return parent.addRecord(attributes);
      case 'Hangup':
        return parent.addHangup(attributes);
      case 'Wait':
        return parent.addWait(attributes);
      case 'GetInput':
      case 'Dial': {
        const child =
          node.name === 'Dial' ? parent.addDial(attributes) : parent.addGetInput(attributes);
        for (const c of node.children) if (typeof c !== 'string') add(child, c);
        return child;
      }
      default:
        throw new Error(`no SDK builder for ${node.name}`);
    }
  };
  for (const node of elements) add(response, node);
  return response.toXML();
};

const expectSdkEqual = (elements: XmlElement[]) =>
  expect(xmlOf(elements)).toEqual(parse(sdkXml(elements)));

const query = (url: string | undefined) => Object.fromEntries(new URL(url ?? '').searchParams);

describe('rendering a flow', () => {
  it('greeting (Speak with voice and language) then a simultaneous dial', () => {
    const f = flow({
      greeting: {
        speak: 'Welcome to Acme & Sons <India>',
        voice: 'Polly.Aditi',
        language: 'en-IN',
      },
      action: { dial: { agents: ['sip:sales@phone.plivo.com', 'sales_desk_2'], ringSeconds: 25 } },
    });
    const elements = renderAnswer(f, call, monday10amIst);
    const [speak, dial, ...rest] = xmlOf(elements);
    expect(rest).toEqual([]);
    expect(speak).toMatchObject({
      name: 'Speak',
      attributes: { voice: 'Polly.Aditi', language: 'en-IN' },
      text: 'Welcome to Acme & Sons <India>',
    });
    expect(dial?.name).toBe('Dial');
    expect(dial?.attributes).toMatchObject({
      method: 'POST',
      timeout: '25',
      timeLimit: '14400',
    });
    expect(dial?.attributes).not.toHaveProperty('callType');
    expect(query(dial?.attributes.action)).toEqual({ step: 'dial', at: 'action', agent: 'all' });
    expect(dial?.children.map((u) => [u.name, u.text])).toEqual([
      ['User', 'sip:sales@phone.plivo.com'],
      ['User', 'sip:sales_desk_2@phone.plivo.com'],
    ]);
    expectSdkEqual(elements);
  });

  it('a greeting that plays audio, and a bare string greeting spoken with Plivo defaults', () => {
    const played = renderAnswer(
      flow({ greeting: { play: 'https://media.example.com/hi.mp3' }, action: { hangup: true } }),
      call,
      0,
    );
    expect(xmlOf(played)).toEqual([
      { name: 'Play', attributes: {}, text: 'https://media.example.com/hi.mp3', children: [] },
      { name: 'Hangup', attributes: {}, text: '', children: [] },
    ]);
    expectSdkEqual(played);
    const spoken = renderAnswer(flow({ greeting: 'Hello', action: { hangup: true } }), call, 0);
    expect(xmlOf(spoken)[0]).toEqual({
      name: 'Speak',
      attributes: {},
      text: 'Hello',
      children: [],
    });
  });

  const menuFlow = flow({
    greeting: 'Welcome.',
    menu: {
      prompt: 'Press 1 for sales, 2 to leave a message.',
      timeoutSeconds: 7,
      retries: 2,
      options: {
        '1': {
          dial: { agents: ['sip:a@pbx.example.com', 'sip:b@pbx.example.com'], mode: 'sequential' },
        },
        '2': { voicemail: { prompt: 'After the beep.', maxLengthSeconds: 60, thanks: 'Thanks!' } },
      },
      noInput: { message: 'Goodbye.' },
    },
  });

  it('a menu: one GetInput per try, then the no-input action', () => {
    const elements = renderAnswer(menuFlow, call, 0);
    const nodes = xmlOf(elements);
    expect(nodes.map((n) => n.name)).toEqual([
      'Speak',
      'GetInput',
      'GetInput',
      'GetInput',
      'Speak',
      'Hangup',
    ]);
    nodes.slice(1, 4).forEach((getInput, attempt) => {
      expect(getInput.attributes).toMatchObject({
        method: 'POST',
        inputType: 'dtmf',
        numDigits: '1',
        executionTimeout: '7',
      });
      expect(query(getInput.attributes.action)).toEqual({ step: 'menu', attempt: String(attempt) });
      expect(getInput.children).toEqual([
        {
          name: 'Speak',
          attributes: {},
          text: 'Press 1 for sales, 2 to leave a message.',
          children: [],
        },
      ]);
    });
    expect(nodes[4]?.text).toBe('Goodbye.');
    expectSdkEqual(elements);
  });

  it('a key press runs its option; a wrong key offers the remaining tries, then no-input', () => {
    const pressed1 = renderStep(menuFlow, call, { step: 'menu', attempt: 0, digits: '1' });
    const [dial] = xmlOf(pressed1);
    expect(query(dial?.attributes.action)).toEqual({ step: 'dial', at: 'menu.1', agent: '0' });
    expect(dial?.children.map((u) => u.text)).toEqual(['sip:a@pbx.example.com']);

    const wrong = xmlOf(renderStep(menuFlow, call, { step: 'menu', attempt: 1, digits: '9' }));
    expect(wrong.map((n) => n.name)).toEqual(['GetInput', 'Speak', 'Hangup']);
    expect(query(wrong[0]?.attributes.action)).toEqual({ step: 'menu', attempt: '2' });

    const exhausted = xmlOf(renderStep(menuFlow, call, { step: 'menu', attempt: 2, digits: '' }));
    expect(exhausted.map((n) => [n.name, n.text])).toEqual([
      ['Speak', 'Goodbye.'],
      ['Hangup', ''],
    ]);
  });

  it('a sequential dial rings the next agent until one answers, then the no-answer action', () => {
    const second = renderStep(menuFlow, call, {
      step: 'dial',
      at: 'menu.1',
      agent: 0,
      dialStatus: 'no-answer',
    });
    const [dial] = xmlOf(second);
    expect(query(dial?.attributes.action)).toEqual({ step: 'dial', at: 'menu.1', agent: '1' });
    expect(dial?.children.map((u) => u.text)).toEqual(['sip:b@pbx.example.com']);
    expectSdkEqual(second);

    const noAnswer = xmlOf(
      renderStep(menuFlow, call, { step: 'dial', at: 'menu.1', agent: 1, dialStatus: 'busy' }),
    );
    expect(noAnswer.map((n) => [n.name, n.text])).toEqual([
      ['Speak', 'Sorry, nobody can take your call right now. Please try again later.'],
      ['Hangup', ''],
    ]);
    const answered = xmlOf(
      renderStep(menuFlow, call, { step: 'dial', at: 'menu.1', agent: 0, dialStatus: 'completed' }),
    );
    expect(answered.map((n) => n.name)).toEqual(['Hangup']);
  });

  it('a simultaneous dial nobody answers goes to the configured no-answer voicemail', () => {
    const f = flow({
      action: { dial: { agents: ['sip:a@pbx.example.com', 'sip:b@pbx.example.com'] } },
      noAnswer: { voicemail: { maxLengthSeconds: 45 } },
    });
    const elements = renderStep(f, call, {
      step: 'dial',
      at: 'action',
      agent: 'all',
      dialStatus: 'timeout',
    });
    const [record, hangup] = xmlOf(elements);
    expect(record?.name).toBe('Record');
    expect(record?.attributes).toMatchObject({
      maxLength: '45',
      finishOnKey: '#',
      playBeep: 'true',
    });
    expect(query(record?.attributes.action)).toEqual({ step: 'voicemail', at: 'noAnswer' });
    expect(hangup?.name).toBe('Hangup');
    expectSdkEqual(elements);
  });

  it('a voicemail: prompt, Record with its callback, then thanks after the recording', () => {
    const f = flow({
      action: {
        voicemail: {
          prompt: { speak: 'Leave a message.', language: 'hi-IN' },
          maxLengthSeconds: 90,
          callbackUrl: 'https://crm.example.com/recordings?a=1&b=2',
          thanks: 'Thank you.',
        },
      },
    });
    const elements = renderAnswer(f, call, 0);
    const nodes = xmlOf(elements);
    expect(nodes.map((n) => n.name)).toEqual(['Speak', 'Record', 'Hangup']);
    expect(nodes[1]?.attributes).toMatchObject({
      maxLength: '90',
      callbackUrl: 'https://crm.example.com/recordings?a=1&b=2',
      callbackMethod: 'POST',
    });
    expectSdkEqual(elements);
    const after = xmlOf(renderStep(f, call, { step: 'voicemail', at: 'action' }));
    expect(after.map((n) => [n.name, n.text])).toEqual([
      ['Speak', 'Thank you.'],
      ['Hangup', ''],
    ]);
  });

  it('out of hours: the closed action instead of the greeting', () => {
    const f = flow({
      greeting: 'Welcome.',
      action: { dial: { agents: ['sip:a@pbx.example.com'] } },
      hours: {
        timeZone: 'Asia/Kolkata',
        weekly: { mon: ['09:30-18:30'] },
        holidays: ['2026-03-09'],
        closed: { message: 'We are closed.' },
      },
    });
    expect(xmlOf(renderAnswer(f, call, monday10amIst)).map((n) => n.name)).toEqual([
      'Speak',
      'Dial',
    ]);
    const closedTimes = [
      Date.UTC(2026, 2, 2, 3, 59), // Mon 09:29 IST
      Date.UTC(2026, 2, 3, 4, 30), // Tue 10:00 IST: no hours on Tuesdays
      Date.UTC(2026, 2, 9, 4, 30), // Mon 9 Mar 10:00 IST: a holiday
    ];
    for (const now of closedTimes) {
      expect(xmlOf(renderAnswer(f, call, now)).map((n) => [n.name, n.text])).toEqual([
        ['Speak', 'We are closed.'],
        ['Hangup', ''],
      ]);
    }
  });

  it('escapes text and drops characters XML cannot carry', () => {
    const nasty = `"Tom" & 'Jerry' <b>bold</b> ]]> \u0001 done`;
    const elements = renderAnswer(flow({ greeting: nasty, action: { hangup: true } }), call, 0);
    expect(xmlOf(elements)[0]?.text).toBe(nasty.replace('\u0001', ''));
  });

  it('keeps the largest flow the schema allows under Plivo 100 KB limit', () => {
    const agents = Array.from(
      { length: 20 },
      (_, i) => `sip:agent-with-a-long-name-${i}@pbx.example.com`,
    );
    const f = flow({
      greeting: '&'.repeat(3000),
      menu: {
        prompt: '<'.repeat(3000),
        retries: 5,
        options: Object.fromEntries(
          Array.from({ length: 10 }, (_, d) => [String(d), { dial: { agents } }]),
        ),
        noInput: { dial: { agents } },
      },
    });
    const document = renderPlivoXml(renderAnswer(f, call, 0));
    expect(Buffer.byteLength(document)).toBeLessThan(100 * 1024);
    expect(xmlOf(renderAnswer(f, call, 0)).map((n) => n.name)).toEqual([
      'Speak',
      ...Array(6).fill('GetInput'),
      'Dial',
    ]);
  });

  it('a refusal is a short Speak and Hangup', () => {
    const elements = renderRefusal('All lines are busy.');
    expect(xmlOf(elements).map((n) => [n.name, n.text])).toEqual([
      ['Speak', 'All lines are busy.'],
      ['Hangup', ''],
    ]);
    expectSdkEqual(elements);
  });
});

describe('the guard: a WhatsApp call never reaches PSTN or another WhatsApp user', () => {
  const example = () => JSON.parse(readFileSync(exampleConfigPath, 'utf8'));

  it.each([
    ['+14155550100', 'phone number'],
    ['14155550100', 'phone number'],
    ['+91 94123 41234', 'phone number'],
    ['tel:+14155550100', 'phone number'],
    ['whatsapp:+919412341234', 'WhatsApp user'],
    ['WA:919412341234', 'WhatsApp user'],
    ['sip:+919412341234@gateway.example.com', 'phone number'],
    ['sip:whatsapp:919412341234@x.example.com', 'WhatsApp user'],
  ])('the configuration refuses %s, naming the entry', (target, kind) => {
    const raw = example();
    raw.numbers[0].inbound.menu.options['1'].dial.agents[0] = target;
    expect(() => parseConfig(raw, 'callgate.json')).toThrow(
      new RegExp(`numbers\\[0\\]\\.inbound\\.menu\\.options\\.1\\.dial\\.agents\\[0\\]: .*${kind}`),
    );
  });

  it('checks every place a dial can be: the action, menu no-input', () => {
    const raw = example();
    raw.numbers[1].inbound.action.dial.agents.push('+18765550199');
    raw.numbers[0].inbound.menu.noInput.dial.agents[0] = '918035737458';
    expect(() => parseConfig(raw, 'callgate.json')).toThrow(
      /numbers\[0\]\.inbound\.menu\.noInput\.dial\.agents\[0\][\s\S]*numbers\[1\]\.inbound\.action\.dial\.agents\[1\]/,
    );
  });

  it('no-answer and closed actions cannot dial at all', () => {
    const raw = example();
    raw.numbers[0].inbound.noAnswer = { dial: { agents: ['sip:a@pbx.example.com'] } };
    expect(() => parseConfig(raw, 'callgate.json')).toThrow(/numbers\[0\]\.inbound\.noAnswer/);
  });

  it('allows SIP URIs (extensions included) and Plivo endpoints', () => {
    for (const target of ['sip:1001@pbx.example.com', 'sip:support@phone.plivo.com', 'desk_42']) {
      expect(dialTargetRefusal(target)).toBeUndefined();
    }
    expect(() => parseConfig(example(), 'callgate.json')).not.toThrow();
  });

  it('property: any phone number is refused by the schema and by the renderer', () => {
    fc.assert(
      fc.property(
        fc.stringMatching(/^\+?[1-9]\d{6,14}$/),
        fc.constantFrom('', 'sip:', 'whatsapp:'),
        (digits, prefix) => {
          const target = prefix === 'sip:' ? `sip:${digits}@gw.example.com` : `${prefix}${digits}`;
          expect(callFlowSchema.safeParse({ action: { dial: { agents: [target] } } }).success).toBe(
            false,
          );
          // A flow that skipped validation still cannot render the forward.
          const unchecked = {
            action: { dial: { agents: [target], mode: 'simultaneous', ringSeconds: 30 } },
            noAnswer: { hangup: true },
          } as CallFlow;
          expect(() => renderAnswer(unchecked, call, 0)).toThrow(ForbiddenForward);
        },
      ),
    );
  });

  it('the renderer refuses <Number>, a phone-number <User> and callType="whatsapp"', () => {
    const dial = (attributes: Record<string, string>, child: XmlElement) =>
      element('Dial', attributes, [child]);
    expect(() =>
      assertNoForbiddenForward([dial({}, element('Number', {}, ['14155550100']))]),
    ).toThrow(/<Number>/);
    expect(() =>
      assertNoForbiddenForward([dial({}, element('User', {}, ['919412341234']))]),
    ).toThrow(/<User>/);
    expect(() =>
      assertNoForbiddenForward([
        dial({ callType: 'whatsapp' }, element('User', {}, ['sip:a@pbx.example.com'])),
      ]),
    ).toThrow(/WhatsApp user/);
    expect(() =>
      assertNoForbiddenForward([dial({}, element('User', {}, ['sip:a@pbx.example.com']))]),
    ).not.toThrow();
  });
});
