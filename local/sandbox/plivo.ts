import { randomUUID } from 'node:crypto';
import type { Clock } from '../../functions/shared/clock.js';
import type { Config } from '../../functions/shared/config/schema.js';
import type { Logger } from '../../functions/shared/log.js';
import { parsePhoneNumber, plivoDigits } from '../../functions/shared/numbers.js';
import { computeV3Signature } from '../../functions/shared/plivo/signature.js';
import { plivoUrls } from '../../functions/shared/routes.js';
import { isOpen } from '../../functions/shared/rules/hours.js';
import type { CallParams, MessageParams } from '../../functions/shared/telephony/port.js';
import { isBsuid } from '../../functions/shared/users.js';
import { type PlivoNode, parsePlivoXml } from './plivo-xml.js';
import type { TelephonyListener } from './telephony.js';
import type { Timeline } from './timeline.js';
import {
  type AgentBehaviour,
  type Behaviour,
  defaultAgentBehaviour,
  defaultBehaviour,
} from './users.js';

export type CallStatus = 'ringing' | 'answered' | 'in-flow' | 'connected' | 'ended';

export interface PendingRequest {
  readonly business: string;
  /** The template's name, or `interactive` for a free-form request. */
  readonly template: string;
  /** How callgate sent it: a template, or the interactive message inside the window. */
  readonly kind: 'template' | 'interactive';
  /** The interactive request's body text, when it has one. */
  readonly body?: string;
  readonly at: string;
}

/** What Meta's account_update the sandbox sends restricts on a business number, for how long. */
export interface AccountUpdateRequest {
  readonly business: string;
  readonly seconds: number;
  readonly pauseCalls: boolean;
  readonly hideCallButton: boolean;
}

export interface UserCallView {
  readonly callUuid: string;
  readonly direction: 'inbound' | 'outbound';
  readonly business: string;
  readonly status: CallStatus;
  readonly startedAt: string;
}

export interface UserView {
  /** The user's number, or the BSUID of a user with a username whose number Meta does not show. */
  readonly number: string;
  /** The user's business-scoped user ID when they have a username (then Plivo's fields carry it). */
  readonly userId: string | null;
  readonly behaviour: Behaviour;
  readonly requests: readonly PendingRequest[];
  readonly calls: readonly UserCallView[];
}

export interface SandboxState {
  readonly now: string;
  readonly simulating: boolean;
  readonly businesses: readonly {
    readonly number: string;
    readonly inbound: 'menu' | 'action';
    readonly menuKeys: readonly string[];
    readonly hours: { readonly timeZone: string; readonly openNow: boolean } | null;
  }[];
  readonly agents: AgentBehaviour;
  readonly users: readonly UserView[];
}

export interface WebhookAnswer {
  readonly status: number;
  readonly contentType: string;
  readonly body: string;
}

/** A user action the simulation cannot take (no such call, nothing ringing): the API answers 409. */
export class SandboxConflict extends Error {
  override name = 'SandboxConflict';
}

/** What the user did to a ringing business call, or to a live call. */
type UserSignal = 'answer' | 'decline' | 'hangup';

interface SimulatedCall {
  /** Plivo's CallUUID of the first leg: the user's for an inbound call, the agent's for a placed one. */
  readonly callUuid: string;
  readonly direction: 'inbound' | 'outbound';
  readonly business: string;
  /** The WhatsApp user: the caller of an inbound call, the one a placed call's `<Dial>` rings. */
  user: string | undefined;
  status: CallStatus;
  readonly startedAt: number;
  answeredAt: number | undefined;
  readonly hangupUrl: string;
  /** Parameters Plivo sends on every request about this call. */
  readonly params: Record<string, string>;
  /** Keys the user pressed, not yet taken by a `<GetInput>`. */
  readonly keys: string[];
  /** Whether the user presses keys live (no digits were given when the call started). */
  readonly liveKeys: boolean;
  signals: UserSignal[];
}

