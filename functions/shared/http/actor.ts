import type { APIGatewayProxyEventV2 } from 'aws-lambda';

/** The longest actor kept: an IAM role session's ARN fits; an oversized name is cut, never refused. */
const maxActorLength = 256;
const unprintable = /[\p{Cc}\p{Cs}]/gu;

const text = (value: unknown): string | undefined =>
  typeof value === 'string' && value !== '' ? value : undefined;

/**
 * The name of the caller of a `/v1` request, for its log lines and the events it causes:
 * `key:<keyName>` for an API key (the authorizer's context), `iam:<userArn>` for an IAM caller, `local`
 * when no authorizer ran (the local host without keys). Only the key's name is read: the key, its hash
 * and any token never reach it.
 */
export const actorOf = (event: APIGatewayProxyEventV2): string => {
  const authorizer = (event.requestContext as { authorizer?: Record<string, unknown> } | undefined)
    ?.authorizer;
  const lambda = authorizer?.lambda as Record<string, unknown> | undefined;
  const iam = authorizer?.iam as Record<string, unknown> | undefined;
  const keyName = text(lambda?.keyName);
  const userArn = text(iam?.userArn);
  const actor = keyName ? `key:${keyName}` : userArn ? `iam:${userArn}` : 'local';
  return actor.replace(unprintable, '').slice(0, maxActorLength);
};
