import {
  type PermissionRequestResponse,
  permissionRequestBody,
} from '../shared/api/permissions.js';
import type { Deps } from '../shared/deps.js';
import { businessPair } from '../shared/http/business-pair.js';
import { HttpError } from '../shared/http/errors.js';
import { businessApi, type LambdaHandler } from '../shared/http/middleware.js';
import { plivoOutcomeUnknown, refusalError } from '../shared/http/refusals.js';
import { json } from '../shared/http/respond.js';
import { requestPermission } from '../shared/operations/permission-request.js';
import { userKey } from '../shared/users.js';

const notFreeFormMessage = {
  window_closed:
    'the customer-service window is closed: no message or call from the user in the last 24 h; send the template ("kind": "template")',
  free_form_off:
    'free-form permission requests are turned off for this business number (freeFormPermissionRequest.enabled)',
} as const;

const variablesMessage = (missing: readonly string[], unused: readonly string[]): string =>
  [
    ...missing.map(
      (name) =>
        `variables.${name}: the permission template needs it and neither the request nor permissionTemplate.variables gives it`,
    ),
    ...unused.map((name) => `variables.${name}: the permission template has no {{${name}}}`),
  ].join('; ');

/**
 * POST /v1/permission-requests: the call-permission request, free-form inside the customer-service
 * window and the template outside it, within the request limits.
 */
export const createHandler = (deps: Deps): LambdaHandler =>
  businessApi(deps, async (request) => {
    const body = permissionRequestBody.parse(request.body);
    if (body.kind === 'template' && body.body !== undefined) {
      throw new HttpError(
        400,
        'invalid_request',
        'body: a template request has no body of its own',
      );
    }
    const pair = businessPair(deps.config, { business: body.from, user: body.to });
    const outcome = await requestPermission(deps, {
      ...pair,
      variables: body.variables,
      kind: body.kind,
      body: body.body,
      reference: body.reference,
      metadata: body.metadata,
      actor: request.actor,
    });
    switch (outcome.kind) {
      case 'invalid_variables':
        throw new HttpError(
          400,
          'invalid_request',
          variablesMessage(outcome.missing, outcome.unused),
        );
      case 'sent':
        deps.logger.info('call-permission request sent', {
          messageUuid: outcome.messageUuid,
          sent: outcome.sent,
        });
        return json(202, {
          messageId: outcome.messageUuid,
          sent: outcome.sent,
          from: pair.business.e164,
          to: userKey(pair.user),
          requestedAt: new Date(outcome.requestedAt).toISOString(),
        } satisfies PermissionRequestResponse);
      case 'refused': {
        const { per24Hours, per7Days } = deps.config.rules.permissionRequests;
        throw refusalError(
          outcome.refusal,
          outcome.refusal.code === 'request_limit'
            ? `: at most ${per24Hours} per 24 h and ${per7Days} per 7 days`
            : '',
        );
      }
      case 'not_free_form':
        throw new HttpError(409, outcome.refusal, notFreeFormMessage[outcome.refusal]);
      case 'plivo_failed':
        throw new HttpError(
          502,
          'plivo_error',
          `Plivo did not send the request: ${outcome.error.message}`,
        );
      case 'plivo_uncertain':
        throw plivoOutcomeUnknown('the permission request', outcome.error);
    }
  });
