/**
 * SigV4 for the `/v1` routes on AWS (`execute-api:Invoke`): the AWS SDK's own signer, with credentials
 * from the usual chain (environment, shared files and SSO, container and instance roles) unless given.
 */
import { Hash } from '@smithy/hash-node';
import { SignatureV4 } from '@smithy/signature-v4';

export type SigV4Credentials = ConstructorParameters<typeof SignatureV4>[0]['credentials'];

export interface SignableRequest {
  readonly method: string;
  readonly url: URL;
  readonly headers: Readonly<Record<string, string>>;
  readonly body?: string;
}

/** API Gateway's signing name. */
export const sigV4Service = 'execute-api';

const defaultCredentials = async (): Promise<SigV4Credentials> => {
  // Loaded only when signing: a local run never reads the credential chain's modules.
  const { defaultProvider } = await import('@aws-sdk/credential-provider-node');
  return defaultProvider();
};

export type RequestSigner = (request: SignableRequest) => Promise<Record<string, string>>;

/** A signer that returns the request's headers with `authorization`, `x-amz-date` and the rest added. */
export const sigV4Signer = (options: {
  readonly region: string;
  readonly credentials?: SigV4Credentials | undefined;
}): RequestSigner => {
  let signer: Promise<SignatureV4> | undefined;
  const signerOnce = () => {
    signer ??= (async () =>
      new SignatureV4({
        service: sigV4Service,
        region: options.region,
        credentials: options.credentials ?? (await defaultCredentials()),
        sha256: Hash.bind(null, 'sha256'),
      }))();
    return signer;
  };
  return async ({ method, url, headers, body }) => {
    const query: Record<string, string | string[]> = {};
    for (const key of new Set(url.searchParams.keys())) query[key] = url.searchParams.getAll(key);
    const signed = await (await signerOnce()).sign({
      method,
      protocol: url.protocol,
      hostname: url.hostname,
      ...(url.port === '' ? {} : { port: Number(url.port) }),
      path: url.pathname,
      query,
      // fetch sends the host with the port it connects to: the signature must cover that one.
      headers: { ...headers, host: url.host },
      body,
    });
    return signed.headers;
  };
};
