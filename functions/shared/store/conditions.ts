import { createHash } from 'node:crypto';
import type { AttributeValue } from '@aws-sdk/client-dynamodb';
import { TransactWriteCommand, type TransactWriteCommandInput } from '@aws-sdk/lib-dynamodb';
// lib-dynamodb unmarshalls responses but not the item a failed condition returns (ALL_OLD).
import { unmarshall } from '@aws-sdk/util-dynamodb';
import type { Db } from './client.js';

/**
 * How the store reads DynamoDB's refusals, in one place: a failed condition (alone or inside a
 * transaction) with the item as it stood, a transaction cancelled by a concurrent writer, and the retry
 * budget for writes lost to concurrent writers.
 */

/** Why one item of a cancelled TransactWriteItems failed; `Item` is raw (the document client does not unmarshall it). */
export interface CancellationReason {
  readonly Code?: string;
  readonly Item?: Record<string, AttributeValue>;
}

/** The per-item reasons of a cancelled transaction, or undefined for any other error. */
const cancellationReasons = (error: unknown): readonly CancellationReason[] | undefined =>
  error instanceof Error && error.name === 'TransactionCanceledException'
    ? ((error as { CancellationReasons?: CancellationReason[] }).CancellationReasons ?? [])
    : undefined;

/** One item of a cancelled transaction failed its condition. */
export const failedCondition = (reason: CancellationReason | undefined): boolean =>
  reason?.Code === 'ConditionalCheckFailed';

/** A single-item write failed its condition. */
export const isConditionFailed = (error: unknown): boolean =>
  error instanceof Error && error.name === 'ConditionalCheckFailedException';

/**
 * The item as it stood when its condition failed (asked with ReturnValuesOnConditionCheckFailure
 * ALL_OLD), from a single write's error or a transaction's reason; undefined when there was no item.
 */
export const itemAtFailure = <T>(failure: unknown): T | undefined => {
  const raw = (failure as { Item?: Record<string, AttributeValue> } | undefined)?.Item;
  return raw ? (unmarshall(raw) as T) : undefined;
};

/** Another transaction held the item at the same instant: nothing was written, the write may be retried. */
const conflicted = (reason: CancellationReason | undefined): boolean =>
  reason?.Code === 'TransactionConflict';

/** DynamoDB throttled the item: nothing was written, the write may be retried after a pause. */
export const throttled = (reason: CancellationReason | undefined): boolean =>
  reason?.Code === 'ThrottlingError' ||
  reason?.Code === 'ProvisionedThroughputExceeded' ||
  reason?.Code === 'RequestLimitExceeded';

/** `{'#name': 'name', …}` for an expression's attribute-name placeholders. */
export const attributeNames = (...names: readonly string[]): Record<string, string> =>
  Object.fromEntries(names.map((name) => [`#${name}`, name]));

/**
 * How long a request keeps retrying writes it lost to concurrent writers of the same items: a burst of
 * parallel requests for one pair or one line resolves well within it, and the answer still comes well
 * inside Plivo's wait and the 10 s Lambda timeout.
 */
const retryBudgetMs = 5_000;

/**
 * Tells whether another optimistic attempt fits in the budget, after pausing with full jitter so the
 * losers of one round spread out instead of colliding again. Measured on the process's own clock: the
 * domain clock may be moved by the sandbox.
 */
export const contentionRetries = (budgetMs = retryBudgetMs) => {
  const startedAt = performance.now();
  let attempt = 0;
  return async (): Promise<boolean> => {
    attempt += 1;
    if (performance.now() - startedAt >= budgetMs) return false;
    const pauseMs = Math.random() * Math.min(250, 10 * 2 ** attempt);
    await new Promise((resolve) => setTimeout(resolve, pauseMs));
    return true;
  };
};

/** Thrown when the budget is spent: answered as a transient 503, so Plivo or the client retries. */
export const stillContended = (what: string): Error =>
  Object.assign(new Error(`${what} kept losing to concurrent writers`), {
    name: stillContendedName,
  });

/** Thrown when DynamoDB kept throttling a transaction's items for the whole budget: a transient 503. */
const stillThrottled = (what: string): Error =>
  Object.assign(new Error(`${what} kept being throttled by DynamoDB`), {
    name: 'ThrottlingException',
  });

