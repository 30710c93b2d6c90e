import { readFile } from 'node:fs/promises';
import * as z from 'zod';
import type { Config } from '../../functions/shared/config/schema.js';
import { parsePhoneNumber } from '../../functions/shared/numbers.js';
import { nextOpening } from '../../functions/shared/rules/hours.js';
import type { NumberRestriction } from '../../functions/shared/rules/number-pause.js';
import { isBsuid } from '../../functions/shared/users.js';
import type { LocalEventBus } from '../event-bus.js';
import { readableDuration } from './page/format.js';
import { SandboxConflict, type SandboxPlivo } from './plivo.js';
import type { SandboxTelephony } from './telephony.js';
import type { Timeline } from './timeline.js';
import { agentBehaviourSchema, behaviourSchema } from './users.js';

export interface SandboxResponse {
  readonly status: number;
  readonly body: string;
  readonly headers: Record<string, string>;
}

export interface SandboxApiOptions {
  readonly config: Config;
  readonly clock: { now(): number; advance(seconds: number): number };
  readonly plivo: SandboxPlivo;
  readonly telephony: SandboxTelephony;
  readonly timeline: Timeline;
  readonly eventBus: LocalEventBus;
  /** Runs the call intents' wake-ups and the permission expiries' looks due at the clock's new time. */
  readonly runDueWakeups: () => Promise<void>;
  /** Empties the table, the simulation and what the sandbox kept, and puts the clock back to real time. */
  readonly reset: () => Promise<void>;
  /** The calling restrictions Meta put on a business number that have not ended, from the table. */
  readonly numberRestrictions: (business: string) => Promise<readonly NumberRestriction[]>;
  /** Whether the sandbox plays Plivo's calls and the users; the user routes need it. */
  readonly simulate: boolean;
}

const json = (status: number, body: unknown): SandboxResponse => ({
  status,
  body: JSON.stringify(body),
  headers: { 'content-type': 'application/json' },
});

class SandboxRequestError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

const page = {
  '/_sandbox/': ['index.html', 'text/html; charset=utf-8'],
  '/_sandbox/app.js': ['app.js', 'text/javascript; charset=utf-8'],
  '/_sandbox/style.css': ['style.css', 'text/css; charset=utf-8'],
  '/_sandbox/format.js': ['format.js', 'text/javascript; charset=utf-8'],
} as const satisfies Record<string, readonly [string, string]>;

const pageDirectory = new URL('./page/', import.meta.url);

const parseBody = <T>(schema: z.ZodType<T>, body: Buffer): T => {
  let value: unknown;
  try {
    value = body.length === 0 ? {} : JSON.parse(body.toString('utf8'));
  } catch {
    throw new SandboxRequestError(400, 'invalid_request', 'The body is not JSON');
  }
  const parsed = schema.safeParse(value);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const where = issue?.path.length ? `${issue.path.join('.')}: ` : '';
    throw new SandboxRequestError(400, 'invalid_request', `${where}${issue?.message ?? 'invalid'}`);
  }
  return parsed.data;
};

const decodeSegment = (segment: string): string => {
  try {
    return decodeURIComponent(segment);
  } catch {
    return segment;
  }
};

/** A sandbox user: a number, or the BSUID of a user with a username whose number Meta does not show. */
const userOf = (segment: string): string => {
  const decoded = decodeSegment(segment);
  if (isBsuid(decoded)) return decoded;
  const number = parsePhoneNumber(decoded);
  if (!number) {
    throw new SandboxRequestError(
      400,
      'invalid_number',
      `${decoded} is not a valid phone number, nor a business-scoped user ID such as US.13491208655302741918`,
    );
  }
  return number.e164;
};

/** A user's behaviour, and the BSUID of a username for a user known by their number. */
const userSchema = behaviourSchema.partial().extend({
  userId: z
    .string()
    .refine(isBsuid, 'is not a business-scoped user ID such as US.13491208655302741918')
    .optional(),
});

const clockBodySchema = z.union([
  z.strictObject({
    // Tests travel years ahead (TTLs in the real future); a century keeps Date in range.
    advanceSeconds: z
      .number()
      .finite()
      .min(0)
      .max(100 * 366 * 86_400),
  }),
  z.strictObject({ untilOpen: z.string() }),
]);

const replySchema = z.strictObject({
  business: z.string(),
  response: z.enum(['accept', 'reject']),
  permanent: z.boolean().default(false),
});

