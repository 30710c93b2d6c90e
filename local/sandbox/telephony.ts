import { randomUUID } from 'node:crypto';
import type { Clock } from '../../functions/shared/clock.js';
import type {
  CallParams,
  MessageParams,
  PlacedCall,
  SentMessage,
  Telephony,
} from '../../functions/shared/telephony/port.js';

export interface RecordedRequest {
  readonly api: 'call' | 'message';
  readonly params: CallParams | MessageParams;
  /** ISO time on the sandbox clock. */
  readonly at: string;
}

export interface SandboxTelephony extends Telephony {
  requests(): readonly RecordedRequest[];
  /** Forgets the requests recorded so far. */
  clear(): void;
}

/** What the sandbox's Plivo does with a request once it has taken it (nothing, for a recorder alone). */
export interface TelephonyListener {
  callPlaced(params: CallParams, requestUuid: string): void;
  messageSent(params: MessageParams, messageUuid: string): void;
}

/**
 * Stands in for Plivo's REST API when no credentials are configured: records what would have been sent.
 * It has no `liveCalls`: it cannot vouch for which calls are live, so callgate reconciles no lease.
 */
export const createSandboxTelephony = (
  clock: Clock,
  listener?: TelephonyListener,
): SandboxTelephony => {
  const recorded: RecordedRequest[] = [];
  const record = (api: RecordedRequest['api'], params: RecordedRequest['params']) => {
    recorded.push({ api, params: structuredClone(params), at: new Date(clock()).toISOString() });
  };
  return {
    async placeCall(params: CallParams): Promise<PlacedCall> {
      record('call', params);
      const requestUuid = randomUUID();
      listener?.callPlaced(structuredClone(params), requestUuid);
      return { requestUuid };
    },
    async sendMessage(params: MessageParams): Promise<SentMessage> {
      record('message', params);
      const messageUuid = randomUUID();
      listener?.messageSent(structuredClone(params), messageUuid);
      return { messageUuid };
    },
    requests: () => [...recorded],
    clear: () => {
      recorded.length = 0;
    },
  };
};
