import * as z from 'zod';

/** How a simulated WhatsApp user treats what the business sends. */
export const behaviourSchema = z.strictObject({
  /** A call-permission request: wait for a reply on demand (`ask`), or reply at once. */
  permissionRequests: z.enum(['ask', 'accept', 'accept-permanently', 'reject']),
  /** A business call: ring until answered or declined on demand (`ask`), answer, let it ring out, or decline. */
  calls: z.enum(['ask', 'answer', 'miss', 'busy']),
  /** How long the phone rings before the user answers or declines, or gives up on a call they miss. */
  ringSeconds: z.number().int().min(0).max(300),
  /** How long the user talks once connected; null: until they hang up on demand. */
  talkSeconds: z.number().int().min(0).max(14_400).nullable(),
});

export type Behaviour = z.infer<typeof behaviourSchema>;

export const defaultBehaviour: Behaviour = {
  permissionRequests: 'ask',
  calls: 'answer',
  ringSeconds: 2,
  talkSeconds: 10,
};

/** How the business's agents (the SIP users callgate's flows dial) treat the calls they get. */
export const agentBehaviourSchema = z.strictObject({
  calls: z.enum(['answer', 'miss', 'busy']),
  ringSeconds: z.number().int().min(0).max(300),
});

export type AgentBehaviour = z.infer<typeof agentBehaviourSchema>;

export const defaultAgentBehaviour: AgentBehaviour = { calls: 'answer', ringSeconds: 1 };
