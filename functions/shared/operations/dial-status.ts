import type { Deps } from '../deps.js';
import { type DialOutcome, type DialStatus, dialOutcome } from '../rules/missed-calls.js';
import { applyDialStatus } from '../store/writes/dial-status.js';

export type RecordDialStatusOutcome =
  | { readonly kind: 'unknown_call' }
  /** Applied now, or already by an earlier delivery of the same callback. */
  | { readonly kind: 'applied' | 'already_applied'; readonly outcome: DialOutcome };

/**
 * Whether the WhatsApp user answered a business-initiated call: connected resets the pair's missed
 * streak and request limits; a miss counts toward the warning and the revocation; `failed` is only
 * recorded. Applied once however often Plivo retries.
 */
export const recordDialStatus = async (
  deps: Deps,
  callId: string,
  dialStatus: DialStatus,
): Promise<RecordDialStatusOutcome> => {
  const outcome = dialOutcome(dialStatus);
  const result = await applyDialStatus(
    deps.db,
    callId,
    dialStatus,
    outcome,
    deps.clock,
    deps.config.rules,
  );
  return result.kind === 'unknown_call' ? result : { kind: result.kind, outcome };
};
