import {
  maskNumber,
  numberProblem,
  type PhoneNumber,
  parseE164,
  parsePhoneNumber,
} from './numbers.js';

/**
 * A WhatsApp user as Meta names them: a phone number, or a business-scoped user ID (BSUID) for a user
 * who adopted a username. A BSUID is `CC.` and up to 128 letters and digits (`US.13491208655302741918`);
 * a parent BSUID, shared by a business's portfolios, is `CC.ENT.` and the same. CC is the user's
 * country, two upper-case letters.
 */
export type User =
  | ({ readonly kind: 'number' } & PhoneNumber)
  | { readonly kind: 'bsuid'; readonly id: string };

const bsuidPattern = /^[A-Z]{2}\.(?:ENT\.)?[A-Za-z0-9]{1,128}$/;

/** A BSUID (or a parent BSUID) written exactly as Meta writes it: nothing trimmed, case kept. */
export const isBsuid = (input: unknown): input is string =>
  typeof input === 'string' && bsuidPattern.test(input);

/** A parent BSUID: `CC.ENT.` and its id. */
export const isParentBsuid = (input: string): boolean =>
  isBsuid(input) && input.slice(2, 7) === '.ENT.';

/**
 * A user as the business API takes it: E.164 with `+` (`parseE164`) or a BSUID. Undefined for anything
 * else (`userProblem` says why).
 */
export const parseUser = (input: unknown): User | undefined => {
  if (isBsuid(input)) return { kind: 'bsuid', id: input };
  const number = parseE164(input);
  return number ? { kind: 'number', ...number } : undefined;
};

/** A user as Plivo forwards one: a number with or without `+`, or a BSUID. */
export const parseWebhookUser = (input: unknown): User | undefined => {
  if (isBsuid(input)) return { kind: 'bsuid', id: input };
  const number = parsePhoneNumber(input);
  return number ? { kind: 'number', ...number } : undefined;
};

/** Why a value is no user the business API takes, for an error message. */
export const userProblem = (input: unknown): string => {
  if (typeof input === 'string' && /^[A-Za-z]{2}\./.test(input)) {
    return 'is not a business-scoped user ID: two upper-case letters, a dot (and ENT. for a parent ID), then 1 to 128 letters and digits, such as US.13491208655302741918';
  }
  // A value written as a number is told what is wrong with the number alone.
  if (typeof input === 'string' && input.startsWith('+')) return numberProblem(input);
  return `${numberProblem(input)}, or a business-scoped user ID such as US.13491208655302741918`;
};

/** The key a user's pair is stored under: the number when known, else the BSUID. */
export const userKey = (user: User): string => (user.kind === 'number' ? user.e164 : user.id);

/** For logs: a BSUID keeps its country and the last 4 characters of its id (`US.***1918`). */
export const maskBsuid = (bsuid: string): string => {
  const id = bsuid.slice(bsuid.lastIndexOf('.') + 1);
  return `${bsuid.slice(0, 2)}.***${id.length <= 4 ? '' : id.slice(-4)}`;
};

/** For logs: a user, masked whichever way they are named. */
export const maskUser = (user: User): string =>
  user.kind === 'number' ? maskNumber(user.e164) : maskBsuid(user.id);

/** A user a webhook names: the number and the BSUID, each where known (one of them at least). */
export interface WebhookUser {
  /** E.164. */
  readonly number?: string;
  readonly userId?: string;
  /**
   * The BSUID fields beside `From` were ignored: `not_a_bsuid`, one is no BSUID; `two_bsuids`, they
   * name two (for the log and `UserIdsIgnored`).
   */
  readonly ignored?: 'not_a_bsuid' | 'two_bsuids';
}

/**
 * The user of a Plivo webhook: `From` (a number or a BSUID) and the BSUID fields Plivo may forward
 * beside it (`FromUserId`, `from_user_id`; Plivo documents none). A field that is no BSUID, or two that
 * disagree, cannot be read without guessing: they are ignored and `From` alone names the user. Undefined
 * when `From` is neither a number nor a BSUID.
 */
export const webhookUserOf = (
  from: unknown,
  userIds: readonly unknown[] = [],
): WebhookUser | undefined => {
  const user = parseWebhookUser(from);
  if (!user) return undefined;
  const own = user.kind === 'number' ? { number: user.e164 } : { userId: user.id };
  const given = userIds.filter((id) => id !== undefined && id !== null && id !== '');
  if (given.length === 0) return own;
  if (!given.every(isBsuid)) {
    return { ...own, ignored: 'not_a_bsuid' };
  }
  const ids = new Set([...given, ...(user.kind === 'bsuid' ? [user.id] : [])]);
  if (ids.size > 1) return { ...own, ignored: 'two_bsuids' };
  return { ...own, userId: given[0] as string };
};

/** The key a webhook user's pair is stored under, before any link is followed. */
export const webhookUserKey = (user: WebhookUser): string => user.number ?? (user.userId as string);
