import { join } from 'node:path';
import { build } from 'esbuild';
import { afterEach, describe, expect, it } from 'vitest';
import { exampleConfigPath, readConfigFile } from '../../functions/shared/config/load.js';
import { defaultProvider } from '../../functions/shared/lambda-credentials.js';
import { functionBundling, projectRoot } from '../../infra/function-construct.js';

const credentialVariables = ['AWS_ACCESS_KEY_ID', 'AWS_SECRET_ACCESS_KEY', 'AWS_SESSION_TOKEN'];
const saved = Object.fromEntries(credentialVariables.map((name) => [name, process.env[name]]));
afterEach(() => {
  for (const [name, value] of Object.entries(saved)) {
    if (value === undefined) delete process.env[name];
    else process.env[name] = value;
  }
});

/** The packages esbuild puts into a bundle of a DynamoDB client, with the functions' aliases. */
const bundledPackages = async (): Promise<string[]> => {
  const { esbuildArgs = {} } = functionBundling(readConfigFile(exampleConfigPath));
  const alias = Object.fromEntries(
    Object.entries(esbuildArgs)
      .filter(([flag]) => flag.startsWith('--alias:'))
      .map(([flag, target]) => [flag.slice('--alias:'.length), String(target)]),
  );
  const result = await build({
    stdin: {
      contents:
        "import { DynamoDBClient } from '@aws-sdk/client-dynamodb';\nexport const client = new DynamoDBClient({});\n",
      resolveDir: projectRoot,
    },
    bundle: true,
    platform: 'node',
    format: 'esm',
    mainFields: ['module', 'main'],
    alias,
    write: false,
    metafile: true,
    logLevel: 'silent',
  });
  const packages = Object.keys(result.metafile.inputs).map(
    (path) => /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(path)?.[1] ?? path,
  );
  return [...new Set(packages)];
};

describe('the credentials a Lambda bundle uses', () => {
  it("are the execution role's, from the environment Lambda sets", async () => {
    Object.assign(process.env, {
      AWS_ACCESS_KEY_ID: 'ASIAEXAMPLE',
      AWS_SECRET_ACCESS_KEY: 'secret',
      AWS_SESSION_TOKEN: 'session',
    });
    await expect(defaultProvider()()).resolves.toMatchObject({
      accessKeyId: 'ASIAEXAMPLE',
      secretAccessKey: 'secret',
      sessionToken: 'session',
    });
  });

  it('fail plainly without them instead of trying profiles, SSO or instance metadata', async () => {
    for (const name of credentialVariables) delete process.env[name];
    await expect(defaultProvider()()).rejects.toThrow(/environment variable credentials/);
  });

  it('come without the rest of the default chain in the bundle', async () => {
    const packages = await bundledPackages();
    expect(packages).toContain('@aws-sdk/credential-provider-env');
    expect(packages).toContain(join('functions', 'shared', 'lambda-credentials.ts'));
    for (const unused of [
      '@aws-sdk/credential-provider-node',
      '@aws-sdk/credential-provider-ini',
      '@aws-sdk/credential-provider-sso',
      '@aws-sdk/credential-provider-process',
      '@aws-sdk/credential-provider-web-identity',
      '@aws-sdk/credential-provider-http',
      '@aws-sdk/nested-clients',
      '@smithy/credential-provider-imds',
    ]) {
      expect(packages).not.toContain(unused);
    }
  });
});
