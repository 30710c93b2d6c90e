import * as z from 'zod';
import { dialTargetRefusal } from '../rules/forward-guard.js';

/** A SIP URI or an endpoint name is short; the bound keeps a 20 KB value out of XML and logs. */
export const maxAgentLength = 255;

/** Plivo endpoint usernames. */
const endpointUsername = /^[A-Za-z][A-Za-z0-9_.-]{2,63}$/;

/**
 * `sip:user@host[:port][;param=value…]`. The user part is RFC 3261's `user` without the apostrophe:
 * unreserved characters, `%XX` escapes and `& = + $ , ; ? /`. No quotes, `<`, `>`, whitespace or `@`.
 */
const sipUri =
  /^sip:(?:[A-Za-z0-9\-_.!~*()&=+$,;?/]|%[0-9A-Fa-f]{2})+@(?<host>[A-Za-z0-9.-]+)(?::(?<port>\d{1,5}))?(?:;[A-Za-z0-9\-_.!~*]+(?:=[A-Za-z0-9\-_.!~*]+)?)*$/;

const isSipUri = (target: string): boolean => {
  const groups = sipUri.exec(target)?.groups;
  if (!groups?.host || !z.regexes.hostname.test(groups.host) || groups.host.endsWith('.')) {
    return false;
  }
  return groups.port === undefined || Number(groups.port) <= 65535;
};

/**
 * An agent a WhatsApp call may be connected to, inbound or business-initiated: a SIP URI or a Plivo
 * endpoint username, never a phone number or a WhatsApp user. Checked first for what it must not be, so
 * the message says why a target is refused.
 */
export const agentSchema = z
  .string()
  .max(maxAgentLength, `must be at most ${maxAgentLength} characters`)
  .superRefine((target, ctx) => {
    const refusal = dialTargetRefusal(target);
    if (refusal) ctx.addIssue({ code: 'custom', message: refusal, continue: false });
  })
  .refine(
    (target) => endpointUsername.test(target) || isSipUri(target),
    'must be a SIP URI (sip:user@host) or a Plivo endpoint username (3 to 64 letters, digits, _ . -, starting with a letter), never a phone number',
  );

/** Endpoint usernames are dialed as Plivo SIP URIs; SIP URIs as they are. */
export const sipAddress = (agent: string): string =>
  agent.startsWith('sip:') ? agent : `sip:${agent}@phone.plivo.com`;
