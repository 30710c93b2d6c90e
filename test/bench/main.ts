import { mkdirSync, readdirSync, writeFileSync } from 'node:fs';
import { arch, cpus, loadavg, totalmem } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

import { startDynamoDbLocal } from '../../local/dynamodb.js';
import {
  type BenchReport,
  benchJson,
  benchResultsDir,
  renderBenchRows,
  writeSection,
} from './performance-doc.js';
import { type Bench, createCountingDb } from './support.js';

/**
 * `npm run bench`: runs every `*.bench.ts` beside this file against one DynamoDB Local, prints its
 * tables, writes bench-results/bench-<name>.json per bench and renders each into docs/performance.md,
 * each as soon as its bench ends.
 * `npm run bench -- NAME…` runs only the named benches.
 */
const here = fileURLToPath(new URL('.', import.meta.url));
const root = fileURLToPath(new URL('../../', import.meta.url));

const main = async () => {
  const only = process.argv.slice(2);
  const files = readdirSync(here)
    .filter((f) => f.endsWith('.bench.ts'))
    .sort();
  const benches: Bench[] = [];
  for (const file of files) {
    const module = (await import(join(here, file))) as { bench: Bench };
    if (only.length === 0 || only.includes(module.bench.name)) benches.push(module.bench);
  }
  const dynamo = await startDynamoDbLocal();
  const machine = `${cpus().length} × ${cpus()[0]?.model ?? 'cpu'} (${arch()}), ${Math.round(totalmem() / 2 ** 30)} GiB, Node ${process.version}, load ${loadavg()[0]?.toFixed(1)} at the start`;
  mkdirSync(benchResultsDir, { recursive: true });
  try {
    // Each bench's figures are written as soon as it ends: a later bench that fails keeps them.
    for (const bench of benches) {
      process.stderr.write(`bench ${bench.name}…\n`);
      const rows = await bench.run({
        dynamoEndpoint: dynamo.endpoint,
        countingDb: () => createCountingDb(dynamo.endpoint),
      });
      const report: BenchReport = { at: new Date().toISOString(), machine, rows };
      console.log(`\n## ${bench.name}\n\n${renderBenchRows(report.rows)}`);
      writeFileSync(join(root, benchJson(bench.name)), `${JSON.stringify(report, null, 2)}\n`);
      writeSection(benchJson(bench.name));
    }
  } finally {
    await dynamo.stop();
  }
  console.log(`\nMachine: ${machine}`);
};

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
