import * as z from 'zod';
import { clockTime, intervalMinutes, type WeeklyHours, weekdays } from '../rules/hours.js';
import { agentSchema } from './agent.js';

/**
 * What an inbound WhatsApp call to a business number hears and where it is connected. Every dial target
 * is checked here, when the configuration loads, so `npm start` and `cdk synth` stop naming the entry
 * that would forward a WhatsApp call to a phone number or a WhatsApp user; the renderer checks again.
 */

/** Something the caller hears: text spoken by Plivo's text-to-speech, or an audio file played. */
const speakSchema = z.strictObject({
  speak: z.string().min(1).max(3000),
  /** Plivo voice, e.g. WOMAN, MAN or Polly.Aditi; Plivo's default (WOMAN) when absent. */
  voice: z.string().min(1).optional(),
  /** e.g. en-US, en-IN, hi-IN; Plivo's default (en-US) when absent. */
  language: z.string().min(2).optional(),
});

const playSchema = z.strictObject({
  play: z.url({ protocol: /^https?$/ }),
});

/** A bare string is short for `{ "speak": "…" }`. */
export const promptSchema = z.union([
  z
    .string()
    .min(1)
    .max(3000)
    .transform((speak): z.infer<typeof speakSchema> => ({ speak })),
  speakSchema,
  playSchema,
]);

const dialSchema = z.strictObject({
  agents: z.array(agentSchema).min(1).max(20),
  /** simultaneous: every agent rings at once, the first to answer takes the call; sequential: one after another. */
  mode: z.enum(['simultaneous', 'sequential']).default('simultaneous'),
  /** How long each ring lasts before the next agent (sequential) or the no-answer flow. */
  ringSeconds: z.number().int().min(5).max(120).default(30),
});

const voicemailSchema = z.strictObject({
  prompt: promptSchema.optional(),
  maxLengthSeconds: z.number().int().min(5).max(600).default(120),
  /** Where Plivo posts the recording once it is ready (Record `callbackUrl`): the business's own system. */
  callbackUrl: z.url({ protocol: /^https?$/ }).optional(),
  /** Heard after the recording, before the call ends. */
  thanks: promptSchema.optional(),
});

const terminalShape = {
  /** Play or speak a message, then hang up. */
  message: promptSchema.optional(),
  voicemail: voicemailSchema.optional(),
  hangup: z.literal(true).optional(),
};

const exactlyOne =
  (names: readonly string[]) =>
  (value: Record<string, unknown>, ctx: z.core.$RefinementCtx<Record<string, unknown>>) => {
    const present = names.filter((name) => value[name] !== undefined);
    if (present.length !== 1) {
      ctx.addIssue({
        code: 'custom',
        message: `give exactly one of ${names.join(', ')}${present.length ? ` (got ${present.join(', ')})` : ''}`,
      });
    }
  };

/** An action that ends the call: a message, a voicemail or a hang-up. */
export const terminalActionSchema = z
  .strictObject(terminalShape)
  .superRefine(exactlyOne(['message', 'voicemail', 'hangup']));

/** What a menu option or a menu-less flow does: a terminal action, or dial agents. */
export const actionSchema = z
  .strictObject({ ...terminalShape, dial: dialSchema.optional() })
  .superRefine(exactlyOne(['dial', 'message', 'voicemail', 'hangup']));

const menuSchema = z.strictObject({
  prompt: promptSchema,
  /** Keys 0–9, each an action. */
  options: z
    .record(z.string().regex(/^[0-9]$/), actionSchema, {
      // Zod's own word for a bad record key is "Invalid key in record".
      error: (issue) =>
        issue.code === 'invalid_key' ? 'menu keys are single digits 0-9' : undefined,
    })
    .refine((options) => Object.keys(options).length > 0, 'give at least one option'),
  /** Seconds Plivo waits for a key after the prompt (GetInput `executionTimeout`: Plivo accepts 5–60). */
  timeoutSeconds: z.number().int().min(5).max(60).default(5),
  /** How many more times the menu is offered after no key or a key with no option. */
  retries: z.number().int().min(0).max(5).default(1),
  /** When the caller presses nothing (or only wrong keys) on every try; hang up when absent. */
  noInput: actionSchema.optional(),
});

/** "09:00-17:30", local time; end after start (an interval does not cross midnight: split it). */
const intervalSchema = z
  .string()
  // One message for one mistake: a malformed entry stops here.
  .regex(/^\d\d:\d\d-\d\d:\d\d$/, { message: 'write hours as HH:MM-HH:MM', abort: true })
  .refine((value) => {
    const [start, end] = intervalMinutes(value);
    return value.split('-').every((time) => clockTime.test(time)) && end > start;
  }, 'hours must be HH:MM-HH:MM with the end after the start, within one day (24:00 ends it)');

const isTimeZone = (zone: string): boolean => {
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: zone });
    return true;
  } catch {
    return false;
  }
};

const isCalendarDate = (value: string): boolean => {
  const date = new Date(`${value}T00:00:00Z`);
  return !Number.isNaN(date.getTime()) && date.toISOString().startsWith(value);
};

/** The rule's `WeeklyHours`, validated. */
export const weeklyHoursSchema = z.strictObject({
  /** IANA time zone the hours are in, e.g. Asia/Kolkata. */
  timeZone: z.string().refine(isTimeZone, 'must be an IANA time zone such as Asia/Kolkata'),
  /** Open intervals per weekday; a day left out is closed. */
  weekly: z.partialRecord(z.enum(weekdays), z.array(intervalSchema)),
  /** Local dates (YYYY-MM-DD) closed all day. */
  holidays: z
    .array(
      z
        .string()
        .regex(/^\d{4}-\d{2}-\d{2}$/)
        .refine(isCalendarDate, 'must be a calendar date YYYY-MM-DD'),
    )
    .default([]),
}) satisfies z.ZodType<WeeklyHours, unknown>;

/** Inbound business hours. */
export const hoursSchema = weeklyHoursSchema.extend({
  /** What a call outside the hours gets. */
  closed: terminalActionSchema,
});

const defaultNoAnswer = {
  message: { speak: 'Sorry, nobody can take your call right now. Please try again later.' },
};

export const callFlowSchema = z
  .strictObject({
    greeting: promptSchema.optional(),
    /** A key menu after the greeting; give either `menu` or `action`. */
    menu: menuSchema.optional(),
    /** What happens right after the greeting when there is no menu. */
    action: actionSchema.optional(),
    /** When no agent of a dial answers. */
    noAnswer: terminalActionSchema.default(defaultNoAnswer),
    hours: hoursSchema.optional(),
  })
  .superRefine((flow, ctx) => {
    if ((flow.menu === undefined) === (flow.action === undefined)) {
      ctx.addIssue({ code: 'custom', message: 'give exactly one of menu, action' });
    }
  });

export type CallFlow = z.infer<typeof callFlowSchema>;
export type Prompt = z.infer<typeof promptSchema>;
export type Action = z.infer<typeof actionSchema>;
export type TerminalAction = z.infer<typeof terminalActionSchema>;
export type Dial = z.infer<typeof dialSchema>;
export type Voicemail = z.infer<typeof voicemailSchema>;
