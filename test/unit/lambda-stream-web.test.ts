import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { build } from 'esbuild';
import { describe, expect, it } from 'vitest';
import { exampleConfigPath, readConfigFile } from '../../functions/shared/config/load.js';
import { ReadableStream } from '../../functions/shared/lambda-stream-web.js';
import { functionBundling, projectRoot } from '../../infra/function-construct.js';

/** A middy handler bundled with the functions' aliases, as a file another Node process can import. */
const bundledMiddyHandler = async (dir: string): Promise<string> => {
  const { esbuildArgs = {} } = functionBundling(readConfigFile(exampleConfigPath));
  const alias = Object.fromEntries(
    Object.entries(esbuildArgs)
      .filter(([flag]) => flag.startsWith('--alias:'))
      .map(([flag, target]) => [flag.slice('--alias:'.length), String(target)]),
  );
  const outfile = join(dir, 'handler.mjs');
  await build({
    stdin: {
      contents:
        "import middy from '@middy/core';\nexport const handler = middy().handler(async () => ({ statusCode: 200, body: 'ok' }));\n",
      resolveDir: projectRoot,
    },
    bundle: true,
    platform: 'node',
    format: 'esm',
    mainFields: ['module', 'main'],
    alias,
    outfile,
    logLevel: 'silent',
  });
  return outfile;
};

describe("middy's streamed responses, left out of the bundles", () => {
  it('a bundled middy handler answers without Node loading node:stream/web', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'callgate-stream-web-'));
    try {
      const handler = await bundledMiddyHandler(dir);
      const probe = join(dir, 'probe.mjs');
      // Run apart from vitest (which loads node:stream/web itself): is Node's module ever required?
      writeFileSync(
        probe,
        `import { builtinModules } from 'node:module';
const { handler } = await import(${JSON.stringify(pathToFileURL(handler).href)});
const result = await handler({}, {});
const loaded = process.moduleLoadList.some((m) => m.includes('stream/web'));
process.stdout.write(JSON.stringify({ result, loaded, builtins: builtinModules.length > 0 }));`,
      );
      const { execFileSync } = await import('node:child_process');
      const out = JSON.parse(execFileSync(process.execPath, [probe], { encoding: 'utf8' }));
      expect(out.result).toEqual({ statusCode: 200, body: 'ok' });
      expect(out.loaded).toBe(false);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('a function that ever streamed a response would fail loudly', () => {
    expect(() => new ReadableStream()).toThrow(/streamed responses are not bundled/);
  });
});
