import type { Deps } from '../deps.js';
import { type CallLogView, callLogView } from '../rules/call-log.js';
import { readCall } from '../store/items/call-record.js';

export type CallLogOutcome =
  | { readonly kind: 'found'; readonly view: CallLogView }
  /** Never recorded, released after Plivo refused it, or past its retention. */
  | { readonly kind: 'not_found' };

/** One call as the business sees it, from its record (one consistent read). */
export const callLog = async (deps: Deps, callId: string): Promise<CallLogOutcome> => {
  const record = await readCall(deps.db, callId, deps.clock());
  return record ? { kind: 'found', view: callLogView(record) } : { kind: 'not_found' };
};
