import { randomUUID } from 'node:crypto';
import { inject } from 'vitest';
import { exampleConfigPath, readConfigFile } from '../../functions/shared/config/load.js';
import type { Config } from '../../functions/shared/config/schema.js';
import { ensureTable } from '../../infra/local/dynamodb.js';
import {
  type LocalHost,
  type LocalHostOptions,
  sandboxAuthToken,
  startLocalHost,
} from '../../infra/local/host.js';
import { signV3 } from './plivo-sign.js';

/** A local host on a free port with a fresh table in the run's DynamoDB Local, sandbox Plivo by default. */
export const startTestHost = async (
  options: Partial<Omit<LocalHostOptions, 'dynamoEndpoint' | 'tableName'>> & {
    config?: Config;
  } = {},
): Promise<LocalHost> => {
  const dynamoEndpoint = inject('dynamoEndpoint');
  const tableName = `e2e-${randomUUID()}`;
  await ensureTable(dynamoEndpoint, tableName);
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
