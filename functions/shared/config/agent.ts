import * as z from 'zod';

/** An agent callgate may connect a WhatsApp call to: a SIP URI or a Plivo endpoint, never a phone number. */
export const agentSchema = z
  .string()
  .regex(
    /^(sip:[^\s@]+@[^\s@]+|[A-Za-z][A-Za-z0-9_.-]{2,63})$/,
    'must be a SIP URI (sip:user@host) or a Plivo endpoint username, never a phone number',
  );