export interface SandboxPlivo extends TelephonyListener {
  state(): SandboxState;
  user(number: string): UserView | undefined;
  /** Creates or changes a user: `userId` gives a user known by their number a username too. */
  setUser(number: string, behaviour: Partial<Behaviour> & { readonly userId?: string }): UserView;
  setAgents(behaviour: Partial<AgentBehaviour>): AgentBehaviour;
  /** The user answers a call-permission request: Plivo posts the reply to the message webhook. */
  permissionReply(
    user: string,
    reply: { business: string; response: 'accept' | 'reject'; permanent: boolean },
  ): Promise<WebhookAnswer>;
  /** The user sends the business a text: Plivo posts it to the message webhook (it opens the window). */
  message(user: string, business: string, text: string): Promise<WebhookAnswer>;
  /** Meta restricts a business number: Plivo posts Meta's account_update to the message webhook. */
  accountUpdate(update: AccountUpdateRequest): Promise<WebhookAnswer>;
  /** The user calls a business number: the call runs through its flow. Returns Plivo's CallUUID. */
  call(user: string, business: string, digits: string): string;
  /** The user answers, declines or hangs up a call (the latest one when no CallUUID is given). */
  signal(user: string, signal: UserSignal, callUuid?: string): void;
  pressKeys(user: string, digits: string): void;
  /** The clock moved: waits that are now due end at once. */
  clockMoved(): void;
  /** Resolves once no call is live and no message waits to be delivered. */
  idle(): Promise<void>;
  /**
   * Ends every call and pending request without a callback (as if they never were), and forgets the
   * users and the agents' behaviour: the simulation starts again.
   */
  reset(): Promise<void>;
  close(): Promise<void>;
}

export interface SandboxPlivoOptions {
  readonly clock: Clock;
  /** Where the sandbox sends its requests: the local host itself. */
  readonly hostUrl: string;
  /** The public URL callgate hands Plivo; requests are signed over it, as Plivo signs what it calls. */
  readonly publicBaseUrl: string;
  readonly authToken: string;
  readonly config: Config;
  readonly timeline: Timeline;
  readonly logger: Logger;
  /** Whether it plays calls and users; without, the sandbox only records the API requests. */
  readonly simulate: boolean;
}

/** How often waits on the sandbox clock are checked (it moves in real time as well as by jumps). */
const tickMs = 100;
/** Plivo's answer_url request comes moments after the Call API request, never inside it. */
const callSetupMs = 150;
/** A webhook answered 5xx or not at all is tried twice more, as Plivo retries its callbacks. */
const webhookAttempts = 3;
const webhookTimeoutMs = 10_000;
/** A `<Dial>` without `timeout` rings this long (Plivo's default). */
const defaultDialTimeoutSeconds = 30;
/** Followed `<Redirect>`s and actions of one call: a loop in the flow ends the call instead of the sandbox. */
const maxDocumentsPerCall = 50;

const plivoTime = (ms: number) => new Date(ms).toISOString().slice(0, 19).replace('T', ' ');

const e164Of = (digits: string): string | undefined => parsePhoneNumber(digits)?.e164;

const secondsAttribute = (node: PlivoNode, name: string, fallback: number): number => {
  const value = Number(node.attributes[name]);
  return Number.isFinite(value) && value >= 0 ? value : fallback;
};

/**
 * The sandbox's Plivo: takes callgate's Call and Message API requests, plays the calls (requests the
 * answer URL signed as Plivo signs it, runs the XML it gets, sends the actions and the hangup callback
 * in Plivo's order) and plays the WhatsApp users and the business's agents with the behaviour set for
 * them. Time is the sandbox clock's: a ring or a talk ends when the clock reaches its end, so moving the
 * clock forward ends it at once.
 */
