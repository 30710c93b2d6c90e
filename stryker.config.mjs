/**
 * `npm run test:mutation`: mutation testing of the policy code, the files that decide what callgate
 * lets through (Meta's and Plivo's rules, the webhook signature, the permission reply, the live call
 * list that releases leases, the PSTN and WhatsApp forward guard, business hours, the events a change
 * means). Outside `npm test`: it reruns the unit tests against each of some two thousand mutants.
 * @type {import('@stryker-mutator/api/core').PartialStrykerOptions}
 */
export default {
  mutate: [
    'functions/shared/rules/*.ts',
    'functions/shared/plivo/signature.ts',
    'functions/shared/plivo/permission-reply.ts',
    'functions/shared/plivo/reply-fields.ts',
    'functions/shared/plivo/live-calls.ts',
    'functions/shared/call-flow/guard.ts',
    'functions/shared/events/derive.ts',
  ],
  testRunner: 'vitest',
  // The pure unit tests only: no DynamoDB Local, no bundling.
  vitest: { configFile: 'vitest.mutation.config.ts' },
  // Each mutant runs only the tests that reach it.
  coverageAnalysis: 'perTest',
  // A mutant of a value computed at load (a module constant) would rerun every test: left out.
  ignoreStatic: true,
  concurrency: 2,
  ignorePatterns: ['cdk.out', 'bench-results', '.dynamodb', 'reports', 'docs'],
  reporters: ['html', 'clear-text', 'progress', 'json'],
  htmlReporter: { fileName: 'reports/mutation/mutation.html' },
  jsonReporter: { fileName: 'reports/mutation/mutation.json' },
  thresholds: { high: 95, low: 90, break: 95 },
};
