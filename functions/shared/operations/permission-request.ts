import { randomUUID } from 'node:crypto';
import type { BusinessNumber, PermissionTemplate } from '../config/schema.js';
import { type TemplateVariables, templatePlaceholder } from '../config/template-variables.js';
import type { Deps } from '../deps.js';
import { type PhoneNumber, parsePhoneNumber, plivoDigits } from '../numbers.js';
import {
  kindRefusalBeforeRead,
  type RequestKindChoice,
  type RequestKindRefusal,
  requestKind,
} from '../rules/customer-service-window.js';
import { type PauseRead, type PauseRefusal, pauseRefusal } from '../rules/number-pause.js';
import type { PermissionRequestKind } from '../rules/pair.js';
import { type RequestRefusal, requestRefusal } from '../rules/permission-request.js';
import { type Origin, originOf } from '../rules/references.js';
import { type BsuidRefusal, bsuidRefusal } from '../rules/user-link.js';
import { readNumberPause } from '../store/items/number-restriction.js';
import { reachableNumberOf } from '../store/items/user-link.js';
import {
  markRequestSent,
  releasePermissionRequest,
  reservePermissionRequest,
} from '../store/writes/permission-request.js';
import { type MessageParams, TelephonyError } from '../telephony/port.js';

/** `Origin`: the request's (or its call intent's) reference, metadata and caller, kept with it. */
export interface PermissionRequestToSend extends Origin {
  readonly business: PhoneNumber;
  /** The user number, or a BSUID: sent to the number it is linked to, refused when none. */
  readonly user: PhoneNumber | { readonly id: string };
  /** The business number's configuration: its permission template. */
  readonly number: BusinessNumber;
  /** Values for the template's placeholders; the configuration's `variables` fill the rest. */
  readonly variables?: TemplateVariables | undefined;
  /** What the request goes as: callgate's choice by the customer-service window when absent. */
  readonly kind?: RequestKindChoice | undefined;
  /** The free-form request's body; the number's `freeFormPermissionRequest.body` otherwise. */
  readonly body?: string | undefined;
  /** The number's pause as the caller read it (a call intent's run); read here when absent. */
  readonly pause?: PauseRead | undefined;
}

export type RequestPermissionOutcome =
  | {
      readonly kind: 'sent';
      readonly messageUuid: string;
      readonly requestedAt: number;
      /** What it went as: the interactive message inside the customer-service window, else the template. */
      readonly sent: PermissionRequestKind;
    }
  | { readonly kind: 'refused'; readonly refusal: RequestRefusal | PauseRefusal | BsuidRefusal }
  /** A free-form request that cannot go as one: nothing was counted. */
  | { readonly kind: 'not_free_form'; readonly refusal: RequestKindRefusal }
  /** The template cannot be filled: placeholders with no value, or variables no placeholder uses. */
  | {
      readonly kind: 'invalid_variables';
      readonly missing: readonly string[];
      readonly unused: readonly string[];
    }
  /** Plivo did not send the request; `released` says whether the request's count was undone. */
  | { readonly kind: 'plivo_failed'; readonly error: TelephonyError; readonly released: boolean }
  /**
   * Plivo may have sent it (no answer in time, or one callgate cannot read): it stays counted, since
   * a second request Meta's limits forbid costs more than a day's wait.
   */
  | { readonly kind: 'plivo_uncertain'; readonly error: TelephonyError };

type FilledTemplate =
  | { readonly ok: true; readonly components: readonly unknown[] | undefined }
  | { readonly ok: false; readonly missing: readonly string[]; readonly unused: readonly string[] };

/** The template's components with every `{{name}}` replaced: the request's value, else the default. */
const fillTemplate = (
  template: PermissionTemplate,
  variables: TemplateVariables = {},
): FilledTemplate => {
  const values = new Map(Object.entries({ ...template.variables, ...variables }));
  const used = new Set<string>();
  const missing = new Set<string>();
  const fill = (text: string) =>
    text.replace(templatePlaceholder, (placeholder, name: string) => {
      used.add(name);
      const value = values.get(name);
      if (value === undefined) missing.add(name);
      return value ?? placeholder;
    });
  const components = template.components?.map((component) => ({
    ...component,
    parameters: component.parameters.map((parameter) =>
      parameter.type === 'text' ? { ...parameter, text: fill(parameter.text) } : parameter,
    ),
  }));
  const unused = Object.keys(variables).filter((name) => !used.has(name));
  return missing.size || unused.length
    ? { ok: false, missing: [...missing], unused }
    : { ok: true, components };
};

/**
 * Sends the call-permission request to a user: Meta's free-form interactive message while the user's
 * customer-service window is open (and the number allows it), else the template, its placeholders
 * filled (a placeholder without a value refuses the request before anything is counted). The request is counted first (one
 * conditional write that also refuses it while a permission is active or a window is full), then sent;
 * if Plivo does not take it, the count is undone, so parallel callers can never send more than the
 * limits allow.
 */
