/**
 * Every item kind in the single table, with its key. Numbers are E.164 with `+`; times are epoch ms
 * except `ttl` (epoch seconds).
 *
 * pair   PAIR#<business>#<user> / STATE      one item per (business number, user number): the permission,
 *        the permission-request window (slots `request0..requestN`, oldest first, `lastRequestId`),
 *        business-initiated call times of the last 24 h, the missed streak (`missed`, `warnedAt`),
 *        `version` (bumped by every write that changes the permission or the calls).
 *        <user> is the number, or the BSUID of a user known by it alone (`userId` records a BSUID).
 * link   PAIR#<business>#<bsuid> / STATE     a BSUID a message named with the number: `linkedTo` the number,
 *        no state of its own (store/items/user-link.ts).
 * shard  LINE#<business> / SHARD#<k>          concurrency leases of a business number, spread over shards:
 *        map `leases` (call id → lease expiry), its size checked atomically against the shard's share of
 *        the simultaneous-call limit (store/items/leases.ts).
 * call   CALL#<call id> / CALL                one call, inbound (Plivo CallUUID) or business-initiated
 *        (callgate's call id): written once when it starts, callbacks applied once each.
 * ticket CPS / TICKET                        the account's Call API request counter (`seq`).
 * slot   CPS#<slot> / SLOT                   when the last Call API request of that slot was counted (`at`,
 *        `previous`, `uses`): rules/calls-per-second.ts.
 * idem   IDEMPOTENCY#<scope>#<key> / REQUEST  first response to an Idempotency-Key: a client's (`client`)
 *        or an intent's own (`intent`), apart so that no client key can name an intent's (store/items/idempotency.ts).
 * msg    MESSAGE#<message id> / MESSAGE       a permission reply already applied (Plivo redelivers; a captured
 *        one may be replayed): Plivo's MessageUUID, or Meta's message id when Meta's own webhook was
 *        forwarded. No TTL: a replay is refused however late it comes. A user's other message, which
 *        kept the customer-service window open, is remembered 30 days (store/writes/permission-reply.ts).
 * intent INTENT#<intent id> / INTENT          a call intent (rules/intent.ts): its status, when it is next due,
 *        `version` (bumped by every transition). Kept a month past its `notAfter`.
 * active ACTIVEINTENT#<business>#<user> / INTENT   the pair's one open intent (`intentId`); lapses at its
 *        `notAfter`, removed when it ends (a placed one holds the pair 10 minutes more).
 * refused REFUSED#<call id> / CALL          an inbound call the answer refused (`business`, `refusal`,
 *        `refusedAt`): not a call record, since there was no call; its hangup records nothing. Kept a day.
 * nonce  NONCE#<nonce> / V2                   a V2 signature nonce already used, by any request (V2 signs no
 *        body, so the nonce is all that ties a signature to one request). No TTL, for the same reason.
 * number NUMBER#<business> / PAUSE or CALL_BUTTON   a calling restriction Meta put on the business number
 *        (rules/number-pause.ts): `reason`, `since`, `until`, `liftedAt` and `liftedBy` (an operator's lift). TTL at `until`.
 * wait   PAUSEWAIT#<business> / INTENT#<intent id>   a call intent waiting on the number's pause
 *        (`intentId`), so an operator's lift wakes it (store/items/pause-wait.ts). TTL past the wait's end.
 * apikey APIKEY / KEY#<keyId>               an API key: `name`, `scopes`, `hash` (SHA-256 of its secret, never
 *        the key), `createdAt`, `lastUsedAt`, `revokedAt` (store/items/api-key.ts). All keys share one
 *        partition, so listing them is one Query, never a scan. No TTL.
 *
 * Index keys (store/listing.ts, sorted on `listedAt` = <13-digit ms>#<id>):
 * by-number  byNumber CALLS#<business>#<direction> (call), INTENTS#<business>#<status> (intent)
 * by-user    byUser   CALLS#<business>#<user>#<direction> (call)
 */
export interface Key {
  readonly pk: string;
  readonly sk: string;
}

/**
 * The partition key's prefix of each item kind, the one place each is written: the keys below, the
 * stream filters (infra/) and the readers that tell a stream record's item by its key use these.
 */
export const keyPrefixes = {
  pair: 'PAIR#',
  leaseShard: 'LINE#',
  call: 'CALL#',
  refusedCall: 'REFUSED#',
  cpsSlot: 'CPS#',
  idempotency: 'IDEMPOTENCY#',
  message: 'MESSAGE#',
  intent: 'INTENT#',
  activeIntent: 'ACTIVEINTENT#',
  v2Nonce: 'NONCE#',
  numberRestriction: 'NUMBER#',
  pauseWait: 'PAUSEWAIT#',
  apiKey: 'APIKEY',
} as const;

/** The sort key of each calling restriction of a business number. */
export const restrictionSortKeys = {
  calls_paused: 'PAUSE',
  call_button_hidden: 'CALL_BUTTON',
} as const;

/** A lease shard's sort key prefix: `SHARD#<k>`. */
export const leaseShardPrefix = 'SHARD#';

export const keys = {
  pair: (business: string, user: string): Key => ({
    pk: `${keyPrefixes.pair}${business}#${user}`,
    sk: 'STATE',
  }),
  leaseShard: (business: string, shard: number): Key => ({
    pk: `${keyPrefixes.leaseShard}${business}`,
    sk: `${leaseShardPrefix}${shard}`,
  }),
  call: (callId: string): Key => ({ pk: `${keyPrefixes.call}${callId}`, sk: 'CALL' }),
  refusedCall: (callId: string): Key => ({ pk: `${keyPrefixes.refusedCall}${callId}`, sk: 'CALL' }),
  cpsTicket: (): Key => ({ pk: 'CPS', sk: 'TICKET' }),
  cpsSlot: (slot: number): Key => ({ pk: `${keyPrefixes.cpsSlot}${slot}`, sk: 'SLOT' }),
  idempotency: (key: string): Key => ({ pk: `${keyPrefixes.idempotency}${key}`, sk: 'REQUEST' }),
  message: (messageUuid: string): Key => ({
    pk: `${keyPrefixes.message}${messageUuid}`,
    sk: 'MESSAGE',
  }),
  intent: (intentId: string): Key => ({ pk: `${keyPrefixes.intent}${intentId}`, sk: 'INTENT' }),
  activeIntent: (business: string, user: string): Key => ({
    pk: `${keyPrefixes.activeIntent}${business}#${user}`,
    sk: 'INTENT',
  }),
  v2Nonce: (nonce: string): Key => ({ pk: `${keyPrefixes.v2Nonce}${nonce}`, sk: 'V2' }),
  numberRestriction: (business: string, restriction: keyof typeof restrictionSortKeys): Key => ({
    pk: `${keyPrefixes.numberRestriction}${business}`,
    sk: restrictionSortKeys[restriction],
  }),
  pauseWait: (business: string, intentId: string): Key => ({
    pk: `${keyPrefixes.pauseWait}${business}`,
    sk: `INTENT#${intentId}`,
  }),
  apiKey: (keyId: string): Key => ({ pk: keyPrefixes.apiKey, sk: `KEY#${keyId}` }),
} as const;
