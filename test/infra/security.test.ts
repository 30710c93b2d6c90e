/**
 * Security review of the stack, as assertions. test/infra/stack.test.ts checks that the template
 * matches the route table and infra/functions.ts; this file checks the policies themselves:
 * - no IAM-less route except the Plivo webhooks and /health, whatever the route table says;
 * - each function's table actions are exactly what its BUNDLED code can call (static analysis below);
 * - the Plivo token only through Secrets Manager, never in the template or the environment;
 * - real log output of a whole flow holds no auth token and no full phone number.
 */

import { randomUUID } from 'node:crypto';
import { Template } from 'aws-cdk-lib/assertions';
import { build } from 'esbuild';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type FunctionName, functionNames, plivoPaths } from '../../functions/shared/routes.js';
import { functionEntry, projectRoot } from '../../infra/function-construct.js';
import type { CallgateStack } from '../../infra/stack.js';
import type { LocalHost } from '../../local/host.js';
import { exampleAgents, exampleNumbers } from '../support/fixtures.js';
import { postSignedForm, startTestHost } from '../support/local-host.js';
import { jsonAnswer, type Loopback, startLoopback } from '../support/loopback.js';
import { asArray, exampleWithApiKeysPath, type Json, synthesized } from '../support/stack.js';

let stack: CallgateStack;
let resources: Record<string, Json>;
beforeAll(() => {
  // With the events webhook and API keys, so that every function is deployed, the webhook's signing
  // function and the API-key authorizer included.
  ({ stack, resources } = synthesized(exampleWithApiKeysPath(undefined, true)));
});

const ofType = (type: string): Json[] =>
  Object.values(resources).filter((r: Json) => r.Type === type);

describe('API authorization', () => {
  it('every /v1 route requires AWS_IAM or the API-key authorizer; only the Plivo webhooks and /health take neither', () => {
    const iamLess = new Set<string>([...Object.values(plivoPaths), '/health']);
    const authorizers = Object.keys(resources).filter(
      (id) => resources[id].Type === 'AWS::ApiGatewayV2::Authorizer',
    );
    expect(authorizers).toHaveLength(1);
    const apiRoutes = ofType('AWS::ApiGatewayV2::Route');
    expect(apiRoutes.length).toBeGreaterThan(0);
    for (const route of apiRoutes) {
      const key: string = route.Properties.RouteKey;
      const [, path = ''] = key.split(' ');
      // A catch-all would route around every rule below.
      expect(key).not.toMatch(/\$default|\{proxy\+\}|^ANY /);
      const type = route.Properties.AuthorizationType;
      if (path.startsWith('/v1/')) expect(['AWS_IAM', 'CUSTOM'], key).toContain(type);
      if (type === 'CUSTOM')
        expect(route.Properties.AuthorizerId, key).toEqual({ Ref: authorizers[0] });
      if (type === 'NONE') expect(iamLess, key).toContain(path);
      // The IAM-less ones are POST only (webhooks) or GET /health: no other verb reaches them.
      if (!path.startsWith('/v1/'))
        expect(key, key).toMatch(/^(POST \/plivo\/whatsapp\/|GET \/health$)/);
    }
  });
});

/** DynamoDB document-client commands and the IAM actions each needs. */
const commandActions: Record<string, readonly string[]> = {
  GetCommand: ['dynamodb:GetItem'],
  PutCommand: ['dynamodb:PutItem'],
  UpdateCommand: ['dynamodb:UpdateItem'],
  DeleteCommand: ['dynamodb:DeleteItem'],
  QueryCommand: ['dynamodb:Query'],
  ScanCommand: ['dynamodb:Scan'],
  BatchGetCommand: ['dynamodb:BatchGetItem'],
  BatchWriteCommand: ['dynamodb:BatchWriteItem'],
  TransactGetCommand: ['dynamodb:GetItem'],
  // Low-level client commands, should a module use them directly.
  GetItemCommand: ['dynamodb:GetItem'],
  PutItemCommand: ['dynamodb:PutItem'],
  UpdateItemCommand: ['dynamodb:UpdateItem'],
  DeleteItemCommand: ['dynamodb:DeleteItem'],
  // Not a table action: the events function's bus grant is checked on its own below.
  PutEventsCommand: [],
  // Not a table action: the intent dispatcher's schedule grant is checked in test/infra/intents-stack.test.ts.
  CreateScheduleCommand: [],
};
/** TransactWriteItems is authorized per contained action: the item kinds map to these. */
const transactItemActions: Record<string, string> = {
  Put: 'dynamodb:PutItem',
  Update: 'dynamodb:UpdateItem',
  Delete: 'dynamodb:DeleteItem',
  ConditionCheck: 'dynamodb:ConditionCheckItem',
};

