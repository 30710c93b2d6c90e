/**
 * What the business's systems attach to a call, an intent or a permission request (a ticket or
 * contact id, and a few values of their own), and the name of the caller that asked: stored with what
 * the request wrote and carried onto every event and view that follows from it.
 */
export interface References {
  readonly reference?: string;
  readonly metadata?: Readonly<Record<string, string>>;
}

export interface Origin extends References {
  /** `key:<name>`, `iam:<arn>` or `local` (http/actor.ts): never a key, hash or token. */
  readonly actor?: string;
}

/** The references an item holds, without an absent one's key (a view or event omits it). */
export const referencesOf = (item: References): References => ({
  ...(item.reference === undefined ? {} : { reference: item.reference }),
  ...(item.metadata === undefined ? {} : { metadata: item.metadata }),
});

/** The references and the actor an item holds, as an event's data carries them. */
export const originOf = (item: Origin): Origin => ({
  ...(item.actor === undefined ? {} : { actor: item.actor }),
  ...referencesOf(item),
});
