import { z } from 'zod';
import { agentSchema } from './agent.js';

/** What an inbound WhatsApp call to a business number hears and where it is connected. */
export const callFlowSchema = z.object({
  greeting: z.string().min(1).optional(),
  agents: z.array(agentSchema).min(1),
});

export type CallFlow = z.infer<typeof callFlowSchema>;
