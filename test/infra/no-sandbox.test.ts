import { build } from 'esbuild';
import { describe, expect, it } from 'vitest';
import { functionNames } from '../../functions/shared/routes.js';
import { functionEntry, projectRoot } from '../../infra/function-construct.js';
import { synthesized } from '../support/stack.js';

/** The project's own files a function's bundle is built from (packages left out: they are not ours). */
const bundledSources = async (entry: string): Promise<string[]> => {
  const result = await build({
    entryPoints: [entry],
    absWorkingDir: projectRoot,
    bundle: true,
    platform: 'node',
    format: 'esm',
    packages: 'external',
    metafile: true,
    write: false,
    logLevel: 'silent',
  });
  return Object.keys(result.metafile.inputs);
};

describe('the deployed stack carries no sandbox', () => {
  it.each(functionNames)('%s bundles nothing of the local host or its sandbox', async (fn) => {
    const sources = await bundledSources(functionEntry(fn, projectRoot));
    expect(sources.length).toBeGreaterThan(1);
    expect(sources.every((source) => source.startsWith('functions/'))).toBe(true);
    expect(sources.filter((source) => /sandbox/i.test(source))).toEqual([]);
  });

  it('routes nothing under /_sandbox', () => {
    const { template } = synthesized();
    const routes = Object.values(template.findResources('AWS::ApiGatewayV2::Route')).map(
      (route) => (route as { Properties: { RouteKey: string } }).Properties.RouteKey,
    );
    expect(routes.length).toBeGreaterThan(0);
    expect(routes.filter((key) => key.includes('_sandbox'))).toEqual([]);
  });
});
