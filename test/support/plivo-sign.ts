/**
 * The signer Plivo's requests are made with (signV3 / signV2, in functions/shared/plivo/signature.ts,
 * which the CLI's `plivo send` uses too), and thin wrappers around the `plivo` SDK (a devDependency,
 * used only as an oracle in tests; production code never imports it).
 * test/unit/plivo/signature.test.ts proves, property by property, that our signatures equal what the
 * SDK computes and accepts.
 */
import { createRequire } from 'node:module';
import { validateSignature } from 'plivo/dist/utils/security.js';
import { validateV3Signature } from 'plivo/dist/utils/v3Security.js';
import type { SignatureMethod, SignatureParams } from '../../functions/shared/plivo/signature.js';

export {
  randomNonce,
  signV2,
  signV3,
  type V2Headers,
  type V3Headers,
} from '../../functions/shared/plivo/signature.js';

/** Header names lower-cased, as verifyPlivoSignature expects them (API Gateway v2 does this too). */
export function lowerCaseHeaders(
  headers: Readonly<Record<string, string | undefined>>,
): Record<string, string | undefined> {
  const out: Record<string, string | undefined> = {};
  for (const [name, value] of Object.entries(headers)) out[name.toLowerCase()] = value;
  return out;
}

/** The SDK sorts param arrays IN PLACE: hand it copies. */
function copyParams(params: SignatureParams | undefined): Record<string, string | string[]> {
  const out: Record<string, string | string[]> = {};
  for (const [key, value] of Object.entries(params ?? {})) {
    out[key] = typeof value === 'string' ? value : [...value];
  }
  return out;
}

export interface SdkV3Input {
  readonly method: SignatureMethod;
  readonly url: string;
  readonly params?: SignatureParams;
  readonly nonce: string;
  readonly authToken: string;
}

/** The SDK's `validateV3Signature(method, uri, nonce, authToken, signature, params)`. */
export function sdkValidateV3(input: SdkV3Input & { readonly signature: string }): boolean {
  return validateV3Signature(
    input.method,
    input.url,
    input.nonce,
    input.authToken,
    input.signature,
    copyParams(input.params),
  );
}

/** The SDK's V2 check, `validateSignature(uri, nonce, signature, authToken)`. */
export function sdkValidateV2(input: {
  readonly url: string;
  readonly nonce: string;
  readonly authToken: string;
  readonly signature: string;
}): boolean {
  return validateSignature(input.url, input.nonce, input.signature, input.authToken);
}

// The SDK does not export the signature it computes, only a boolean. To get the value, the CJS
// `crypto` module object (the one the SDK calls `createHmac` on at call time) is patched for the
// duration of one synchronous call and the digest is captured.
const cjsCrypto = createRequire(import.meta.url)('node:crypto') as typeof import('node:crypto');

function captureSdkDigest(run: () => boolean): string {
  const original = cjsCrypto.createHmac;
  const digests: string[] = [];
  const patched = ((...args: Parameters<typeof original>) => {
    const hmac = original.apply(cjsCrypto, args);
    const digest = hmac.digest.bind(hmac) as (encoding: 'base64') => string;
    Object.assign(hmac, {
      digest: (encoding: 'base64') => {
        const out = digest(encoding);
        digests.push(out);
        return out;
      },
    });
    return hmac;
  }) as typeof original;
  cjsCrypto.createHmac = patched;
  try {
    run();
  } finally {
    cjsCrypto.createHmac = original;
  }
  const [only, ...rest] = digests;
  if (only === undefined || rest.length > 0) {
    throw new Error(`expected exactly one HMAC in the SDK call, saw ${digests.length}`);
  }
  return only;
}

/** The V3 signature as the SDK computes it (checked: the SDK accepts the value returned). */
export function sdkComputeV3(input: SdkV3Input): string {
  const signature = captureSdkDigest(() => sdkValidateV3({ ...input, signature: '' }));
  if (!sdkValidateV3({ ...input, signature })) {
    throw new Error('captured SDK V3 signature is not accepted by the SDK');
  }
  return signature;
}

/** The V2 signature as the SDK computes it (checked: the SDK accepts the value returned). */
export function sdkComputeV2(input: {
  readonly url: string;
  readonly nonce: string;
  readonly authToken: string;
}): string {
  const signature = captureSdkDigest(() => sdkValidateV2({ ...input, signature: '' }));
  if (!sdkValidateV2({ ...input, signature })) {
    throw new Error('captured SDK V2 signature is not accepted by the SDK');
  }
  return signature;
}
