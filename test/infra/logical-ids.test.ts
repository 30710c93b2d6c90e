import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { exampleConfigPath } from '../../functions/shared/config/load.js';
import { type Json, synthesized } from '../support/stack.js';

/**
 * On upgrade, CloudFormation replaces a resource whose logical id changed: it creates a new one and
 * deletes the old. For what holds state that means a new, empty table (the old one retained aside),
 * a new bus without the business's rules, queues without their dead letters, and stream mappings that
 * read the table's last 24 hours again. So these ids are pinned here, literally: a refactoring of the
 * stack that moves one of them fails this test instead of an upgrade.
 */
const statefulTypes = [
  'AWS::DynamoDB::Table',
  'AWS::SecretsManager::Secret',
  'AWS::KMS::Key',
  'AWS::Events::EventBus',
  'AWS::Events::Archive',
  'AWS::Events::Connection',
  'AWS::SQS::Queue',
  'AWS::SNS::Topic',
  'AWS::Scheduler::ScheduleGroup',
  'AWS::Lambda::EventSourceMapping',
];

const statefulIds = (resources: Record<string, Json>): Record<string, string[]> => {
  const byType: Record<string, string[]> = {};
  for (const [id, resource] of Object.entries(resources)) {
    if (!statefulTypes.includes(resource.Type)) continue;
    byType[resource.Type] = [...(byType[resource.Type] ?? []), id].sort();
  }
  return byType;
};

const pinned = {
  'AWS::DynamoDB::Table': ['TableCD117FA1'],
  'AWS::SecretsManager::Secret': ['ListingCursorKeyFFEA0A3D', 'PlivoCredentialsB477A0A7'],
  'AWS::Events::Archive': ['EventArchive336EADAF'],
  'AWS::KMS::Key': ['OperationsAlarmTopicKey52078457'],
  'AWS::Events::EventBus': ['EventBus7B8748AA'],
  'AWS::SQS::Queue': [
    'DispatcherDeadLetters0F711854',
    'EventDeadLetters322AA761',
    'ExpiryWatchDeadLettersA7303F2B',
    'IntentEventDeadLettersE80E028E',
    'LeaseChangeDeadLettersFEF0A773',
    'PermissionExpiryDeadLetters354BA5A1',
    'PermissionExpiryLookDeadLettersB80441E0',
    'WakeupDeadLetters2BEA1A9F',
  ],
  'AWS::SNS::Topic': ['OperationsAlarms65F99440'],
  'AWS::Scheduler::ScheduleGroup': ['IntentWakeupsFA16B953', 'PermissionExpiryLooks644476A6'],
  'AWS::Lambda::EventSourceMapping': [
    'EventsHandlerDynamoDBEventSourceCallgateTable305171156841E0D4',
    'LeaseChangesHandlerDynamoDBEventSourceCallgateTable30517115021B8931',
    'PermissionExpiryHandlerDynamoDBEventSourceCallgateTable30517115EB7C972C',
  ],
};

const scratch = mkdtempSync(join(tmpdir(), 'callgate-logical-ids-'));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

/** The example configuration with an events webhook, which adds its queue, mapping and dead letters. */
const configWithWebhook = (): string => {
  const raw = JSON.parse(readFileSync(exampleConfigPath, 'utf8'));
  raw.events = {
    webhook: {
      url: 'https://hooks.example.com/callgate',
      secret: 'callgate/webhook',
    },
  };
  const path = join(scratch, 'config.json');
  writeFileSync(path, JSON.stringify(raw));
  return path;
};

describe('the logical ids of what holds state', () => {
  let resources: Record<string, Json>;
  beforeAll(() => {
    ({ resources } = synthesized());
  });

  it('are what deployed stacks have', () => {
    expect(statefulIds(resources)).toEqual(pinned);
  });

  it('are the same with a webhook, which adds its queue, its mapping and its dead letters', () => {
    // The dead letters keep the id they had under the API destination (no connection is left).
    expect(statefulIds(synthesized(configWithWebhook()).resources)).toEqual({
      ...pinned,
      'AWS::SQS::Queue': [
        ...pinned['AWS::SQS::Queue'],
        'WebhookDeadLettersCE7A6689',
        'WebhookQueueA9D318EA',
      ].sort(),
      'AWS::Lambda::EventSourceMapping': [
        ...pinned['AWS::Lambda::EventSourceMapping'],
        'EventWebhookHandlerSqsEventSourceCallgateWebhookQueueE5E1D84AE760A6C6',
      ].sort(),
    });
  });

  it('keep the names generated from them: a new name replaces the bus or the schedule group', () => {
    expect(resources.EventBus7B8748AA.Properties.Name).toBe('CallgateEventBus3FC7C7FA');
    expect(resources.IntentWakeupsFA16B953.Properties.Name).toBe('Callgate-IntentWakeups-002E8FEE');
  });
});
