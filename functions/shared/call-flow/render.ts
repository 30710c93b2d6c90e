import { sipAddress } from '../config/agent.js';
import type {
  Action,
  CallFlow,
  Dial,
  Prompt,
  TerminalAction,
  Voicemail,
} from '../config/call-flow.js';
import { element, type XmlElement } from '../plivo/xml.js';
import { isOpen } from '../rules/hours.js';
import { assertNoForbiddenForward } from './guard.js';

/**
 * Plivo XML for an inbound WhatsApp call, as pure functions of the flow, the call and `now`. Every step
 * that needs the caller's answer (a key, a dial's outcome, a recording) sends Plivo back to the answer
 * URL with `step` and `at` (which action of the flow) in the query; those continuations are rendered by
 * `renderStep` without any storage.
 *
 * Differences from the Plivo SDK's builder (`plivo.Response`): none in the elements emitted here. The
 * SDK rejects `callType` on `<Dial>`; inbound dials need none, since they reach SIP users/endpoints, and
 * `callType="whatsapp"` (dialing a WhatsApp user) is exactly what a forwarded WhatsApp call must never do.
 */

export interface InboundCall {
  /** The public answer URL (`publicBaseUrl` + answer path): continuations come back to it. */
  readonly answerUrl: string;
  /** A bridged call ends after this (Dial `timeLimit`); its lease allows for ringing on top (rules/concurrency.ts). */
  readonly maxCallSeconds: number;
}

/** Where an action sits in the flow: continuations name it in the query. */
export type ActionAt = 'action' | 'noAnswer' | 'closed' | 'menu.noInput' | `menu.${number}`;

export type FlowStep =
  /** Plivo offered the menu's `attempt`-th try and the caller pressed `digits` (maybe none). */
  | { readonly step: 'menu'; readonly attempt: number; readonly digits: string }
  /** A dial of the action at `at` ended: `agent` is the index rung (sequential) or `all`. */
  | {
      readonly step: 'dial';
      readonly at: ActionAt;
      readonly agent: number | 'all';
      readonly dialStatus: string;
    }
  /** The voicemail of the action at `at` was recorded. */
  | { readonly step: 'voicemail'; readonly at: ActionAt };

export class UnknownStep extends Error {
  override name = 'UnknownStep';
}

const continuation = (call: InboundCall, params: Record<string, string | number>): string =>
  `${call.answerUrl}?${new URLSearchParams(
    Object.fromEntries(Object.entries(params).map(([k, v]) => [k, String(v)])),
  ).toString()}`;

export const renderPrompt = (prompt: Prompt): XmlElement =>
  'play' in prompt
    ? element('Play', {}, [prompt.play])
    : element('Speak', { voice: prompt.voice, language: prompt.language }, [prompt.speak]);

const hangup = (): XmlElement => element('Hangup');

const renderVoicemail = (voicemail: Voicemail, at: ActionAt, call: InboundCall): XmlElement[] => [
  ...(voicemail.prompt ? [renderPrompt(voicemail.prompt)] : []),
  element('Record', {
    action: continuation(call, { step: 'voicemail', at }),
    method: 'POST',
    maxLength: voicemail.maxLengthSeconds,
    finishOnKey: '#',
    playBeep: true,
    callbackUrl: voicemail.callbackUrl,
    callbackMethod: voicemail.callbackUrl ? 'POST' : undefined,
  }),
  // Reached only when Plivo records nothing and does not call the action.
  hangup(),
];

const renderTerminal = (
  action: TerminalAction | Action,
  at: ActionAt,
  call: InboundCall,
): XmlElement[] => {
  if (action.message) return [renderPrompt(action.message), hangup()];
  if (action.voicemail) return renderVoicemail(action.voicemail, at, call);
  return [hangup()];
};

const renderDial = (
  dial: Dial,
  at: ActionAt,
  agent: number | 'all',
  call: InboundCall,
): XmlElement[] => {
  const agents = agent === 'all' ? dial.agents : dial.agents.slice(agent, agent + 1);
  return [
    element(
      'Dial',
      {
        action: continuation(call, { step: 'dial', at, agent }),
        method: 'POST',
        timeout: dial.ringSeconds,
        timeLimit: call.maxCallSeconds,
      },
      agents.map((target) => element('User', {}, [sipAddress(target)])),
    ),
  ];
};

const renderAction = (action: Action, at: ActionAt, call: InboundCall): XmlElement[] =>
  action.dial
    ? renderDial(action.dial, at, action.dial.mode === 'simultaneous' ? 'all' : 0, call)
    : renderTerminal(action, at, call);

