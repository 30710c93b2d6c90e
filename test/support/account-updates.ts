/**
 * Meta's `account_update` webhook as Plivo may forward it to the message URL, and the value that
 * pauses a business number's business-initiated calls until a moment.
 */
const digits = (number: string) => number.replace(/\D/g, '');

export const metaWebhook = (value: Record<string, unknown>, time: number) => ({
  object: 'whatsapp_business_account',
  entry: [
    {
      id: '102290129340398',
      time: Math.floor(time / 1000),
      changes: [{ field: 'account_update', value }],
    },
  ],
});

/** A pause of `number` (none: the change names no number) until `until` (epoch ms). */
export const pausing = (number: string | undefined, until: number) => ({
  ...(number === undefined ? {} : { phone_number: digits(number) }),
  event: 'ACCOUNT_RESTRICTION',
  restriction_info: [
    {
      restriction_type: 'RESTRICTED_BIZ_INITIATED_CALLING',
      expiration: new Date(until).toISOString(),
    },
  ],
});
