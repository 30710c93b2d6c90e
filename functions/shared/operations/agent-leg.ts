import type { Deps } from '../deps.js';
import { callIdSchema } from '../routes.js';
import { type PermissionRefusal, permissionRefusal } from '../rules/permission.js';
import { type CallRecord, dialIfPermitted, readCall } from '../store/items/call-record.js';
import { endCall } from '../store/writes/call-end.js';

export type AgentLegOutcome =
  /** Dial the user now: the call counts among the user's daily calls from here on. */
  | { readonly kind: 'dial'; readonly call: CallRecord }
  /**
   * The permission no longer allows the call (rejected, revoked or expired since it was placed): the
   * call was ended, its daily slot given back and its lease released.
   */
  | { readonly kind: 'not_permitted'; readonly refusal: PermissionRefusal }
  /** callgate never placed it, or it already ended: nobody is dialed. */
  | { readonly kind: 'unknown_call' };

/**
 * The agent leg of a business-initiated call answered (answer URL `?call=<call id>`): the user is dialed
 * only if the permission still allows it now, checked in the same write that marks the call dialed.
 */
export const answerAgentLeg = async (deps: Deps, callId: string): Promise<AgentLegOutcome> => {
  if (!callIdSchema.safeParse(callId).success) return { kind: 'unknown_call' };
  const now = deps.clock();
  const call = await readCall(deps.db, callId, now);
  if (call?.direction !== 'outbound' || call.endedAt !== undefined) return { kind: 'unknown_call' };
  const attempt = await dialIfPermitted(deps.db, call, now);
  switch (attempt.kind) {
    case 'dialed':
      return { kind: 'dial', call };
    case 'not_live':
      return { kind: 'unknown_call' };
    case 'not_permitted': {
      // Active again between the check and now (a grant in the same instant): still refused, as checked.
      const refusal = permissionRefusal(attempt.pair, now) ?? 'no_permission';
      await endCall(deps.db, { callId, endedAt: now, refusal });
      return { kind: 'not_permitted', refusal };
    }
  }
};
