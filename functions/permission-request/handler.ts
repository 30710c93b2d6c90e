import * as z from 'zod';
import { templateVariablesSchema } from '../shared/config/template-variables.js';
import type { Deps } from '../shared/deps.js';
import { businessPair } from '../shared/http/business-pair.js';
import { HttpError } from '../shared/http/errors.js';
import { businessApi, type LambdaHandler } from '../shared/http/middleware.js';
import { refusalError } from '../shared/http/refusals.js';
import { numberField } from '../shared/http/request.js';
import { json } from '../shared/http/respond.js';
import { requestPermission } from '../shared/operations/permission-request.js';

/** Strict: a misspelt field is refused by name, never silently dropped. */
const bodySchema = z.strictObject({
  from: numberField('the business number'),
  to: numberField('the user number'),
  variables: templateVariablesSchema.optional(),
});

const variablesMessage = (missing: readonly string[], unused: readonly string[]): string =>
  [
    ...missing.map(
      (name) =>
        `variables.${name}: the permission template needs it and neither the request nor permissionTemplate.variables gives it`,
    ),
    ...unused.map((name) => `variables.${name}: the permission template has no {{${name}}}`),
  ].join('; ');

/** POST /v1/permission-requests: the call-permission request template, within the request limits. */
export const createHandler = (deps: Deps): LambdaHandler =>
  businessApi(deps, async (request) => {
    const body = bodySchema.parse(request.body);
    const pair = businessPair(deps.config, { business: body.from, user: body.to });
    const outcome = await requestPermission(deps, { ...pair, variables: body.variables });
    switch (outcome.kind) {
      case 'invalid_variables':
        throw new HttpError(
          400,
          'invalid_request',
          variablesMessage(outcome.missing, outcome.unused),
        );
      case 'sent':
        deps.logger.info('call-permission request sent', { messageUuid: outcome.messageUuid });
        return json(202, {
          messageId: outcome.messageUuid,
          from: pair.business.e164,
          to: pair.user.e164,
          requestedAt: new Date(outcome.requestedAt).toISOString(),
        });
      case 'refused': {
        const { per24Hours, per7Days } = deps.config.rules.permissionRequests;
        throw refusalError(
          outcome.refusal,
          outcome.refusal.code === 'request_limit'
            ? `: at most ${per24Hours} per 24 h and ${per7Days} per 7 days`
            : '',
        );
      }
      case 'plivo_failed':
        throw new HttpError(
          502,
          'plivo_error',
          `Plivo did not send the template: ${outcome.error.message}`,
        );
    }
  });
