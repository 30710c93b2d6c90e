import { randomUUID } from 'node:crypto';
import type { Clock } from '../clock.js';
import type {
  CallParams,
  PlacedCall,
  SentMessage,
  Telephony,
  TemplateMessageParams,
} from './port.js';

export interface RecordedRequest {
  readonly api: 'call' | 'message';
  readonly params: CallParams | TemplateMessageParams;
  /** ISO time on the sandbox clock. */
  readonly at: string;
}

export interface SandboxTelephony extends Telephony {
  requests(): readonly RecordedRequest[];
}

/** Stands in for Plivo when no credentials are configured: records what would have been sent. */
export const createSandboxTelephony = (clock: Clock): SandboxTelephony => {
  const recorded: RecordedRequest[] = [];
  const record = (api: RecordedRequest['api'], params: RecordedRequest['params']) => {
    recorded.push({ api, params: structuredClone(params), at: new Date(clock()).toISOString() });
  };
  return {
    async placeCall(params: CallParams): Promise<PlacedCall> {
      record('call', params);
      return { requestUuid: randomUUID() };
    },
    async sendTemplate(params: TemplateMessageParams): Promise<SentMessage> {
      record('message', params);
      return { messageUuid: randomUUID() };
    },
    // The recorder places no calls, so it cannot tell which are live: callgate then reconciles nothing.
    liveCallUuids: async () => undefined,
    requests: () => [...recorded],
  };
};