export const createSandboxPlivo = (options: SandboxPlivoOptions): SandboxPlivo => {
  const { clock, timeline, logger } = options;
  const users = new Map<
    string,
    {
      behaviour: Behaviour;
      requests: PendingRequest[];
      calls: SimulatedCall[];
      userId: string | undefined;
    }
  >();
  let agents: AgentBehaviour = { ...defaultAgentBehaviour };
  const calls = new Set<SimulatedCall>();
  const running = new Set<Promise<void>>();
  const waiters = new Set<{ check: () => boolean; resolve: () => void }>();
  let closed = false;

  const sweep = () => {
    for (const waiter of waiters) {
      if (closed || waiter.check()) {
        waiters.delete(waiter);
        waiter.resolve();
      }
    }
  };
  const ticker = setInterval(sweep, tickMs);
  ticker.unref();
  const waitUntil = (check: () => boolean): Promise<void> =>
    new Promise((resolve) => {
      if (closed || check()) resolve();
      else waiters.add({ check, resolve });
    });
  const _clockReaches = (at: number) => () => clock() >= at;

  const userEntry = (number: string) => {
    let entry = users.get(number);
    if (!entry) {
      // A user named by a BSUID is one with a username whose number Meta does not show.
      entry = {
        behaviour: { ...defaultBehaviour },
        requests: [],
        calls: [],
        userId: isBsuid(number) ? number : undefined,
      };
      users.set(number, entry);
    }
    return entry;
  };

  const viewOf = (number: string): UserView | undefined => {
    const entry = users.get(number);
    if (!entry) return undefined;
    return {
      number,
      userId: entry.userId ?? null,
      behaviour: { ...entry.behaviour },
      requests: [...entry.requests],
      calls: entry.calls
        .filter((c) => c.status !== 'ended')
        .map((c) => ({
          callUuid: c.callUuid,
          direction: c.direction,
          business: c.business,
          status: c.status,
          startedAt: new Date(c.startedAt).toISOString(),
        })),
    };
  };

  /** Starts a piece of the simulation in the background, after `delayMs` of real time. */
  const start = (work: () => Promise<void>, delayMs = callSetupMs) => {
    const job = (async () => {
      await new Promise((resolve) => setTimeout(resolve, delayMs));
      if (closed) return;
      try {
        await work();
      } catch (error) {
        logger.error('the sandbox failed to play its part', { error: error as Error });
      }
    })();
    running.add(job);
    void job.finally(() => running.delete(job));
  };

  /** Sends a request to callgate as Plivo does: form body, V3 signature over the public URL. */
  const send = async (
    target: { url: string; method: string; params: Record<string, string> },
    about: { callUuid?: string; user?: string; business?: string },
  ): Promise<WebhookAnswer | undefined> => {
    if (closed) return undefined;
    const { url, params } = target;
    const method = target.method.toUpperCase() === 'GET' ? 'GET' : 'POST';
    if (!url.startsWith(`${options.publicBaseUrl}/`)) {
      timeline.add({
        kind: 'call',
        summary: `Plivo would ${method} ${url}: the sandbox calls only callgate`,
        ...about,
        request: { method, url, params },
      });
      return undefined;
    }
    const local = `${options.hostUrl}${url.slice(options.publicBaseUrl.length)}`;
    for (let attempt = 1; attempt <= webhookAttempts; attempt++) {
      const nonce = String(Math.floor(Math.random() * 1e15)).padStart(15, '0');
      const signature = computeV3Signature({
        method,
        url,
        params,
        nonce,
        authToken: options.authToken,
      });
      const headers = { 'X-Plivo-Signature-V3': signature, 'X-Plivo-Signature-V3-Nonce': nonce };
      const body = new URLSearchParams(params).toString();
      let answer: WebhookAnswer | undefined;
      try {
        const response = await fetch(
          method === 'GET' ? `${local}${local.includes('?') ? '&' : '?'}${body}` : local,
          {
            method,
            headers:
              method === 'GET'
                ? headers
                : { ...headers, 'content-type': 'application/x-www-form-urlencoded' },
            ...(method === 'GET' ? {} : { body }),
            signal: AbortSignal.timeout(webhookTimeoutMs),
          },
        );
        answer = {
          status: response.status,
          contentType: response.headers.get('content-type') ?? '',
          body: await response.text(),
        };
      } catch (error) {
        if (closed) return undefined;
        timeline.add({
          kind: 'webhook',
          summary: `Plivo ${method} ${new URL(url).pathname}: no answer (${(error as Error).message})`,
          ...about,
          request: { method, url, params },
        });
      }
      if (answer) {
        timeline.add({
          kind: 'webhook',
          summary: `Plivo ${method} ${new URL(url).pathname} → ${answer.status}`,
          ...about,
          request: { method, url, params },
          response: answer,
        });
        if (answer.status < 500) return answer;
      }
      if (attempt < webhookAttempts) await new Promise((resolve) => setTimeout(resolve, 200));
    }
    return undefined;
  };

  const say = (call: SimulatedCall, summary: string, detail?: unknown) =>
    timeline.add({
      kind: 'call',
      summary,
      callUuid: call.callUuid,
      business: call.business,
      ...(call.user ? { user: call.user } : {}),
      ...(detail === undefined ? {} : { detail }),
    });

  const about = (call: SimulatedCall) => ({
    callUuid: call.callUuid,
    business: call.business,
    ...(call.user ? { user: call.user } : {}),
  });

  const takeSignal = (call: SimulatedCall, wanted: readonly UserSignal[]) => {
    const index = call.signals.findIndex((s) => wanted.includes(s));
    if (index === -1) return undefined;
    return call.signals.splice(index, 1)[0];
  };
  const hungUp = (call: SimulatedCall) => call.signals.includes('hangup');
  /** Only the caller of an inbound call ends the whole call by hanging up; a placed call's user ends the dial. */
  const callerHungUp = (call: SimulatedCall) => call.direction === 'inbound' && hungUp(call);
  const detachUser = (call: SimulatedCall) => {
    const entry = call.user ? users.get(call.user) : undefined;
    if (entry) entry.calls = entry.calls.filter((c) => c !== call);
  };

  /** The WhatsApp user a placed call's `<Dial callType="whatsapp">` rings: answered, or why not. */
  const ringUser = async (
    call: SimulatedCall,
    timeoutSeconds: number,
  ): Promise<'answered' | 'no-answer' | 'busy'> => {
    if (!call.user) return 'no-answer';
    const behaviour = userEntry(call.user).behaviour;
    userEntry(call.user).calls.push(call);
    const ringStart = clock();
    const timeoutAt = ringStart + timeoutSeconds * 1000;
    call.status = 'ringing';
    say(call, `rings the WhatsApp user ${call.user} (${behaviour.calls})`);
    if (behaviour.calls === 'ask') {
      await waitUntil(() => call.signals.length > 0 || clock() >= timeoutAt);
      const signal = takeSignal(call, ['answer', 'decline', 'hangup']);
      if (signal === 'answer') return 'answered';
      if (signal === 'decline' || signal === 'hangup') return 'busy';
      return 'no-answer';
    }
    // A miss rings for the user's ringSeconds rather than Plivo's whole timeout, so a tour need not wait.
    const actAt = ringStart + Math.min(behaviour.ringSeconds * 1000, timeoutSeconds * 1000);
    await waitUntil(() => call.signals.length > 0 || clock() >= actAt);
    const signal = takeSignal(call, ['answer', 'decline', 'hangup']);
    if (signal === 'answer') return 'answered';
    if (signal) return 'busy';
    if (behaviour.calls === 'answer') return clock() >= timeoutAt ? 'no-answer' : 'answered';
    return behaviour.calls === 'busy' ? 'busy' : 'no-answer';
  };

  /** The business's agents a flow's `<Dial>` rings: they answer or not as `agents` says. */
  const ringAgents = async (
    call: SimulatedCall,
    targets: readonly string[],
    timeoutSeconds: number,
  ): Promise<'answered' | 'no-answer' | 'busy' | 'caller-hung-up'> => {
    say(call, `rings ${targets.join(', ')} (agents: ${agents.calls})`);
    const actAt = clock() + Math.min(agents.ringSeconds, timeoutSeconds) * 1000;
    await waitUntil(() => callerHungUp(call) || clock() >= actAt);
    if (callerHungUp(call)) return 'caller-hung-up';
    if (agents.calls === 'answer')
      return agents.ringSeconds <= timeoutSeconds ? 'answered' : 'no-answer';
    return agents.calls === 'busy' ? 'busy' : 'no-answer';
  };

  /** Both ends talk until the user hangs up, the user's talk time or the `<Dial>`'s timeLimit ends. */
  const talk = async (call: SimulatedCall, timeLimitSeconds: number) => {
    const user = call.user ? userEntry(call.user).behaviour : defaultBehaviour;
    const talkSeconds =
      user.talkSeconds === null ? timeLimitSeconds : Math.min(user.talkSeconds, timeLimitSeconds);
    const endAt = clock() + talkSeconds * 1000;
    call.status = 'connected';
    await waitUntil(() => hungUp(call) || clock() >= endAt);
  };

  const dialCauses = {
    completed: 'NORMAL_CLEARING',
    'no-answer': 'NO_ANSWER',
    busy: 'USER_BUSY',
  } as const;

  type Next =
    | { readonly url: string; readonly method: string; readonly params: Record<string, string> }
    | { readonly end: string };

  const runDial = async (call: SimulatedCall, dial: PlivoNode): Promise<Next | undefined> => {
    const targets = dial.children
      .filter((c) => c.name === 'User' || c.name === 'Number')
      .map((c) => c.text.trim());
    const timeoutSeconds = secondsAttribute(dial, 'timeout', defaultDialTimeoutSeconds);
    const timeLimitSeconds = secondsAttribute(dial, 'timeLimit', 14_400);
    let outcome: 'answered' | 'no-answer' | 'busy' | 'caller-hung-up';
    if (dial.attributes.callType?.toLowerCase() === 'whatsapp') {
      const user = targets.length === 1 ? e164Of(targets[0] ?? '') : undefined;
      if (!user) {
        say(call, `cannot dial ${targets.join(', ') || 'nobody'}: not one WhatsApp number`);
        outcome = 'no-answer';
      } else {
        call.user = user;
        outcome = await ringUser(call, timeoutSeconds);
      }
    } else {
      outcome = await ringAgents(call, targets, timeoutSeconds);
    }
    if (outcome === 'caller-hung-up') return { end: 'Caller' };
    const dialStatus = outcome === 'answered' ? 'completed' : outcome;
    const bLegUuid = outcome === 'answered' ? randomUUID() : '';
    if (outcome === 'answered') {
      say(call, 'connected');
      await talk(call, timeLimitSeconds);
      // An inbound caller hanging up ends the whole call: Plivo runs no more of its XML.
      if (callerHungUp(call)) return { end: 'Caller' };
    }
    say(call, `the dial ended: ${dialStatus}`);
    // The user of a placed call leaves it with the dial; the agent's leg runs on.
    if (call.direction === 'outbound') {
      takeSignal(call, ['hangup']);
      detachUser(call);
    }
    call.status = 'in-flow';
    if (!dial.attributes.action) return undefined;
    return {
      url: dial.attributes.action,
      method: dial.attributes.method ?? 'POST',
      params: {
        ...call.params,
        CallStatus: 'in-progress',
        DialStatus: dialStatus,
        DialALegUUID: call.callUuid,
        DialBLegUUID: bLegUuid,
        DialRingStatus: 'true',
        DialHangupCause: dialCauses[dialStatus],
      },
    };
  };

  /** Keys for a `<GetInput>`: those pressed already, or live ones within its executionTimeout. */
  const collectKeys = async (call: SimulatedCall, input: PlivoNode): Promise<string> => {
    const wanted = Math.max(1, secondsAttribute(input, 'numDigits', 1));
    if (call.keys.length === 0 && call.liveKeys) {
      const until = clock() + secondsAttribute(input, 'executionTimeout', 15) * 1000;
      await waitUntil(() => call.keys.length > 0 || callerHungUp(call) || clock() >= until);
    }
    return call.keys.splice(0, wanted).join('');
  };

  /** Runs one XML document; returns where Plivo goes next (an action, a redirect) or why it ended. */
  const runDocument = async (call: SimulatedCall, verbs: readonly PlivoNode[]): Promise<Next> => {
    for (const verb of verbs) {
      if (callerHungUp(call)) return { end: 'Caller' };
      switch (verb.name) {
        case 'Speak':
          say(call, `speaks “${verb.text}”`);
          break;
        case 'Play':
          say(call, `plays ${verb.text}`);
          break;
        case 'Wait':
          say(call, `waits ${secondsAttribute(verb, 'length', 1)} s`);
          break;
        case 'GetInput': {
          for (const prompt of verb.children) {
            say(call, prompt.name === 'Play' ? `plays ${prompt.text}` : `asks “${prompt.text}”`);
          }
          const digits = await collectKeys(call, verb);
          if (callerHungUp(call)) return { end: 'Caller' };
          if (!digits) {
            say(call, 'no key pressed');
            break;
          }
          say(call, `the caller pressed ${digits}`);
          if (!verb.attributes.action) break;
          return {
            url: verb.attributes.action,
            method: verb.attributes.method ?? 'POST',
            params: { ...call.params, CallStatus: 'in-progress', Digits: digits },
          };
        }
        case 'Dial': {
          const next = await runDial(call, verb);
          if (next) return next;
          break;
        }
        case 'Record': {
          const seconds = Math.min(5, secondsAttribute(verb, 'maxLength', 60));
          say(call, `records a message of ${seconds} s`);
          const recordingId = randomUUID();
          const recording = {
            RecordUrl: `https://media.plivo.com/v1/Account/sandbox/Recording/${recordingId}.mp3`,
            RecordingID: recordingId,
            RecordingDuration: String(seconds),
            RecordingDurationMs: String(seconds * 1000),
          };
          if (verb.attributes.callbackUrl) {
            await send(
              {
                url: verb.attributes.callbackUrl,
                method: verb.attributes.callbackMethod ?? 'POST',
                params: { ...call.params, ...recording },
              },
              about(call),
            );
          }
          if (!verb.attributes.action) break;
          return {
            url: verb.attributes.action,
            method: verb.attributes.method ?? 'POST',
            params: { ...call.params, CallStatus: 'in-progress', ...recording },
          };
        }
        case 'Redirect':
          return {
            url: verb.text.trim(),
            method: verb.attributes.method ?? 'POST',
            params: { ...call.params, CallStatus: 'in-progress' },
          };
        case 'Hangup':
          return { end: 'Answer XML' };
        default:
          say(call, `skips <${verb.name}>, which the sandbox does not play`);
      }
    }
    // Plivo ends a call whose XML ran out.
    return { end: 'Answer XML' };
  };

  /** A call from its answer URL to its hangup callback. */
  const play = async (call: SimulatedCall, answerUrl: string) => {
    calls.add(call);
    let next: Next = { url: answerUrl, method: 'POST', params: call.params };
    for (let documents = 0; 'url' in next; documents++) {
      if (documents === maxDocumentsPerCall) {
        next = { end: 'Plivo' };
        say(call, `hangs up after ${maxDocumentsPerCall} XML documents`);
        break;
      }
      const answer = await send(next, about(call));
      if (answer?.status !== 200) {
        say(call, 'hangs up: the URL gave no XML');
        next = { end: 'Error' };
        break;
      }
      let verbs: readonly PlivoNode[];
      try {
        verbs = parsePlivoXml(answer.body);
      } catch (error) {
        say(call, `hangs up: ${(error as Error).message}`);
        next = { end: 'Error' };
        break;
      }
      next = await runDocument(call, verbs);
    }
    call.status = 'ended';
    detachUser(call);
    const endedAt = clock();
    const answeredAt = call.answeredAt ?? endedAt;
    const duration = String(Math.max(0, Math.round((endedAt - answeredAt) / 1000)));
    say(call, `the call ended (${next.end})`);
    await send(
      {
        url: call.hangupUrl,
        method: 'POST',
        params: {
          ...call.params,
          CallStatus: 'completed',
          Duration: duration,
          BillDuration: duration,
          HangupCause: 'NORMAL_CLEARING',
          HangupCauseName: 'Normal Hangup',
          HangupCauseCode: '4000',
          HangupSource: next.end,
          StartTime: plivoTime(call.startedAt),
          AnswerTime: plivoTime(answeredAt),
          EndTime: plivoTime(endedAt),
        },
      },
      about(call),
    );
    calls.delete(call);
  };

  const liveCall = (user: string, callUuid: string | undefined) => {
    const live = (users.get(user)?.calls ?? []).filter((c) => c.status !== 'ended');
    const call = callUuid ? live.find((c) => c.callUuid === callUuid) : live.at(-1);
    if (!call) {
      throw new SandboxConflict(
        callUuid ? `${user} has no live call ${callUuid}` : `${user} has no live call`,
      );
    }
    return call;
  };

  return {
    callPlaced: (params: CallParams, requestUuid: string) => {
      const business = e164Of(params.from) ?? params.from;
      timeline.add({
        kind: 'plivo-api',
        summary: `callgate → Plivo Call API: a call from ${params.from} to ${params.to}`,
        business,
        detail: params,
      });
      if (!options.simulate) return;
      const callUuid = randomUUID();
      const now = clock();
      const call: SimulatedCall = {
        callUuid,
        direction: 'outbound',
        business,
        user: undefined,
        status: 'answered',
        startedAt: now,
        answeredAt: now,
        hangupUrl: params.hangup_url,
        params: {
          CallUUID: callUuid,
          From: params.from,
          To: params.to,
          Direction: 'outbound',
          CallStatus: 'in-progress',
          RequestUUID: requestUuid,
          ALegUUID: callUuid,
          ALegRequestUUID: requestUuid,
        },
        keys: [],
        liveKeys: false,
        signals: [],
      };
      start(async () => {
        say(call, `the agent ${params.to} answers`);
        call.status = 'in-flow';
        await play(call, params.answer_url);
      });
    },

    messageSent: (params: MessageParams, messageUuid: string) => {
      const what =
        'template' in params
          ? `template ${params.template.name}`
          : `interactive call_permission_request (free-form${params.interactive.body ? `: “${params.interactive.body.text}”` : ''})`;
      const business = e164Of(params.src) ?? params.src;
      const user = e164Of(params.dst) ?? params.dst;
      timeline.add({
        kind: 'plivo-api',
        summary: `callgate → Plivo Message API: ${what} to ${params.dst}`,
        business,
        user,
        detail: { ...params, messageUuid },
      });
      if (!options.simulate) return;
      const entry = userEntry(user);
      entry.requests = entry.requests.filter((r) => r.business !== business);
      entry.requests.push(
        'template' in params
          ? {
              business,
              template: params.template.name,
              kind: 'template',
              at: new Date(clock()).toISOString(),
            }
          : {
              business,
              template: 'interactive',
              kind: 'interactive',
              ...(params.interactive.body ? { body: params.interactive.body.text } : {}),
              at: new Date(clock()).toISOString(),
            },
      );
      const { permissionRequests } = entry.behaviour;
      if (permissionRequests === 'ask') return;
      start(async () => {
        await reply(user, {
          business,
          response: permissionRequests === 'reject' ? 'reject' : 'accept',
          permanent: permissionRequests === 'accept-permanently',
        });
      });
    },

    state: () => {
      const now = clock();
      return {
        now: new Date(now).toISOString(),
        simulating: options.simulate,
        businesses: options.config.numbers.map((n) => ({
          number: n.number,
          inbound: n.inbound.menu ? 'menu' : 'action',
          menuKeys: Object.keys(n.inbound.menu?.options ?? {}),
          hours: n.inbound.hours
            ? { timeZone: n.inbound.hours.timeZone, openNow: isOpen(n.inbound.hours, now) }
            : null,
        })),
        agents: { ...agents },
        users: [...users.keys()].flatMap((number) => viewOf(number) ?? []),
      };
    },

    user: viewOf,

    setUser: (number, { userId, ...behaviour }) => {
      if (userId !== undefined && isBsuid(number) && userId !== number) {
        throw new SandboxConflict(`${number} is a BSUID already: it has no other`);
      }
      const entry = userEntry(number);
      entry.behaviour = { ...entry.behaviour, ...behaviour };
      if (userId !== undefined) entry.userId = userId;
      return viewOf(number) as UserView;
    },

    setAgents: (behaviour) => {
      agents = { ...agents, ...behaviour };
      return { ...agents };
    },

    permissionReply: (user, answer) => reply(user, answer),

    message: async (user, business, text) => {
      userEntry(user);
      timeline.add({
        kind: 'user',
        summary: `${user} writes to ${business}: “${text}”`,
        user,
        business,
      });
      const result = await send(
        {
          url: plivoUrls(options.publicBaseUrl).message,
          method: 'POST',
          params: {
            ...senderOf(user),
            To: plivoDigits(business),
            Type: 'whatsapp',
            ContentType: 'text',
            Body: text,
            MessageUUID: randomUUID(),
          },
        },
        { user, business },
      );
      return result ?? { status: 503, contentType: '', body: '' };
    },

    accountUpdate: async (update) => {
      const now = clock();
      const expiration = new Date(now + update.seconds * 1000).toISOString();
      // Meta names no calling restriction type in its pages: these names are the sandbox's own.
      const restrictions = [
        ...(update.pauseCalls ? ['RESTRICTED_BIZ_INITIATED_CALLING'] : []),
        ...(update.hideCallButton ? ['CALL_BUTTON_HIDDEN_LOW_PICKUP'] : []),
      ].map((type) => ({ restriction_type: type, expiration }));
      timeline.add({
        kind: 'call',
        summary: `Meta restricts ${update.business} until ${expiration}: ${restrictions.map((r) => r.restriction_type).join(', ')}`,
        business: update.business,
      });
      // Meta's whole webhook, `entry` as JSON text in Plivo's form (one of the shapes callgate reads).
      const entry = [
        {
          id: 'sandbox-waba',
          time: Math.floor(now / 1000),
          changes: [
            {
              field: 'account_update',
              value: {
                phone_number: plivoDigits(update.business),
                event: 'ACCOUNT_RESTRICTION',
                restriction_info: restrictions,
              },
            },
          ],
        },
      ];
      const result = await send(
        {
          url: plivoUrls(options.publicBaseUrl).message,
          method: 'POST',
          params: { object: 'whatsapp_business_account', entry: JSON.stringify(entry) },
        },
        { business: update.business },
      );
      return result ?? { status: 503, contentType: '', body: '' };
    },

    call: (user, business, digits) => {
      const callUuid = randomUUID();
      const now = clock();
      const urls = plivoUrls(options.publicBaseUrl);
      const call: SimulatedCall = {
        callUuid,
        direction: 'inbound',
        business,
        user,
        status: 'in-flow',
        startedAt: now,
        answeredAt: now,
        hangupUrl: urls.hangup,
        params: {
          CallUUID: callUuid,
          // Plivo documents no caller shape for a username: the shapes a message has (senderOf).
          ...senderOf(user),
          To: plivoDigits(business),
          Direction: 'inbound',
          CallStatus: 'ringing',
          ALegUUID: callUuid,
        },
        keys: [...digits],
        liveKeys: digits === '',
        signals: [],
      };
      userEntry(user).calls.push(call);
      timeline.add({
        kind: 'user',
        summary: `${user} calls ${business}${digits ? ` and will press ${digits}` : ''}`,
        callUuid,
        user,
        business,
      });
      start(() => play(call, urls.answer), 0);
      return callUuid;
    },

    signal: (user, signal, callUuid) => {
      const call = liveCall(user, callUuid);
      if (signal !== 'hangup' && (call.direction !== 'outbound' || call.status !== 'ringing')) {
        throw new SandboxConflict(`${user}'s call ${call.callUuid} is not ringing`);
      }
      call.signals.push(signal);
      timeline.add({
        kind: 'user',
        summary: `${user} ${signal === 'answer' ? 'answers' : signal === 'decline' ? 'declines' : 'hangs up'}`,
        ...about(call),
      });
      sweep();
    },

    pressKeys: (user, digits) => {
      const call = liveCall(user, undefined);
      if (call.direction !== 'inbound') {
        throw new SandboxConflict(`${user}'s live call is not one they made`);
      }
      call.keys.push(...digits);
      timeline.add({ kind: 'user', summary: `${user} presses ${digits}`, ...about(call) });
      sweep();
    },

    clockMoved: sweep,

    idle: async () => {
      while (running.size > 0) await Promise.all(running);
    },

    reset: async () => {
      // Closed while the running parts wind down: waits end at once and nothing more is sent.
      closed = true;
      sweep();
      while (running.size > 0) await Promise.allSettled([...running]);
      users.clear();
      calls.clear();
      agents = { ...defaultAgentBehaviour };
      closed = false;
    },

    close: async () => {
      closed = true;
      clearInterval(ticker);
      sweep();
      await Promise.allSettled([...running]);
    },
  };

  /**
   * Who a message or a call is from, as Plivo's fields name the user: the BSUID as `From` when Meta
   * shows no number, else the number, with `FromUserId` when the user has a username.
   */
  function senderOf(user: string): Record<string, string> {
    if (isBsuid(user)) return { From: user };
    const userId = users.get(user)?.userId;
    return { From: plivoDigits(user), ...(userId === undefined ? {} : { FromUserId: userId }) };
  }

  async function reply(
    user: string,
    answer: { business: string; response: 'accept' | 'reject'; permanent: boolean },
  ): Promise<WebhookAnswer> {
    const entry = userEntry(user);
    entry.requests = entry.requests.filter((r) => r.business !== answer.business);
    timeline.add({
      kind: 'user',
      summary: `${user} ${answer.response === 'accept' ? (answer.permanent ? 'accepts permanently' : 'accepts') : 'rejects'} ${answer.business}'s call permission request`,
      user,
      business: answer.business,
    });
    const interactive = {
      type: 'call_permission_reply',
      call_permission_reply: {
        response: answer.response,
        is_permanent: answer.permanent,
        response_source: 'user_action',
      },
    };
    const result = await send(
      {
        url: plivoUrls(options.publicBaseUrl).message,
        method: 'POST',
        params: {
          ...senderOf(user),
          To: plivoDigits(answer.business),
          MessageUUID: randomUUID(),
          ContentType: 'interactive',
          Interactive: JSON.stringify(interactive),
        },
      },
      { user, business: answer.business },
    );
    return result ?? { status: 503, contentType: '', body: '' };
  }
};
