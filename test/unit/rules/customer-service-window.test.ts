import { describe, expect, it } from 'vitest';
import {
  customerServiceWindowMs,
  isWindowOpen,
  kindRefusalBeforeRead,
  movesWindowForward,
  requestKind,
  windowOpenUntil,
  windowView,
} from '../../../functions/shared/rules/customer-service-window.js';
import type { PairState } from '../../../functions/shared/rules/pair.js';

const t0 = Date.UTC(2026, 11, 1, 10, 0, 0);
const hour = 3_600_000;
const pair = (windowOpenUntil?: number): PairState => ({
  business: '+918035737458',
  user: '+919812345678',
  ...(windowOpenUntil === undefined ? {} : { windowOpenUntil }),
});

describe('the customer-service window', () => {
  it('is 24 h from the inbound message or call', () => {
    expect(customerServiceWindowMs).toBe(24 * hour);
    expect(windowOpenUntil(t0)).toBe(t0 + 24 * hour);
  });

  it('is open until just before 24 h; at exactly 24 h it has closed', () => {
    const opened = pair(windowOpenUntil(t0));
    expect(isWindowOpen(opened, t0)).toBe(true);
    expect(isWindowOpen(opened, t0 + 24 * hour - 1)).toBe(true);
    expect(isWindowOpen(opened, t0 + 24 * hour)).toBe(false);
    expect(isWindowOpen(opened, t0 + 25 * hour)).toBe(false);
  });

  it('is closed where nothing opened it, or no pair is known', () => {
    expect(isWindowOpen(pair(), t0)).toBe(false);
    expect(isWindowOpen(undefined, t0)).toBe(false);
  });

  it('only moves forward: an earlier or equal end keeps the later one', () => {
    expect(movesWindowForward(undefined, t0)).toBe(true);
    expect(movesWindowForward(t0, t0 + 1)).toBe(true);
    expect(movesWindowForward(t0, t0)).toBe(false);
    expect(movesWindowForward(t0 + 1, t0)).toBe(false);
  });
});

describe('what a permission request goes as', () => {
  const open = pair(windowOpenUntil(t0));
  const now = t0 + hour;
  const closed = t0 + 24 * hour;

  it('callgate chooses free-form inside the window, the template outside it', () => {
    expect(requestKind(open, now, 'auto', true)).toEqual({ kind: 'interactive' });
    expect(requestKind(open, closed, 'auto', true)).toEqual({ kind: 'template' });
    expect(requestKind(undefined, now, 'auto', true)).toEqual({ kind: 'template' });
  });

  it('a number with free-form off always sends the template', () => {
    expect(requestKind(open, now, 'auto', false)).toEqual({ kind: 'template' });
    expect(requestKind(open, now, 'template', false)).toEqual({ kind: 'template' });
  });

  it('a client may force the template inside the window', () => {
    expect(requestKind(open, now, 'template', true)).toEqual({ kind: 'template' });
  });

  it('a forced free-form request is refused outside the window or where it is off, never sent as a template', () => {
    expect(requestKind(open, now, 'interactive', true)).toEqual({ kind: 'interactive' });
    expect(requestKind(open, closed, 'interactive', true)).toEqual({ refusal: 'window_closed' });
    expect(requestKind(open, now, 'interactive', false)).toEqual({ refusal: 'free_form_off' });
  });

  it('free-form off refuses a forced free-form request before anything is read', () => {
    expect(kindRefusalBeforeRead('interactive', false)).toBe('free_form_off');
    expect(kindRefusalBeforeRead('interactive', true)).toBeUndefined();
    expect(kindRefusalBeforeRead('auto', false)).toBeUndefined();
    expect(kindRefusalBeforeRead('template', false)).toBeUndefined();
  });
});

describe('the state view of the window', () => {
  it('open: when it closes and the whole seconds left', () => {
    const opened = pair(windowOpenUntil(t0));
    expect(windowView(opened, t0 + hour + 500)).toEqual({
      open: true,
      closesAt: '2026-12-02T10:00:00.000Z',
      remainingSeconds: 23 * 3600 - 1,
    });
  });

  it('closed at exactly 24 h, and where nothing opened it', () => {
    expect(windowView(pair(windowOpenUntil(t0)), t0 + 24 * hour)).toEqual({ open: false });
    expect(windowView(pair(), t0)).toEqual({ open: false });
    expect(windowView(undefined, t0)).toEqual({ open: false });
  });
});