/**
 * The menu from try `attempt` on: one `<GetInput>` per remaining try (Plivo moves to the next element
 * when no key is pressed), then the no-input action. Plivo's GetInput has no retries attribute.
 */
const renderMenu = (flow: CallFlow, attempt: number, call: InboundCall): XmlElement[] => {
  const menu = flow.menu;
  if (!menu) throw new UnknownStep('this flow has no menu');
  const tries: XmlElement[] = [];
  for (let i = attempt; i <= menu.retries; i++) {
    tries.push(
      element(
        'GetInput',
        {
          action: continuation(call, { step: 'menu', attempt: i }),
          method: 'POST',
          inputType: 'dtmf',
          numDigits: 1,
          executionTimeout: menu.timeoutSeconds,
        },
        [renderPrompt(menu.prompt)],
      ),
    );
  }
  return [
    ...tries,
    ...(menu.noInput ? renderAction(menu.noInput, 'menu.noInput', call) : [hangup()]),
  ];
};

const actionAt = (flow: CallFlow, at: ActionAt): Action | TerminalAction => {
  const found =
    at === 'action'
      ? flow.action
      : at === 'noAnswer'
        ? flow.noAnswer
        : at === 'closed'
          ? flow.hours?.closed
          : at === 'menu.noInput'
            ? flow.menu?.noInput
            : flow.menu?.options[at.slice('menu.'.length)];
  if (!found) throw new UnknownStep(`the flow has no action at ${at}`);
  return found;
};

const checked = (elements: XmlElement[]): XmlElement[] => {
  assertNoForbiddenForward(elements);
  return elements;
};

/** The answer to a new inbound call: out of hours the closed action, else the greeting and the menu or action. */
export const renderAnswer = (flow: CallFlow, call: InboundCall, now: number): XmlElement[] => {
  if (flow.hours && !isOpen(flow.hours, now)) {
    return checked(renderTerminal(flow.hours.closed, 'closed', call));
  }
  const greeting = flow.greeting ? [renderPrompt(flow.greeting)] : [];
  const rest = flow.menu
    ? renderMenu(flow, 0, call)
    : renderAction(actionAt(flow, 'action') as Action, 'action', call);
  return checked([...greeting, ...rest]);
};

const isMenuKey = (digits: string): digits is `${number}` => /^[0-9]$/.test(digits);

/** A continuation: what follows a key press, a dial's outcome or a recording. */
export const renderStep = (flow: CallFlow, call: InboundCall, step: FlowStep): XmlElement[] => {
  switch (step.step) {
    case 'menu': {
      const menu = flow.menu;
      if (!menu) throw new UnknownStep('this flow has no menu');
      if (isMenuKey(step.digits) && menu.options[step.digits]) {
        const at: ActionAt = `menu.${step.digits}`;
        return checked(renderAction(actionAt(flow, at) as Action, at, call));
      }
      if (step.attempt < menu.retries) return checked(renderMenu(flow, step.attempt + 1, call));
      return checked(menu.noInput ? renderAction(menu.noInput, 'menu.noInput', call) : [hangup()]);
    }
    case 'dial': {
      // The caller talked to an agent and the agent hung up: nothing more to do.
      if (step.dialStatus === 'completed') return [hangup()];
      const action = actionAt(flow, step.at) as Action;
      if (!action.dial) throw new UnknownStep(`the action at ${step.at} does not dial`);
      const next = step.agent === 'all' ? action.dial.agents.length : step.agent + 1;
      if (next < action.dial.agents.length) {
        return checked(renderDial(action.dial, step.at, next, call));
      }
      return checked(renderTerminal(flow.noAnswer, 'noAnswer', call));
    }
    case 'voicemail': {
      const action = actionAt(flow, step.at);
      if (!action.voicemail) throw new UnknownStep(`the action at ${step.at} takes no voicemail`);
      return [
        ...(action.voicemail.thanks ? [renderPrompt(action.voicemail.thanks)] : []),
        hangup(),
      ];
    }
  }
};

/** A short message and `<Hangup>`: unconfigured number, malformed request, or no capacity left. */
export const renderRefusal = (text: string): XmlElement[] => [
  element('Speak', {}, [text]),
  hangup(),
];

const hasAction = (node: XmlElement): boolean =>
  node.attributes.action !== undefined ||
  node.children.some((child) => typeof child !== 'string' && hasAction(child));

/**
 * Whether Plivo ends the call once this document has played, without coming back to callgate: it ends
 * in `<Hangup>` and nothing in it has an action URL (a menu, a dial or a recording comes back).
 */
export const endsTheCall = (elements: readonly XmlElement[]): boolean =>
  elements.at(-1)?.name === 'Hangup' && !elements.some(hasAction);
