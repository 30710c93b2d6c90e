import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { XMLParser } from 'fast-xml-parser';
import { exampleConfigPath, parseConfig } from '../../functions/shared/config/load.js';
import type { Config } from '../../functions/shared/config/schema.js';
import { exampleAgents } from './fixtures.js';

/** Parses Plivo XML with attributes as `@name`. */
export const plivoXml = new XMLParser({ ignoreAttributes: false, attributeNamePrefix: '@' });

/**
 * The form Plivo posts to the message webhook when a user answers the call-permission request:
 * Meta's call_permission_reply in `Interactive`, numbers as digits.
 */
export const permissionReplyForm = (
  user: string,
  business: string,
  reply: Record<string, unknown>,
  messageUuid: string = randomUUID(),
): Record<string, string> => ({
  From: user.replace(/^\+/, ''),
  To: business.replace(/^\+/, ''),
  Type: 'whatsapp',
  ContentType: 'unknown',
  MessageUUID: messageUuid,
  Interactive: JSON.stringify({ type: 'call_permission_reply', call_permission_reply: reply }),
});

const digits = (number: string) => number.replace(/^\+/, '');

/** What Plivo posts to the answer URL when a WhatsApp user calls a business number. */
export const inboundAnswerForm = (
  callUuid: string,
  user: string,
  business: string,
): Record<string, string> => ({
  CallUUID: callUuid,
  From: digits(user),
  To: digits(business),
  Direction: 'inbound',
  CallStatus: 'ringing',
});

/** What Plivo posts to the answer URL of a placed call once its agent answers. */
export const agentLegAnswerForm = (
  business: string,
  agent = exampleAgents.india,
): Record<string, string> => ({
  CallUUID: randomUUID(),
  From: digits(business),
  To: agent,
  Direction: 'outbound',
  CallStatus: 'in-progress',
});

/** What Plivo posts to the Dial action: the B leg exists only when the user answered. */
export const dialStatusForm = (
  status: string,
  aLegUuid: string = randomUUID(),
): Record<string, string> => ({
  DialStatus: status,
  DialALegUUID: aLegUuid,
  DialBLegUUID: status === 'completed' ? randomUUID() : '',
});

/** What Plivo posts to the hangup URL (the fields callgate reads; Plivo sends more). */
export const hangupForm = (
  callUuid: string,
  fields: Record<string, string> = {},
): Record<string, string> => ({
  CallUUID: callUuid,
  Duration: '42',
  HangupCause: 'NORMAL_CLEARING',
  ...fields,
});

/**
 * The example configuration without business hours, so a test never depends on the time of day, with
 * `account` and `rules` replaced when given.
 */
export const alwaysOpenExampleConfig = (
  overrides: { account?: Record<string, unknown>; rules?: Record<string, unknown> } = {},
): Config => {
  const raw = JSON.parse(readFileSync(exampleConfigPath, 'utf8'));
  for (const number of raw.numbers) delete number.inbound.hours;
  if (overrides.account) raw.account = overrides.account;
  if (overrides.rules) raw.rules = overrides.rules;
  return parseConfig(raw, 'the example configuration, always open');
};
