import { randomUUID } from 'node:crypto';
import type { BusinessNumber, PermissionTemplate } from '../config/schema.js';
import { type TemplateVariables, templatePlaceholder } from '../config/template-variables.js';
import type { Deps } from '../deps.js';
import { type PhoneNumber, plivoDigits } from '../numbers.js';
import { type PauseRefusal, pauseRefusal } from '../rules/number-pause.js';
import { type RequestRefusal, requestRefusal } from '../rules/permission-request.js';
import { readNumberPause } from '../store/items/number-restriction.js';
import {
  markRequestSent,
  releasePermissionRequest,
  reservePermissionRequest,
} from '../store/writes/permission-request.js';
import { TelephonyError } from '../telephony/port.js';

export interface PermissionRequestToSend {
  readonly business: PhoneNumber;
  readonly user: PhoneNumber;
  /** The business number's configuration: its permission template. */
  readonly number: BusinessNumber;
  /** Values for the template's placeholders; the configuration's `variables` fill the rest. */
  readonly variables?: TemplateVariables | undefined;
}

export type RequestPermissionOutcome =
  | { readonly kind: 'sent'; readonly messageUuid: string; readonly requestedAt: number }
  | { readonly kind: 'refused'; readonly refusal: RequestRefusal | PauseRefusal }
  /** The template cannot be filled: placeholders with no value, or variables no placeholder uses. */
  | {
      readonly kind: 'invalid_variables';
      readonly missing: readonly string[];
      readonly unused: readonly string[];
    }
  /** Plivo did not send the template; `released` says whether the request's count was undone. */
  | { readonly kind: 'plivo_failed'; readonly error: TelephonyError; readonly released: boolean };

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
 * Sends the call-permission request template to a user, its placeholders filled (a placeholder without
 * a value refuses the request before anything is counted). The request is counted first (one
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

const send = async (
  deps: Deps,
  { business, user, number, variables }: PermissionRequestToSend,
): Promise<RequestPermissionOutcome> => {
  // Before anything is counted: a template Meta would refuse must not use up a request.
  const filled = fillTemplate(number.permissionTemplate, variables);
  if (!filled.ok) {
    return { kind: 'invalid_variables', missing: filled.missing, unused: filled.unused };
  }
  const { rules } = deps.config;
  const now = deps.clock();
  // Before the request is counted; a pause recorded after this read is Meta's to refuse.
  const paused = pauseRefusal(await readNumberPause(deps.db, business.e164, now), now);
  if (paused) return { kind: 'refused', refusal: paused };
  const request = { business: business.e164, user: user.e164, requestId: randomUUID(), now, rules };
  const reservation = await reservePermissionRequest(deps.db, request);
  if (!reservation.reserved) {
    // The condition and the rules agree; should they not (slots out of order after clock skew), refuse briefly.
    const refusal = requestRefusal(reservation.pair, now, rules) ?? {
      code: 'request_limit',
      retryAfter: 1,
    };
    return { kind: 'refused', refusal };
  }
  try {
    const sent = await deps.telephony.sendTemplate({
      src: plivoDigits(business.e164),
      dst: plivoDigits(user.e164),
      type: 'whatsapp',
      template: {
        name: number.permissionTemplate.name,
        language: number.permissionTemplate.language,
        ...(filled.components ? { components: filled.components } : {}),
      },
    });
    await markRequestSent(deps.db, request).catch((error: unknown) => {
      // The template is on its way: answer so. No `permission.requested` event is published for it.
      deps.logger.error('could not mark the permission request sent', { error: error as Error });
    });
    return { kind: 'sent', messageUuid: sent.messageUuid, requestedAt: now };
  } catch (error) {
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
