/**
 * `npm run capacity`: what each operation costs in DynamoDB capacity at 1, 100, 500 and 1,000
 * simultaneous calls on one business number, measured through a local host over HTTP against
 * DynamoDB Local (test/capacity/report.ts, test/support/capacity.ts). Prints a table and a model,
 * writes bench-results/capacity.json.
 */
import { runCapacity } from './report.js';

await runCapacity().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