const callSchema = z.strictObject({
  business: z.string(),
  digits: z
    .string()
    .regex(/^[0-9*#]{0,20}$/, 'digits are up to 20 of 0-9, * and #')
    .default(''),
});

const messageSchema = z.strictObject({
  business: z.string(),
  text: z.string().min(1).max(4096).default('Hello, can you call me?'),
});

const accountUpdateSchema = z
  .strictObject({
    pauseCalls: z.boolean().default(true),
    hideCallButton: z.boolean().default(false),
    // Meta's pause lasts 7 days; shorter ones let a tour see the end.
    seconds: z
      .number()
      .int()
      .min(60)
      .max(90 * 86_400)
      .default(7 * 86_400),
  })
  .refine((update) => update.pauseCalls || update.hideCallButton, {
    message: 'an account update pauses calls, hides the call button, or both',
  });

/** A restriction as the sandbox's state shows it: ended ones are gone, a lifted pause says when. */
const restrictionView = (restriction: NumberRestriction | undefined, now: number) =>
  restriction
    ? {
        inForce: restriction.liftedAt === undefined && restriction.until > now,
        reason: restriction.reason,
        since: new Date(restriction.since).toISOString(),
        until: new Date(restriction.until).toISOString(),
        ...(restriction.liftedAt === undefined
          ? {}
          : { liftedAt: new Date(restriction.liftedAt).toISOString() }),
      }
    : null;

const callUuidSchema = z.strictObject({ callUuid: z.uuid().optional() });
const keysSchema = z.strictObject({
  digits: z.string().regex(/^[0-9*#]{1,20}$/, 'digits are 1 to 20 of 0-9, * and #'),
});

/** The `/_sandbox/*` routes: the page, the clock, the timeline, and the simulated users and agents. */
export const createSandboxApi = (options: SandboxApiOptions) => {
  const { plivo, timeline, clock, config } = options;

  const businessNumber = (value: string): string => {
    const number = parsePhoneNumber(value)?.e164;
    if (!number || !config.numbers.some((n) => n.number === number)) {
      throw new SandboxRequestError(
        400,
        'unknown_business_number',
        `${value} is not a business number of the configuration (${config.numbers.map((n) => n.number).join(', ')})`,
      );
    }
    return number;
  };

  /** Every business number's restrictions in force now, keyed by number and restriction. */
  const restrictionsInForce = async () => {
    const now = clock.now();
    const found = await Promise.all(
      config.numbers.map(({ number }) => options.numberRestrictions(number)),
    );
    return new Map(
      found
        .flat()
        .filter((r) => r.liftedAt === undefined && r.until > now)
        .map((r) => [`${r.business} ${r.restriction}`, r]),
    );
  };

  const state = async () => {
    const now = clock.now();
    const view = plivo.state();
    const businesses = await Promise.all(
      view.businesses.map(async (business) => {
        const restrictions = await options.numberRestrictions(business.number);
        return {
          ...business,
          paused: restrictionView(
            restrictions.find((r) => r.restriction === 'calls_paused'),
            now,
          ),
          callButtonHidden: restrictionView(
            restrictions.find((r) => r.restriction === 'call_button_hidden'),
            now,
          ),
        };
      }),
    );
    return { ...view, businesses };
  };

  const webhookAnswer = (answer: { status: number; body: string }) => {
    let answered: unknown = answer.body;
    try {
      answered = JSON.parse(answer.body);
    } catch {
      // Not JSON: shown as callgate sent it.
    }
    return json(200, { status: answer.status, body: answered });
  };

  const moveClock = async (body: Buffer) => {
    const request = parseBody(clockBodySchema, body);
    const before = clock.now();
    const restrictedBefore = await restrictionsInForce();
    let seconds: number;
    if ('advanceSeconds' in request) {
      seconds = request.advanceSeconds;
    } else {
      const number = businessNumber(request.untilOpen);
      const hours = config.numbers.find((n) => n.number === number)?.inbound.hours;
      const opening = hours ? nextOpening(hours, before) : before;
      if (opening === undefined) {
        throw new SandboxRequestError(409, 'never_open', `${number}'s hours never open`);
      }
      seconds = Math.max(0, Math.ceil((opening - before) / 1000));
    }
    const now = clock.advance(seconds);
    timeline.add({
      kind: 'clock',
      summary: `the clock moved ${readableDuration(seconds)} forward to ${new Date(now).toISOString()}`,
    });
    plivo.clockMoved();
    await options.runDueWakeups();
    // Meta's restrictions end by themselves, with no webhook and no event: the timeline says so.
    const restrictedAfter = await restrictionsInForce();
    for (const [key, restriction] of restrictedBefore) {
      if (restrictedAfter.has(key)) continue;
      timeline.add({
        kind: 'clock',
        summary:
          restriction.restriction === 'calls_paused'
            ? `Meta's pause of ${restriction.business} ended at ${new Date(restriction.until).toISOString()}`
            : `${restriction.business}'s call button is shown again since ${new Date(restriction.until).toISOString()}`,
        business: restriction.business,
      });
    }
    return json(200, { now: new Date(clock.now()).toISOString() });
  };

  const userRoute = async (
    method: string,
    user: string,
    action: string | undefined,
    body: Buffer,
  ): Promise<SandboxResponse | undefined> => {
    if (!options.simulate) {
      throw new SandboxRequestError(
        409,
        'not_simulating',
        'This local host only records Plivo requests: it was started without the simulation',
      );
    }
    if (action === undefined && method === 'GET') {
      const view = plivo.user(user);
      if (!view) throw new SandboxRequestError(404, 'not_found', `No sandbox user ${user}`);
      return json(200, view);
    }
    if (action === undefined && method === 'PUT') {
      return json(200, plivo.setUser(user, parseBody(userSchema, body)));
    }
    if (method !== 'POST') return undefined;
    switch (action) {
      case 'permission-reply': {
        const reply = parseBody(replySchema, body);
        return webhookAnswer(
          await plivo.permissionReply(user, { ...reply, business: businessNumber(reply.business) }),
        );
      }
      case 'messages': {
        const message = parseBody(messageSchema, body);
        return webhookAnswer(
          await plivo.message(user, businessNumber(message.business), message.text),
        );
      }
      case 'calls': {
        const request = parseBody(callSchema, body);
        return json(202, {
          callUuid: plivo.call(user, businessNumber(request.business), request.digits),
        });
      }
      case 'answer':
      case 'decline':
      case 'hangup': {
        const { callUuid } = parseBody(callUuidSchema, body);
        plivo.signal(user, action, callUuid);
        return json(200, plivo.user(user));
      }
      case 'keys': {
        plivo.pressKeys(user, parseBody(keysSchema, body).digits);
        return json(200, plivo.user(user));
      }
      default:
        return undefined;
    }
  };

  const route = async (
    method: string,
    path: string,
    query: URLSearchParams,
    body: Buffer,
  ): Promise<SandboxResponse | undefined> => {
    if (path === '/_sandbox' && method === 'GET') {
      return { status: 301, body: '', headers: { location: '/_sandbox/' } };
    }
    if (path in page && method === 'GET') {
      const [file, type] = page[path as keyof typeof page];
      const content = await readFile(new URL(file, pageDirectory), 'utf8');
      return { status: 200, body: content, headers: { 'content-type': type } };
    }
    if (path === '/_sandbox/clock' && method === 'GET') {
      return json(200, { now: new Date(clock.now()).toISOString() });
    }
    if (path === '/_sandbox/clock' && method === 'POST') return moveClock(body);
    if (path === '/_sandbox/reset' && method === 'POST') {
      parseBody(z.strictObject({}), body);
      await options.reset();
      return json(200, { now: new Date(clock.now()).toISOString() });
    }
    if (path === '/_sandbox/state' && method === 'GET') return json(200, await state());
    const businessPath = /^\/_sandbox\/businesses\/([^/]+)\/account-update$/.exec(path);
    if (businessPath?.[1] && method === 'POST') {
      const business = businessNumber(decodeSegment(businessPath[1]));
      const update = parseBody(accountUpdateSchema, body);
      return webhookAnswer(await plivo.accountUpdate({ business, ...update }));
    }
    if (path === '/_sandbox/timeline' && method === 'GET') {
      const after = query.get('after');
      const afterId = after === null ? undefined : Number(after);
      if (afterId !== undefined && !Number.isInteger(afterId)) {
        throw new SandboxRequestError(400, 'invalid_request', '`after` is an entry id');
      }
      return json(200, { entries: timeline.after(afterId) });
    }
    if (path === '/_sandbox/events' && method === 'GET') {
      const after = query.get('after') ?? undefined;
      const kept = options.eventBus.events(after);
      if (!kept) {
        throw new SandboxRequestError(
          404,
          'not_found',
          `No event ${after} since the local host started or was last reset`,
        );
      }
      // One call's events: what a tour waits for after it starts a call.
      const callId = query.get('callId');
      return json(
        200,
        callId === null
          ? kept
          : kept.filter((event) => 'callId' in event.data && event.data.callId === callId),
      );
    }
    if (path === '/_sandbox/plivo/requests' && method === 'GET') {
      return json(200, options.telephony.requests());
    }
    if (path === '/_sandbox/agents' && method === 'PUT') {
      return json(200, plivo.setAgents(parseBody(agentBehaviourSchema.partial(), body)));
    }
    const userPath = /^\/_sandbox\/users\/([^/]+)(?:\/([a-z-]+))?$/.exec(path);
    if (userPath?.[1]) return userRoute(method, userOf(userPath[1]), userPath[2], body);
    return undefined;
  };

  return {
    /** The sandbox's answer to a `/_sandbox/*` request. */
    handle: async (
      method: string,
      path: string,
      query: URLSearchParams,
      body: Buffer,
    ): Promise<SandboxResponse> => {
      try {
        const response = await route(method, path, query, body);
        return (
          response ??
          json(404, { error: 'not_found', message: `No sandbox route ${method} ${path}` })
        );
      } catch (error) {
        if (error instanceof SandboxRequestError) {
          return json(error.status, { error: error.code, message: error.message });
        }
        if (error instanceof SandboxConflict) {
          return json(409, { error: 'conflict', message: error.message });
        }
        throw error;
      }
    },
  };
};
