import type { PairState, PermissionRequestKind } from './pair.js';
import { dayMs } from './window.js';

/**
 * Meta's customer-service window: 24 h from the user's last message or call to the business number.
 * While it is open, a call-permission request may go as a free-form interactive message (no template,
 * no template charge). callgate knows the window only from the inbound messages and calls it has seen.
 */

export const customerServiceWindowMs = dayMs;

/** When the window that an inbound message or call at `inboundAt` opens closes. */
export const windowOpenUntil = (inboundAt: number): number => inboundAt + customerServiceWindowMs;

/**
 * Whether `until` moves the pair's window forward: it never moves back, so a late or redelivered
 * webhook cannot shorten it. The store's condition is this comparison
 * (`windowOpenUpdate` in store/items/pair.ts).
 */
export const movesWindowForward = (current: number | undefined, until: number): boolean =>
  current === undefined || until > current;

/** Open while `now < windowOpenUntil`: at exactly 24 h after the inbound message it has closed. */
export const isWindowOpen = (pair: PairState | undefined, now: number): boolean =>
  pair?.windowOpenUntil !== undefined && now < pair.windowOpenUntil;

/** What a client asks for: callgate's choice, or one kind. */
export type RequestKindChoice = 'auto' | PermissionRequestKind;

export type RequestKindRefusal =
  /** Free-form asked for while no inbound message or call of the last 24 h keeps the window open. */
  | 'window_closed'
  /** Free-form asked for from a number whose configuration sends templates only. */
  | 'free_form_off';

export type RequestKindDecision =
  | { readonly kind: PermissionRequestKind }
  | { readonly refusal: RequestKindRefusal };

/** What refuses a request before anything is read: free-form asked for where it is off. */
export const kindRefusalBeforeRead = (
  choice: RequestKindChoice,
  freeFormEnabled: boolean,
): 'free_form_off' | undefined =>
  choice === 'interactive' && !freeFormEnabled ? 'free_form_off' : undefined;

/**
 * What a permission request goes as: free-form while the window is open and the number allows it,
 * else the template; a forced free-form request is refused rather than sent as a template.
 */
export const requestKind = (
  pair: PairState | undefined,
  now: number,
  choice: RequestKindChoice,
  freeFormEnabled: boolean,
): RequestKindDecision => {
  if (choice === 'template') return { kind: 'template' };
  const early = kindRefusalBeforeRead(choice, freeFormEnabled);
  if (early) return { refusal: early };
  const open = isWindowOpen(pair, now);
  if (choice === 'interactive')
    return open ? { kind: 'interactive' } : { refusal: 'window_closed' };
  return { kind: freeFormEnabled && open ? 'interactive' : 'template' };
};

export interface WindowView {
  readonly open: boolean;
  /** While open: when it closes (ISO) and the whole seconds left, rounded down. */
  readonly closesAt?: string;
  readonly remainingSeconds?: number;
}

/** The window as the state view shows it. */
export const windowView = (pair: PairState | undefined, now: number): WindowView => {
  const until = pair?.windowOpenUntil;
  // Stryker disable next-line ConditionalExpression: a window never opened is not open either; the check narrows the type
  if (until === undefined || !isWindowOpen(pair, now)) return { open: false };
  return {
    open: true,
    closesAt: new Date(until).toISOString(),
    remainingSeconds: Math.floor((until - now) / 1000),
  };
};
