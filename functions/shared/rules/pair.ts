/**
 * What callgate knows about one (business number, user number) pair: the pair item's attributes, which
 * the rules read and the store writes under the same names. Times are epoch ms.
 */
export interface PairState {
  readonly business: string;
  /** The user number; on a pair of a user known by a BSUID alone, the BSUID (the pair's key). */
  readonly user: string;
  /** The user's business-scoped user ID, when a message carried it. */
  readonly userId?: string;
  /**
   * On a BSUID's link to the number's pair (rules/user-link.ts): the user number whose pair holds this
   * user's state. Such an item holds no state of its own.
   */
  readonly linkedTo?: string;
  /**
   * When a link last moved a BSUID's decision onto this pair: that decision was announced when it was
   * made under the BSUID, so the change that moves it announces nothing (events/derive.ts).
   */
  readonly decisionLinkedAt?: number;
  /** The last permission decision; absent when the user never answered a request nor called. */
  readonly permission?: StoredPermission;
  /** When that decision was made. */
  readonly permissionAt?: number;
  /** temporary: when it expires; rejected/revoked: when the refusal stops standing; permanent: absent. */
  readonly permissionUntil?: number;
  readonly permissionSource?: PermissionSource;
  /** `automatic`: Meta revoked it (a `reject` reply with `response_source: automatic`). */
  readonly revokedReason?: RevokedReason;
  /** When the user sent the reply behind the decision, where the payload said (`replySupersedes`). */
  readonly replySentAt?: number;
  /**
   * When callgate recorded that the temporary permission ran out (its expiry's schedule came): the
   * `permission.expired` event. Removed by the next decision, so it always speaks of `permissionUntil`.
   */
  readonly expiredAt?: number;
  /**
   * Permission-request times, oldest first, in fixed slots `request0 … request{n-1}`
   * (rules/permission-request.ts): a new request shifts them down, so one conditional write can check
   * both windows.
   */
  readonly [slot: `request${number}`]: number | undefined;
  /** Id of the newest permission request: a failed send undoes exactly its own reservation. */
  readonly lastRequestId?: string;
  /** Id of the newest permission request Plivo accepted to send (the `permission.requested` event). */
  readonly sentRequestId?: string;
  /** When that request was sent. */
  readonly requestSentAt?: number;
  /** What that request was sent as; absent for one sent before callgate sent free-form requests: a template. */
  readonly requestSentKind?: PermissionRequestKind;
  /**
   * That request's reference, metadata and actor (POST /v1/permission-requests, or its call intent's),
   * until the user's reply answers it: `permission.requested` and the reply's decision carry them.
   */
  readonly requestReference?: string;
  readonly requestMetadata?: Readonly<Record<string, string>>;
  readonly requestActor?: string;
  /** The operator who made the last decision (PUT /v1/permissions); absent for any other source. */
  readonly decisionActor?: string;
  /**
   * When the customer-service window the user's last inbound message or call opened closes
   * (rules/customer-service-window.ts); only ever moved forward.
   */
  readonly windowOpenUntil?: number;
  /**
   * Business-initiated calls of the last 24 h: call id → placement time. A map, not a list, so a call
   * Plivo refused can be removed by its id without rewriting the others.
   */
  readonly calls?: Readonly<Record<string, number>>;
  /** Consecutive business-initiated calls the user did not answer. */
  readonly missed?: number;
  /** When the user was warned after `missedCalls.warnAt` misses in a row. */
  readonly warnedAt?: number;
  /** Bumped by every write that changes the permission or the calls: optimistic concurrency. */
  readonly version?: number;
}

/** A call-permission request goes as Meta's template, or as a free-form interactive message. */
export type PermissionRequestKind = 'interactive' | 'template';

export type StoredPermission = 'temporary' | 'permanent' | 'rejected' | 'revoked';

/**
 * Who made the pair's last decision: the user's reply (or Meta's, for an automatic revocation), an
 * inbound call's callback permission, an operator's correction (PUT /v1/permissions), or callgate's own
 * count of missed calls, which only ever revokes.
 */
export type PermissionSource = 'reply' | 'inbound_call' | 'manual' | 'missed_calls';

/** Who may grant: every source but the missed calls. */
export type GrantSource = Exclude<PermissionSource, 'missed_calls'>;

export type RevokedReason = 'missed_calls' | 'automatic' | 'manual';
