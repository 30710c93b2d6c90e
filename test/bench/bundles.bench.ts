import { spawnSync } from 'node:child_process';
import { mkdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { build } from 'esbuild';
import { exampleConfigPath, readConfigFile } from '../../functions/shared/config/load.js';
import { functionNames } from '../../functions/shared/routes.js';
import {
  bundleSettings,
  configDefine,
  functionEntry,
  projectRoot,
} from '../../infra/function-construct.js';
import { type Bench, type BenchRow, percentile, round } from './support.js';

const runs = 20;
const outDir = join(projectRoot, 'bench-results', 'bundles');

/** The esbuild settings the CDK stack's NodejsFunction uses. */
const bundle = async (entry: string, outfile: string): Promise<number> => {
  await build({
    entryPoints: [entry],
    outfile,
    bundle: true,
    platform: 'node',
    target: bundleSettings.target,
    format: 'esm',
    minify: bundleSettings.minify,
    sourcemap: bundleSettings.sourceMap,
    mainFields: bundleSettings.mainFields,
    external: bundleSettings.externalModules,
    banner: { js: bundleSettings.banner },
    define: { __CALLGATE_CONFIG__: configDefine(readConfigFile(exampleConfigPath)) },
    logLevel: 'error',
  });
  return statSync(outfile).size;
};

/** Median of `runs` fresh Node processes, each timing only its own `import()` of the bundle. */
const coldImportMs = (file: string): number => {
  const script = `const t = performance.now(); await import(${JSON.stringify(pathToFileURL(file).href)}); process.stdout.write(String(performance.now() - t));`;
  const samples: number[] = [];
  for (let i = 0; i < runs; i++) {
    const result = spawnSync(process.execPath, ['--input-type=module', '-e', script], {
      encoding: 'utf8',
      env: {
        PATH: process.env.PATH,
        AWS_REGION: 'us-east-1',
        TABLE_NAME: 'bench',
        PUBLIC_BASE_URL: 'https://example.invalid',
        PLIVO_SECRET_ARN: 'arn:aws:secretsmanager:us-east-1:000000000000:secret:bench',
        AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
      },
    });
    if (result.status !== 0) throw new Error(`importing ${file} failed: ${result.stderr}`);
    samples.push(Number(result.stdout));
  }
  return percentile(samples, 50);
};

export const bench: Bench = {
  name: 'bundles',
  async run() {
    rmSync(outDir, { recursive: true, force: true });
    mkdirSync(outDir, { recursive: true });
    const baselineEntry = join(outDir, 'plivo-baseline.ts');
    writeFileSync(
      baselineEntry,
      "import * as plivo from 'plivo';\nexport const handler = async () => typeof plivo;\n",
    );
    const baselineFile = join(outDir, 'plivo-baseline.mjs');
    const baselineBytes = await bundle(baselineEntry, baselineFile);
    const baselineMs = coldImportMs(baselineFile);
    const rows: BenchRow[] = [];
    for (const fn of functionNames) {
      const file = join(outDir, `${fn}.mjs`);
      const bytes = await bundle(functionEntry(fn), file);
      const ms = coldImportMs(file);
      rows.push({
        group: 'Bundles and cold import (median of 20 fresh processes)',
        operation: fn,
        figures: {
          'bundle KiB': round(bytes / 1024, 1),
          'cold import ms': round(ms, 1),
          'size vs plivo root': `${round((bytes / baselineBytes) * 100, 1)}%`,
          'import vs plivo root': `${round((ms / baselineMs) * 100, 1)}%`,
        },
      });
    }
    rows.push({
      group: 'Bundles and cold import (median of 20 fresh processes)',
      operation: 'baseline: `plivo` package root',
      figures: {
        'bundle KiB': round(baselineBytes / 1024, 1),
        'cold import ms': round(baselineMs, 1),
        'size vs plivo root': '100%',
        'import vs plivo root': '100%',
      },
    });
    return rows;
  },
};
