import * as z from 'zod';
import { dialTargetRefusal } from '../call-flow/guard.js';

const agentFormat = /^(sip:[^\s@]+@[^\s@]+|[A-Za-z][A-Za-z0-9_.-]{2,63})$/;

/**
 * An agent a WhatsApp call may be connected to, inbound or business-initiated: a SIP URI or a Plivo
 * endpoint username, never a phone number or a WhatsApp user. Checked first for what it must not be, so
 * the message says why a target is refused.
 */
export const agentSchema = z
  .string()
  .superRefine((target, ctx) => {
    const refusal = dialTargetRefusal(target);
    if (refusal) ctx.addIssue({ code: 'custom', message: refusal });
  })
  .pipe(
    z
      .string()
      .regex(
        agentFormat,
        'must be a SIP URI (sip:user@host) or a Plivo endpoint username, never a phone number',
      ),
  );

/** Endpoint usernames are dialed as Plivo SIP URIs; SIP URIs as they are. */
export const sipAddress = (agent: string): string =>
  agent.startsWith('sip:') ? agent : `sip:${agent}@phone.plivo.com`;
