import { readFileSync } from 'node:fs';
import { afterEach, describe, expect, it, vi } from 'vitest';
import {
  ConfigError,
  exampleConfigPath,
  parseConfig,
  readConfigFile,
} from '../../functions/shared/config/load.js';
import type { Config } from '../../functions/shared/config/schema.js';
import { lambdaDeps, selfSchedules } from '../../functions/shared/lambda-deps.js';
import { lambdaObservability } from '../../functions/shared/lambda-observability.js';
import type { SchedulerOptions } from '../../functions/shared/scheduling/eventbridge-scheduler.js';
import { configDefine } from '../../infra/function-construct.js';

/** What a bundle's `JSON.parse(__CALLGATE_CONFIG__)` gives: esbuild substitutes the define's literal. */
const bundled = (config: Config): unknown => JSON.parse(JSON.parse(configDefine(config)));

// biome-ignore lint/suspicious/noExplicitAny: the example file as written, before validation
const exampleFile = (): any => JSON.parse(readFileSync(exampleConfigPath, 'utf8'));

describe('the configuration bundled into a function', () => {
  it('is the validated configuration, so validating it again at a cold start would change nothing', () => {
    const config = readConfigFile(exampleConfigPath);
    const inBundle = bundled(config);
    expect(inBundle).toStrictEqual(config);
    expect(parseConfig(inBundle, 'the bundle')).toStrictEqual(inBundle);
  });

  it('is validated at synth whatever is passed: defaults filled in, bare prompts expanded', () => {
    expect(bundled(exampleFile())).toStrictEqual(readConfigFile(exampleConfigPath));
  });

  it('stops synth on a time zone Intl does not know, naming the entry', () => {
    const raw = exampleFile();
    raw.numbers[0].inbound.hours.timeZone = 'Europe/Atlantis';
    expect(() => configDefine(raw)).toThrow(ConfigError);
    expect(() => configDefine(raw)).toThrow(/numbers\[0\]\.inbound\.hours\.timeZone/);
  });

  it('is the only configuration a Lambda entry reads: unbundled, it refuses to start', () => {
    expect(() => lambdaDeps(lambdaObservability('health'))).toThrow(/No bundled configuration/);
  });
});

describe("a function's own schedules", () => {
  afterEach(() => vi.unstubAllEnvs());

  const stubSchedulerEnv = () => {
    vi.stubEnv('SCHEDULE_GROUP_NAME', 'group');
    vi.stubEnv('SCHEDULER_ROLE_ARN', 'arn:aws:iam::123456789012:role/looks');
    vi.stubEnv('WAKEUP_DEAD_LETTER_ARN', 'arn:aws:sqs:eu-west-1:123456789012:dead');
  };

  it("are built once, from the stack's variables and the ARN of the first invocation", () => {
    stubSchedulerEnv();
    const built: SchedulerOptions[] = [];
    const schedulesFor = selfSchedules(lambdaObservability('intent-dispatcher'), (options) => {
      built.push(options);
      return { options };
    });
    expect(built).toEqual([]);
    const first = schedulesFor('arn:aws:lambda:eu-west-1:123456789012:function:first');
    expect(schedulesFor('arn:aws:lambda:eu-west-1:123456789012:function:first')).toBe(first);
    expect(built).toHaveLength(1);
    expect(built[0]).toMatchObject({
      groupName: 'group',
      targetArn: 'arn:aws:lambda:eu-west-1:123456789012:function:first',
      roleArn: 'arn:aws:iam::123456789012:role/looks',
      deadLetterArn: 'arn:aws:sqs:eu-west-1:123456789012:dead',
    });
    expect(built[0]?.client).toBeDefined();
  });

  it.each(['SCHEDULE_GROUP_NAME', 'SCHEDULER_ROLE_ARN', 'WAKEUP_DEAD_LETTER_ARN'])(
    'refuse a cold start without %s, naming it',
    (name) => {
      stubSchedulerEnv();
      vi.stubEnv(name, '');
      expect(() => selfSchedules(lambdaObservability('permission-expiry'), () => ({}))).toThrow(
        `${name} is not set`,
      );
    },
  );
});
