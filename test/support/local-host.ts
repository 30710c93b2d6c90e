import { randomUUID } from 'node:crypto';
import { exampleConfigPath, readConfigFile } from '../../functions/shared/config/load.js';
import type { Config } from '../../functions/shared/config/schema.js';
import { plivoPaths } from '../../functions/shared/routes.js';
import { ensureTable } from '../../local/dynamodb.js';
import {
  type LocalHost,
  type LocalHostOptions,
  sandboxAuthToken,
  startLocalHost,
} from '../../local/host.js';
import { secretsInUse } from './leaks.js';
import { permissionReplyForm } from './plivo-forms.js';
import { signV3 } from './plivo-sign.js';

/** A local host on a free port with a fresh table in the run's DynamoDB Local, sandbox Plivo by default. */
export const startTestHost = async (
  options: Partial<Omit<LocalHostOptions, 'dynamoEndpoint' | 'tableName'>> & {
    config?: Config;
  } = {},
): Promise<LocalHost> => {
  // Loaded here, not at the top: scripts outside vitest (npm run capacity) use this module's other helpers.
  const { inject } = await import('vitest');
  const dynamoEndpoint = inject('dynamoEndpoint');
  const tableName = `e2e-${randomUUID()}`;
  await ensureTable(dynamoEndpoint, tableName);
  for (const secret of [
    options.sandboxAuthToken ?? sandboxAuthToken,
    options.plivo?.authToken,
    options.apiToken,
    options.webhookSecret,
  ]) {
    if (secret) secretsInUse.add(secret);
  }
  return startLocalHost({
    config: options.config ?? readConfigFile(exampleConfigPath),
    port: 0,
    ...options,
    dynamoEndpoint,
    tableName,
  });
};

/** POSTs a form body to a webhook route signed as Plivo signs it (V3, sandbox token by default). */
export const postSignedForm = (
  host: LocalHost,
  pathAndQuery: string,
  params: Record<string, string>,
  authToken = sandboxAuthToken,
): Promise<Response> => {
  const headers = signV3({
    method: 'POST',
    url: `${host.publicBaseUrl}${pathAndQuery}`,
    params,
    authToken,
  });
  return fetch(`${host.url}${pathAndQuery}`, {
    method: 'POST',
    headers: { ...headers, 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams(params).toString(),
  });
};

export const asJson = async (response: Response) => ({
  status: response.status,
  body: (await response.json()) as Record<string, unknown>,
});

/** The user's answer to a call-permission request, as Plivo posts it to the message webhook. */
export const permissionReply = async (
  host: LocalHost,
  user: string,
  business: string,
  callPermissionReply: Record<string, unknown>,
): Promise<void> => {
  const response = await postSignedForm(
    host,
    plivoPaths.message,
    permissionReplyForm(user, business, callPermissionReply),
  );
  if (response.status !== 200) throw new Error(`permission reply answered ${response.status}`);
};

export const acceptPermission = (host: LocalHost, user: string, business: string) =>
  permissionReply(host, user, business, { response: 'accept', response_source: 'user_action' });

export const placeCall = async (host: LocalHost, body: Record<string, unknown>) =>
  asJson(
    await fetch(`${host.url}/v1/calls`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(body),
    }),
  );

/** Moves the sandbox clock forward through its route, as a person would. */
export const advanceClock = async (host: LocalHost, advanceSeconds: number): Promise<void> => {
  const response = await fetch(`${host.url}/_sandbox/clock`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ advanceSeconds }),
  });
  if (response.status !== 200) throw new Error(`sandbox clock answered ${response.status}`);
};

export interface RecordedCall {
  readonly api: 'call';
  readonly params: {
    answer_url?: string;
    hangup_url?: string;
    from?: string;
    to?: string;
    ring_timeout?: number;
    time_limit?: number;
  };
}

/** The Call API requests the sandbox recorded. */
export const recordedCalls = async (host: LocalHost): Promise<RecordedCall[]> =>
  ((await (await fetch(`${host.url}/_sandbox/plivo/requests`)).json()) as { api: string }[]).filter(
    (r): r is RecordedCall => r.api === 'call',
  );

/** The path and query Plivo would call back, from a URL callgate gave it. */
export const pathOf = (url: string | undefined): string => {
  const parsed = new URL(url ?? '');
  return `${parsed.pathname}${parsed.search}`;
};

/**
 * Sends until the answer is not 503, as Plivo and API clients retry a transient refusal; checks that
 * each 503 says when to retry (`retryAfter` 1, `Retry-After: 1`). Every other answer is final.
 */
export const untilNot503 = async (send: () => Promise<Response>, tries = 30): Promise<Response> => {
  for (let attempt = 0; attempt < tries; attempt++) {
    const response = await send();
    if (response.status !== 503) return response;
    const body = (await response.json()) as { retryAfter?: unknown };
    if (body.retryAfter !== 1 || response.headers.get('retry-after') !== '1') {
      throw new Error(`503 without retryAfter: ${JSON.stringify(body)}`);
    }
  }
  throw new Error(`still 503 after ${tries} tries`);
};

/** Runs every task with at most `limit` in flight, results in the order of the tasks. */
export const pool = async <T>(
  tasks: readonly (() => Promise<T>)[],
  limit: number,
): Promise<T[]> => {
  const results: T[] = new Array(tasks.length);
  let next = 0;
  await Promise.all(
    Array.from({ length: limit }, async () => {
      while (next < tasks.length) {
        const i = next++;
        results[i] = await (tasks[i] as () => Promise<T>)();
      }
    }),
  );
  return results;
};
