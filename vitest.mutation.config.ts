import { configDefaults, defineConfig } from 'vitest/config';

/**
 * The suite `npm run test:mutation` runs against each mutant (stryker.config.mjs): the pure unit tests
 * of the policy code only, without vitest.config.ts's DynamoDB Local, so each mutant is judged in
 * milliseconds. `npm test` runs these files too, through vitest.config.ts.
 */
export default defineConfig({
  test: {
    include: ['test/unit/**/*.test.ts'],
    exclude: [
      ...configDefaults.exclude,
      // Need DynamoDB Local (vitest.config.ts's globalSetup) or bundle functions with esbuild.
      'test/unit/support/capacity.test.ts',
      'test/unit/lambda-credentials.test.ts',
      'test/unit/lambda-stream-web.test.ts',
      'test/unit/lambda-deps.test.ts',
    ],
    setupFiles: ['test/support/quiet-logs.ts'],
    env: { AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true' },
  },
});