/**
 * The table actions a function's deployed code can perform, found statically: the Lambda entry is
 * bundled by esbuild (tree-shaken, not minified), so only top-level functions reachable from the
 * handler remain; in the parts that come from functions/ (esbuild marks each module with a
 * `// path` comment) every `new XCommand(` is collected, and when a TransactWriteCommand is among
 * them, every `Put:`/`Update:`/`Delete:`/`ConditionCheck:` transaction item key. This errs towards
 * finding more than is called (an item key anywhere in reachable code counts), never less, so
 * "granted ⊆ found" is a sound least-privilege check; "found ⊆ granted" catches a missing grant
 * that would fail on AWS with AccessDenied.
 */
const reachableTableActions = async (
  fn: FunctionName,
): Promise<{ actions: Set<string>; modules: string[] }> => {
  const result = await build({
    entryPoints: [functionEntry(fn)],
    absWorkingDir: projectRoot,
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: 'node22',
    mainFields: ['module', 'main'],
    treeShaking: true,
    minify: false,
    write: false,
    outfile: 'bundle.mjs',
    logLevel: 'silent',
  });
  const code = result.outputFiles[0]?.text ?? '';
  const ours = code.split(/^\/\/ (?=\S+\.[cm]?[jt]s$)/m).filter((s) => s.startsWith('functions/'));
  const actions = new Set<string>();
  let transactWrite = false;
  for (const section of ours) {
    for (const [, name = ''] of section.matchAll(/\bnew (\w+?Command)\d*\(/g)) {
      if (name === 'TransactWriteCommand') transactWrite = true;
      else if (/^(DynamoDB|Secrets|Get(Secret)?Value)/.test(name)) continue;
      else {
        expect(commandActions, `unknown command ${name} in ${fn}`).toHaveProperty(name);
        for (const action of commandActions[name] ?? []) actions.add(action);
      }
    }
  }
  if (transactWrite) {
    for (const section of ours) {
      for (const [, kind = ''] of section.matchAll(
        /[{,]\s*(Put|Update|Delete|ConditionCheck)\s*[:,}]/g,
      )) {
        actions.add(transactItemActions[kind] as string);
      }
    }
  }
  return { actions, modules: ours.map((s) => s.split('\n')[0] ?? '') };
};

/** What reading the table's stream takes (granted to the event source mapping's function, on the stream). */
const streamReadActions = [
  'dynamodb:DescribeStream',
  'dynamodb:GetRecords',
  'dynamodb:GetShardIterator',
  'dynamodb:ListStreams',
];

describe('least privilege on the table', () => {
  /** The dynamodb: actions of the function's role, read from the template. */
  const grantedActions = (fn: FunctionName): string[] => {
    const callgateFunction = stack.functions.get(fn);
    if (!callgateFunction) throw new Error(`no function ${fn}`);
    const fnId = stack.getLogicalId(callgateFunction.handler.node.defaultChild as never);
    const roleId = resources[fnId].Properties.Role['Fn::GetAtt'][0];
    // Once each: a listing's Query on its indexes is a statement of its own beside the table's.
    return [
      ...new Set<string>(
        ofType('AWS::IAM::Policy')
          .filter((p: Json) => p.Properties.Roles.some((r: Json) => r.Ref === roleId))
          .flatMap((p: Json) => p.Properties.PolicyDocument.Statement)
          .flatMap((s: Json) => asArray<string>(s.Action))
          .filter((a: string) => a.startsWith('dynamodb:') && !streamReadActions.includes(a)),
      ),
    ];
  };

  it.each([...functionNames])(
    '%s: granted table actions are exactly those its bundled code can call',
    async (fn) => {
      const { actions, modules } = await reachableTableActions(fn);
      // The analysis saw the handler (a broken split would find nothing and prove nothing).
      expect(modules).toContain(`functions/${fn}/handler.ts`);
      expect(grantedActions(fn).sort(), fn).toEqual([...actions].sort());
    },
  );
});

describe("the table's stream", () => {
  it('is read by lease-changes, events and permission-expiry alone, on the stream ARN alone', () => {
    const streamStatements = ofType('AWS::IAM::Policy').flatMap((p: Json) =>
      p.Properties.PolicyDocument.Statement.filter((st: Json) =>
        asArray<string>(st.Action).some((a) => streamReadActions.includes(a)),
      ).map((st: Json) => ({ roles: p.Properties.Roles, statement: st })),
    );
    const roleIds = (['lease-changes', 'events', 'permission-expiry'] as const).map((fn) => {
      const reader = stack.functions.get(fn);
      if (!reader) throw new Error(`no ${fn} function`);
      return stack.getLogicalId(reader.role.node.defaultChild as never);
    });
    expect(new Set(streamStatements.map(({ roles }) => roles[0].Ref))).toEqual(new Set(roleIds));
    for (const { roles, statement } of streamStatements) {
      expect(roles).toHaveLength(1);
      const tableId = stack.getLogicalId(stack.table.node.defaultChild as never);
      for (const resource of asArray<Json>(statement.Resource)) {
        if (resource === '*') {
          // Only actions without resource-level permissions (cdk.json's minimizePolicies merges them
          // into one statement): ListStreams, and X-Ray's writes for active tracing.
          expect(
            asArray<string>(statement.Action).filter(
              (action) =>
                ![
                  'dynamodb:ListStreams',
                  'xray:PutTraceSegments',
                  'xray:PutTelemetryRecords',
                ].includes(action),
            ),
          ).toEqual([]);
          expect(asArray<string>(statement.Action)).toContain('dynamodb:ListStreams');
        } else {
          expect(resource).toEqual({ 'Fn::GetAtt': [tableId, 'StreamArn'] });
        }
      }
    }
  });
});

describe('the event bus', () => {
  it('only the events function may put events, on the stack bus alone; it holds nothing else', () => {
    const events = stack.functions.get('events');
    if (!events) throw new Error('no events function');
    const roleId = stack.getLogicalId(events.role.node.defaultChild as never);
    const busId = stack.getLogicalId(stack.eventBus.node.defaultChild as never);
    const putStatements = ofType('AWS::IAM::Policy').flatMap((p: Json) =>
      p.Properties.PolicyDocument.Statement.filter((st: Json) =>
        asArray<string>(st.Action).some((a) => a.startsWith('events:')),
      ).map((st: Json) => ({ roles: p.Properties.Roles, statement: st })),
    );
    expect(putStatements).toEqual([
      {
        roles: [{ Ref: roleId }],
        statement: expect.objectContaining({
          Action: 'events:PutEvents',
          Resource: { 'Fn::GetAtt': [busId, 'Arn'] },
        }),
      },
    ]);
    const actions = ofType('AWS::IAM::Policy')
      .filter((p: Json) => p.Properties.Roles.some((r: Json) => r.Ref === roleId))
      .flatMap((p: Json) => p.Properties.PolicyDocument.Statement)
      .flatMap((st: Json) => asArray<string>(st.Action));
    // Logs, traces, the stream it reads and the dead letters it fills: no table item, no secret.
    for (const action of actions) {
      expect(action).toMatch(
        /^(logs:|xray:|events:PutEvents$|sqs:Send|sqs:Get|dynamodb:(ListStreams|DescribeStream|GetRecords|GetShardIterator)$)/,
      );
    }
  });
});

describe('secrets', () => {
  it('the Plivo secret is generated by Secrets Manager, the webhook secret read at run time: no secret value in the template', () => {
    const secrets = ofType('AWS::SecretsManager::Secret');
    // The Plivo credentials, and the listings' cursor key (test/infra/listings-stack.test.ts).
    expect(secrets).toHaveLength(2);
    const plivo = secrets.find(
      (secret: Json) => secret.Properties.GenerateSecretString.GenerateStringKey,
    );
    expect(secrets.every((secret: Json) => secret.Properties.SecretString === undefined)).toBe(
      true,
    );
    const props = plivo.Properties;
    expect(props.SecretString).toBeUndefined();
    expect(props.GenerateSecretString.GenerateStringKey).toBe('authToken');
    expect(Object.keys(JSON.parse(props.GenerateSecretString.SecretStringTemplate))).toEqual([
      'authId',
    ]);
    const template = JSON.stringify(Template.fromStack(stack).toJSON());
    // No dynamic reference resolves the secret's value into a property at deploy time either.
    expect(template).not.toMatch(/resolve:secretsmanager/);
    expect(template).not.toMatch(/"authToken"\s*:\s*"/);
  });

  it('no function environment resolves a secret; every variable is one the code is known to read', () => {
    const allowed = new Set([
      'PUBLIC_BASE_URL',
      'POWERTOOLS_SERVICE_NAME',
      'POWERTOOLS_LOG_LEVEL',
      'NODE_OPTIONS',
      'TABLE_NAME',
      'PLIVO_SECRET_ARN',
      'CURSOR_SECRET_ARN',
      'AWS_NODEJS_CONNECTION_REUSE_ENABLED',
      'EVENT_BUS_NAME',
      'SCHEDULE_GROUP_NAME',
      'SCHEDULER_ROLE_ARN',
      'WAKEUP_DEAD_LETTER_ARN',
    ]);
    for (const fn of ofType('AWS::Lambda::Function')) {
      const variables: Record<string, Json> = fn.Properties.Environment?.Variables ?? {};
      for (const [name, value] of Object.entries(variables)) {
        expect(allowed, name).toContain(name);
        expect(JSON.stringify(value), name).not.toMatch(/secretsmanager|SecretString/i);
      }
    }
  });

  it('the deployed code reads no credential from the environment, only the secret ARN', async () => {
    const result = await build({
      entryPoints: functionNames.map((fn) => functionEntry(fn)),
      absWorkingDir: projectRoot,
      bundle: true,
      platform: 'node',
      format: 'esm',
      write: false,
      outdir: 'out',
      logLevel: 'silent',
    });
    const read = new Set<string>();
    for (const file of result.outputFiles) {
      const ours = file.text
        .split(/^\/\/ (?=\S+\.[cm]?[jt]s$)/m)
        .filter((s) => s.startsWith('functions/'));
      for (const section of ours) {
        for (const [, name = ''] of section.matchAll(/process\.env\.(\w+)/g)) read.add(name);
        for (const match of section.matchAll(/requireEnv\("(\w+)"\)/g))
          read.add(match[1] as string);
      }
    }
    read.delete('');
    expect(read.size).toBeGreaterThan(0);
    for (const name of read) expect(name).not.toMatch(/TOKEN|PASSWORD|AUTH_ID|SECRET(?!_ARN$)/);
    expect(read).toContain('PLIVO_SECRET_ARN');
  });
});

describe('logs of a whole flow', () => {
  // Distinctive, so that any copy of it in the output is found.
  const authToken = 'ZmFrZS1wbGl2by10b2tlbi0xNzAwMDAwMDAw';
  const authId = 'MAFAKEAUTHIDFORLOGS1';
  const business = exampleNumbers.india;
  const callee = '+919810000021';
  const caller = '+919810000022';
  const stranger = '+919810000023';
  const numbers = [business, callee, caller, stranger];

  let plivo: Loopback;
  let failNext = false;
  let host: LocalHost;
  const output: string[] = [];
  const restore: Array<() => void> = [];

  beforeAll(async () => {
    // Plivo's API on loopback: answers as Plivo does, or fails naming the number (as Plivo's errors do).
    plivo = await startLoopback((request) => {
      if (failNext) {
        failNext = false;
        const { dst } = request.json<{ dst?: string }>();
        return jsonAnswer(400, { error: `destination ${dst} is not on WhatsApp` });
      }
      return jsonAnswer(
        202,
        request.url.includes('/Message/')
          ? { message_uuid: [randomUUID()] }
          : { request_uuid: randomUUID() },
      );
    });

    // Everything the process writes while the flow runs: the logger writes to stdout/stderr.
    for (const stream of [process.stdout, process.stderr]) {
      const original = stream.write;
      stream.write = ((chunk: string | Uint8Array) => {
        output.push(String(chunk));
        return true;
      }) as typeof stream.write;
      restore.push(() => {
        stream.write = original;
      });
    }
    for (const level of ['log', 'info', 'warn', 'error', 'debug'] as const) {
      const original = console[level];
      console[level] = (...args: unknown[]) => {
        output.push(args.map(String).join(' '));
      };
      restore.push(() => {
        console[level] = original;
      });
    }
    host = await startTestHost({ plivo: { authId, authToken, apiUrl: plivo.url } });
  });

  afterAll(async () => {
    for (const undo of restore.splice(0)) undo();
    await host?.close();
    await plivo.close();
  });

  const api = (path: string, body: unknown) =>
    fetch(`${host.url}${path}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(body),
    });
  const signed = (pathAndQuery: string, params: Record<string, string>, token = authToken) =>
    postSignedForm(host, pathAndQuery, params, token);
  const digits = (n: string) => n.slice(1);

  it('contain neither the auth token nor any full phone number', async () => {
    // Permission request (sent), then one Plivo refuses naming the number.
    const first = await api('/v1/permission-requests', { from: business, to: callee });
    expect({ status: first.status, body: await first.text() }).toMatchObject({ status: 202 });
    failNext = true;
    expect((await api('/v1/permission-requests', { from: business, to: stranger })).status).toBe(
      502,
    );
    // Permission reply.
    const reply = await signed(plivoPaths.message, {
      From: digits(callee),
      To: digits(business),
      MessageUUID: randomUUID(),
      Interactive: JSON.stringify({
        type: 'call_permission_reply',
        call_permission_reply: { response: 'accept', response_source: 'user_action' },
      }),
    });
    expect(reply.status).toBe(200);
    // Outbound call: placed, agent leg answered, dial status, hangup.
    const placed = await api('/v1/calls', { from: business, to: callee });
    expect(placed.status).toBe(201);
    const { callId } = (await placed.json()) as { callId: string };
    const leg = {
      CallUUID: randomUUID(),
      From: digits(business),
      To: exampleAgents.india,
      Direction: 'outbound',
    };
    expect(
      (await signed(`${plivoPaths.answer}?call=${callId}`, { ...leg, CallStatus: 'in-progress' }))
        .status,
    ).toBe(200);
    const dialStatus = { DialStatus: 'completed', DialALegUUID: leg.CallUUID };
    expect((await signed(`${plivoPaths.dialStatus}?call=${callId}`, dialStatus)).status).toBe(200);
    const ended = { CallStatus: 'completed', Duration: '12', HangupCause: 'NORMAL_CLEARING' };
    expect((await signed(`${plivoPaths.hangup}?call=${callId}`, { ...leg, ...ended })).status).toBe(
      200,
    );
    // Inbound call answered and hung up.
    const inbound = {
      CallUUID: randomUUID(),
      From: digits(caller),
      To: digits(business),
      Direction: 'inbound',
    };
    expect((await signed(plivoPaths.answer, { ...inbound, CallStatus: 'ringing' })).status).toBe(
      200,
    );
    expect((await signed(plivoPaths.hangup, { ...inbound, ...ended, Duration: '30' })).status).toBe(
      200,
    );
    // A forged webhook and refused requests.
    expect(
      (await signed(plivoPaths.message, { From: digits(stranger), To: digits(business) }, 'forged'))
        .status,
    ).toBe(403);
    expect((await api('/v1/calls', { from: business, to: stranger })).status).toBe(403);
    expect((await api('/v1/calls', { from: `${business}0`, to: stranger })).status).toBe(400);
    expect((await api('/v1/calls', { from: business, to: callee, agent: 42 })).status).toBe(400);

    const text = output.join('');
    // The capture saw the real logs of the flow (else the assertions below would prove nothing).
    for (const message of [
      'call-permission request sent',
      'call-permission request not sent',
      'call-permission reply',
      'business-initiated call placed',
      'dial status',
      'call ended',
      'inbound call answered',
      'request refused',
    ]) {
      expect(text).toContain(message);
    }
    // Plivo's error named the number: it reached the log, masked to its last 4 digits.
    expect(text).toContain(`***${stranger.slice(-4)}`);
    expect(text).not.toContain(authToken);
    expect(text).not.toContain(Buffer.from(`${authId}:${authToken}`).toString('base64'));
    for (const number of numbers) {
      expect(text, number).not.toContain(number);
      expect(text, number).not.toContain(digits(number));
      // The national number too (the last 10 digits of these Indian numbers).
      expect(text, number).not.toContain(number.slice(-10));
    }
  });
});
