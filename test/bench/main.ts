import { mkdirSync, readdirSync, writeFileSync } from 'node:fs';
import { arch, cpus, totalmem } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { startDynamoDbLocal } from '../../local/dynamodb.js';
import { type Bench, type BenchRow, createCountingDb } from './support.js';

/**
 * `npm run bench`: runs every `*.bench.ts` beside this file against one DynamoDB Local, prints one table
 * and writes bench-results/latest.json. `npm run bench -- NAME…` runs only the named benches.
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
  const rows: BenchRow[] = [];
  try {
    for (const bench of benches) {
      process.stderr.write(`bench ${bench.name}…\n`);
      rows.push(
        ...(await bench.run({
          dynamoEndpoint: dynamo.endpoint,
          countingDb: () => createCountingDb(dynamo.endpoint),
        })),
      );
    }
  } finally {
    await dynamo.stop();
  }
  const machine = `${cpus().length} × ${cpus()[0]?.model ?? 'cpu'} (${arch()}), ${Math.round(totalmem() / 2 ** 30)} GiB, Node ${process.version}`;
  for (const group of [...new Set(rows.map((r) => r.group))]) {
    const groupRows = rows.filter((r) => r.group === group);
    const columns = [...new Set(groupRows.flatMap((r) => Object.keys(r.figures)))];
    console.log(`\n## ${group}\n`);
    console.log(`| operation | ${columns.join(' | ')} |`);
    console.log(`| --- | ${columns.map(() => '---:').join(' | ')} |`);
    for (const row of groupRows) {
      console.log(`| ${row.operation} | ${columns.map((c) => row.figures[c] ?? '').join(' | ')} |`);
    }
  }
  console.log(`\nMachine: ${machine}`);
  const outDir = join(root, 'bench-results');
  mkdirSync(outDir, { recursive: true });
  writeFileSync(
    join(outDir, 'latest.json'),
    `${JSON.stringify({ at: new Date().toISOString(), machine, rows }, null, 2)}\n`,
  );
  console.log(`Written to ${join('bench-results', 'latest.json')}`);
};

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
