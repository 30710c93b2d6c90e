/**
 * After `stryker run` (npm run test:mutation): the mutation score of each file in scope, failing when
 * one is below stryker.config.mjs's `thresholds.break`. Stryker breaks only on the score of all files
 * together, where a weak file hides behind strong ones.
 */
import { readFileSync } from 'node:fs';

interface Report {
  readonly files: Record<string, { readonly mutants: readonly { readonly status: string }[] }>;
}

const configUrl = new URL('../../stryker.config.mjs', import.meta.url);
const { default: config } = (await import(configUrl.href)) as {
  default: { jsonReporter: { fileName: string }; thresholds: { break: number } };
};
const report = JSON.parse(readFileSync(config.jsonReporter.fileName, 'utf8')) as Report;
const breakAt = config.thresholds.break;

const rows = Object.entries(report.files)
  .sort(([a], [b]) => a.localeCompare(b))
  .map(([file, { mutants }]) => {
    const count = (...statuses: string[]) =>
      mutants.filter((mutant) => statuses.includes(mutant.status)).length;
    const detected = count('Killed', 'Timeout');
    const undetected = count('Survived', 'NoCoverage');
    const valid = detected + undetected;
    // A file whose every mutant is ignored has nothing to score.
    const score = valid === 0 ? 100 : (100 * detected) / valid;
    return { file, detected, undetected, ignored: count('Ignored'), score };
  });

for (const { file, detected, undetected, ignored, score } of rows) {
  console.log(
    `${score.toFixed(2).padStart(6)} %  ${file}  (${detected} detected, ${undetected} undetected, ${ignored} ignored)`,
  );
}
const weak = rows.filter((row) => row.score < breakAt);
if (weak.length > 0) {
  console.error(`Below ${breakAt} %: ${weak.map((row) => row.file).join(', ')}`);
  process.exitCode = 1;
}
