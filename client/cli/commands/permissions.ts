import type { Command } from 'commander';
import type { PairPermission, PermissionCorrection } from '../../types.js';
import { contextOf } from '../context.js';
import { fields, table } from '../output.js';
import { keyValueOption } from './parse.js';

const corrections: readonly PermissionCorrection['status'][] = [
  'temporary',
  'permanent',
  'rejected',
  'revoked',
  'none',
];

/** The permission and the number's state as fields, the two actions as a table. */
const stateView = ({ actions, preset, ...rest }: PairPermission): string =>
  [
    fields({ ...rest, preset: preset.name }),
    '',
    table(
      actions.map((action) => ({
        ...action,
        limits: action.limits.map((l) => `${l.used}/${l.max} per ${l.window}`).join(', '),
      })),
      ['action', 'canPerform', 'reason', 'availableAt', 'limits'],
    ),
  ].join('\n');

/** `permissions request|get|correct`. */
export const registerPermissions = (program: Command): void => {
  const permissions = program
    .command('permissions')
    .description("request, read and correct a user's call permission");
  permissions
    .command('request')
    .description('send the call-permission request (POST /v1/permission-requests)')
    .requiredOption('--from <business>', 'the business number, E.164')
    .requiredOption('--to <user>', 'the user number, E.164, or a BSUID')
    .option(
      '--kind <kind>',
      'template or interactive (default: the customer-service window decides)',
    )
    .option('--body <text>', "the free-form request's text")
    .option('--variable <name=value>', 'a template variable (repeatable)', keyValueOption)
    .action(async (options, command: Command) => {
      const context = contextOf(command);
      const outcome = await context.client.requestPermission({
        from: options.from,
        to: options.to,
        ...(options.kind ? { kind: options.kind } : {}),
        ...(options.body ? { body: options.body } : {}),
        ...(options.variable ? { variables: options.variable } : {}),
      });
      context.finish(outcome, (body) => fields({ ...body }));
    });
  permissions
    .command('get')
    .description('the permission and what the business may do now (GET /v1/permissions/…)')
    .argument('<business>', 'the business number, E.164')
    .argument('<user>', 'the user number, E.164, or a BSUID')
    .action(async (business: string, user: string, _options, command: Command) => {
      const context = contextOf(command);
      context.finish(await context.client.permissionState({ business, user }), stateView);
    });
  permissions
    .command('correct')
    .description("an operator's correction of the permission (PUT /v1/permissions/…)")
    .argument('<business>', 'the business number, E.164')
    .argument('<user>', 'the user number, E.164, or a BSUID')
    .argument('<status>', corrections.join(', '))
    .option(
      '--expires-at <time>',
      "ISO 8601: a temporary grant's end, or how long a refusal stands",
    )
    .action(
      async (
        business: string,
        user: string,
        status: PermissionCorrection['status'],
        options: { expiresAt?: string },
        command: Command,
      ) => {
        const context = contextOf(command);
        const outcome = await context.client.correctPermission(
          { business, user },
          { status, ...(options.expiresAt ? { expiresAt: options.expiresAt } : {}) },
        );
        context.finish(outcome, stateView);
      },
    );
};
