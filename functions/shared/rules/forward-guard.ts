/**
 * A WhatsApp call may only be forwarded to SIP URIs or Plivo endpoints (Plivo: "Calls cannot be forwarded
 * to PSTN numbers"; "WhatsApp-to-WhatsApp call forwarding is not supported"). Used by the configuration
 * schema (at load) and by the renderer (on every document), so neither relies on the other.
 */

const whatsAppLike = /^(whatsapp|wa):/i;
const telLike = /^tel:/i;
/** RFC 3966's visual separators, and the spaces people type: a gateway dials the digits around them. */
const visualSeparators = /[\s().-]/gu;
/**
 * 7 digits or more is a number a gateway can dial (local or international); extensions are shorter.
 * No upper bound: an international prefix (00, 011) makes a dialable string longer than E.164's 15.
 */
const dialableDigits = /^\+?\p{Nd}{7,}$/u;
/** `user=phone` tells the gateway the user part is a phone number (RFC 3261 19.1.1), wherever it is. */
const userPhoneParameter = /;\s*user\s*=\s*phone(?![\w-])/i;

const pstnRefusal =
  'a WhatsApp call can never be forwarded to a phone number (PSTN); dial a SIP URI or a Plivo endpoint';
const sipPstnRefusal =
  'a SIP URI whose user is a phone number reaches PSTN; a WhatsApp call can never be forwarded to a phone number';
const whatsAppRefusal = 'a WhatsApp call can never be forwarded to another WhatsApp user';

const percentEncoded = /%[0-9a-f]{2}/i;
const maxDecodings = 3;

/**
 * Percent-decodes as a gateway would, again while anything is still encoded (a double-encoded `%252B`
 * is `+` to a gateway that decodes twice). Undefined when the encoding is broken or still encoded
 * after `maxDecodings` rounds: nothing a person configures is encoded that deep.
 */
const percentDecoded = (text: string): string | undefined => {
  let value = text;
  for (let round = 0; round < maxDecodings && percentEncoded.test(value); round++) {
    try {
      value = decodeURIComponent(value);
    } /* Stryker disable next-line BlockStatement: what fails to decode stays encoded: undefined too */ catch {
      return undefined;
    }
  }
  return percentEncoded.test(value) ? undefined : value;
};

/** A user part or bare target, as a gateway reads it: decoded, parameters and separators dropped. */
const isPhoneNumber = (text: string): boolean => {
  // Stryker disable next-line StringLiteral: split always returns a first part
  const [beforeParameters = ''] = text.split(';');
  return dialableDigits.test(beforeParameters.replace(visualSeparators, ''));
};

/**
 * Why `target` must not be dialed from a WhatsApp call, or undefined when it may be. A SIP URI is read
 * the way a carrier gateway reads it: its user part percent-decoded, URI parameters and visual
 * separators dropped, so `sip:%2B91-98123-45678;user=phone@gw` is the phone number it dials.
 * Hand-written: libphonenumber-js validates numbers against the numbering plans, but a gateway dials any
 * digit string (a local number, an international prefix), and it does not read SIP URIs.
 */
export const dialTargetRefusal = (target: string): string | undefined => {
  // NFKC folds full-width digits and signs (`＋９１…`) to the ASCII a gateway may fold them to.
  const value = target.normalize('NFKC').trim();
  const decoded = percentDecoded(value);
  if (decoded === undefined) return 'its percent-encoding is broken or nested too deep';
  if (whatsAppLike.test(decoded)) return whatsAppRefusal;
  if (telLike.test(decoded) || userPhoneParameter.test(decoded) || isPhoneNumber(decoded)) {
    return pstnRefusal;
  }
  const sip = /^sips?:(.*)/is.exec(value)?.[1];
  if (sip === undefined) return undefined;
  // Without `@`, what follows the scheme is what is dialed; with it, the user info before the host.
  const at = sip.lastIndexOf('@');
  // Stryker disable next-line StringLiteral: the whole target decoded, so its user part does
  const userInfo = percentDecoded(at < 0 ? sip : sip.slice(0, at)) ?? '';
  if (whatsAppLike.test(userInfo)) return whatsAppRefusal;
  if (telLike.test(userInfo)) return sipPstnRefusal;
  // Each part of `user:password` or a nested `sip:…`: any of them may be what a gateway dials.
  if (userInfo.split(/[:@]/).some(isPhoneNumber)) return sipPstnRefusal;
  return undefined;
};