const stillContendedName = 'TransactionConflictException';

export const isStillContended = (error: unknown): boolean =>
  error instanceof Error && error.name === stillContendedName;

export type TransactItem = NonNullable<TransactWriteCommandInput['TransactItems']>[number];

/**
 * Error names of a send that may have been applied: the answer was lost (the request timed out), DynamoDB
 * failed inside it (a 500 does not say whether the transaction committed), or a send with the same
 * client request token is still being applied.
 */
const unknownOutcomeNames = new Set([
  'TimeoutError',
  'RequestTimeout',
  'InternalServerError',
  'TransactionInProgressException',
]);

/** Socket errors after the request may have reached DynamoDB (a refused connection never did). */
const unknownOutcomeCodes = new Set(['ECONNRESET', 'ETIMEDOUT', 'EPIPE']);

/** The write failed without saying whether DynamoDB applied it: only a read, or a resend with the same token, can tell. */
const isUnknownOutcome = (error: unknown): boolean => {
  if (!(error instanceof Error)) return false;
  if (unknownOutcomeNames.has(error.name)) return true;
  const code = (error as { code?: unknown }).code;
  return typeof code === 'string' && unknownOutcomeCodes.has(code);
};

export interface TransactOptions {
  /**
   * Makes every send of the same items one transaction: DynamoDB applies a token's items once and answers
   * a later send of them with success for 10 minutes. The same for every send of the same items (1 to 36
   * characters), different for other items. With it, a send whose outcome is unknown is sent again.
   */
  readonly clientRequestToken?: string | undefined;
}

/** A transaction a condition cancelled: the reasons, item by item, and the error to rethrow. */
export interface Cancelled {
  readonly reasons: readonly CancellationReason[];
  readonly error: Error;
}

/**
 * Writes `items` in one TransactWriteItems, sent again while concurrent writers or throttling cancel it
 * (nothing was written then) within `retry`'s budget. Undefined once written; the cancellation when a
 * condition failed, for the caller to read; any other error is thrown, and past the budget
 * `stillContended(what)` or `stillThrottled(what)`. With a `clientRequestToken`, a send whose outcome is
 * unknown is sent again within the budget too (a copy already applied answers success), and past it the
 * unknown error is thrown.
 */
export const transactWrite = async (
  db: Db,
  what: string,
  items: readonly TransactItem[],
  retry: () => Promise<boolean> = contentionRetries(),
  { clientRequestToken }: TransactOptions = {},
): Promise<Cancelled | undefined> => {
  for (;;) {
    try {
      await db.doc.send(
        new TransactWriteCommand({
          TransactItems: [...items],
          ...(clientRequestToken === undefined ? {} : { ClientRequestToken: clientRequestToken }),
        }),
      );
      return undefined;
    } catch (error) {
      const reasons = cancellationReasons(error);
      if (!reasons) {
        if (clientRequestToken === undefined || !isUnknownOutcome(error)) throw error;
        const resend = await retry();
        db.metrics?.count('StorageUnknownOutcomes', { status: resend ? 'resent' : 'given_up' });
        if (resend) continue;
        throw error;
      }
      const wasThrottled = reasons.some(throttled);
      if (!wasThrottled && !reasons.some(conflicted)) return { reasons, error: error as Error };
      if (!(await retry())) throw wasThrottled ? stillThrottled(what) : stillContended(what);
      db.metrics?.count('StorageRetries', { reason: wasThrottled ? 'throttled' : 'conflict' });
    }
  }
};

/**
 * A client request token for `items` sent by one request (`requestId`): every send of the same items by
 * that request (the SDK's own retries, and `transactWrite`'s after an unknown outcome) is applied at most
 * once, while the new items of a re-read, or the same items sent by another request (two retries taking
 * over one reservation), are another transaction. DynamoDB takes at most 36 characters.
 */
export const requestToken = (requestId: string, items: readonly TransactItem[]): string =>
  createHash('sha256')
    .update(JSON.stringify([requestId, items]))
    .digest('base64url')
    .slice(0, 36);