export const requestPermission = async (
  deps: Deps,
  request: PermissionRequestToSend,
): Promise<RequestPermissionOutcome> => {
  const outcome = await send(deps, request);
  if (outcome.kind === 'refused') {
    deps.metrics.count('PermissionRequestsRefused', {
      business: request.business.e164,
      reason: outcome.refusal.code,
    });
  }
  return outcome;
};

/** The Message API request for what the request goes as. */
const messageParams = (
  kind: PermissionRequestKind,
  { business, user, number, body }: PermissionRequestToSend & { readonly user: PhoneNumber },
  components: readonly unknown[] | undefined,
): MessageParams => {
  const parties = { src: plivoDigits(business.e164), dst: plivoDigits(user.e164) } as const;
  if (kind === 'interactive') {
    const text = body ?? number.freeFormPermissionRequest.body;
    return {
      ...parties,
      type: 'whatsapp',
      interactive: {
        type: 'call_permission_request',
        action: { name: 'call_permission_request' },
        ...(text === undefined ? {} : { body: { text } }),
      },
    };
  }
  return {
    ...parties,
    type: 'whatsapp',
    template: {
      name: number.permissionTemplate.name,
      language: number.permissionTemplate.language,
      ...(components ? { components } : {}),
    },
  };
};

const send = async (
  deps: Deps,
  toSend: PermissionRequestToSend,
): Promise<RequestPermissionOutcome> => {
  const { business, number, variables } = toSend;
  const choice = toSend.kind ?? 'auto';
  const freeForm = number.freeFormPermissionRequest.enabled;
  // Before anything is counted: a template Meta would refuse must not use up a request, and neither
  // may a free-form request the number does not send.
  const filled = fillTemplate(number.permissionTemplate, variables);
  if (!filled.ok) {
    return { kind: 'invalid_variables', missing: filled.missing, unused: filled.unused };
  }
  const early = kindRefusalBeforeRead(choice, freeForm);
  if (early) return { kind: 'not_free_form', refusal: early };
  const { rules } = deps.config;
  const now = deps.clock();
  // Before the request is counted; a pause recorded after this read (or the caller's) is Meta's to refuse.
  const pause = toSend.pause
    ? toSend.pause.standing
    : await readNumberPause(deps.db, business.e164, now);
  const paused = pauseRefusal(pause, now);
  if (paused) return { kind: 'refused', refusal: paused };
  const reached = await reachableNumberOf(deps.db, business.e164, toSend.user, now);
  const unreachable = bsuidRefusal({ number: reached }, 'request');
  if (unreachable) return { kind: 'refused', refusal: { code: unreachable } };
  const user = 'e164' in toSend.user ? toSend.user : (parsePhoneNumber(reached) as PhoneNumber);
  const request = { business: business.e164, user: user.e164, requestId: randomUUID(), now, rules };
  const reservation = await reservePermissionRequest(deps.db, {
    ...request,
    requireOpenWindow: choice === 'interactive',
  });
  if (!reservation.reserved) {
    const refusal = requestRefusal(reservation.pair, now, rules);
    const kind = requestKind(reservation.pair, now, choice, freeForm);
    // A request nothing could send is told so first; then a window that closed.
    if (!refusal && 'refusal' in kind) return { kind: 'not_free_form', refusal: kind.refusal };
    // The condition and the rules agree; should they not (slots out of order after clock skew), refuse briefly.
    return { kind: 'refused', refusal: refusal ?? { code: 'request_limit', retryAfter: 1 } };
  }
  const decided = requestKind(reservation.pair, now, choice, freeForm);
  // The condition held the window open for a forced free-form request: anything else is a template.
  const kind = 'kind' in decided ? decided.kind : 'interactive';
  try {
    const sent = await deps.telephony.sendMessage(
      messageParams(kind, { ...toSend, user }, filled.components),
    );
    await markRequestSent(deps.db, { ...request, ...originOf(toSend), kind }).catch(
      (error: unknown) => {
        // The request is on its way: answer so. No `permission.requested` event is published for it.
        deps.logger.error('could not mark the permission request sent', { error: error as Error });
      },
    );
    return { kind: 'sent', messageUuid: sent.messageUuid, requestedAt: now, sent: kind };
  } catch (error) {
    if (error instanceof TelephonyError && error.mayHaveActed) {
      deps.logger.warn('call-permission request may have been sent; it stays counted', {
        error,
      });
      return { kind: 'plivo_uncertain', error };
    }
    const released = await releasePermissionRequest(deps.db, {
      ...request,
      previousSlots: reservation.previousSlots,
    }).catch((releaseError: unknown) => {
      deps.logger.error('permission request not released after a failed send', {
        error: releaseError as Error,
      });
      return false;
    });
    deps.logger.warn('call-permission request not sent', { error: error as Error, released });
    if (error instanceof TelephonyError) return { kind: 'plivo_failed', error, released };
    throw error;
  }
};
