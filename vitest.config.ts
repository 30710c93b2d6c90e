import { configDefaults, defineConfig } from 'vitest/config';

/**
 * `npm test` runs every suite but test/scale, which runs alone (`npm run test:scale`, and in CI after
 * `npm test`): 2,100 calls at Meta's 1,000-call limit saturate two cores and would starve the suites
 * running beside it.
 */
const scale = process.env.CALLGATE_SUITE === 'scale';

export default defineConfig({
  test: {
    include: scale ? ['test/scale/**/*.test.ts'] : ['test/**/*.test.ts'],
    exclude: scale ? configDefaults.exclude : [...configDefaults.exclude, 'test/scale/**'],
    globalSetup: ['test/support/global-setup.ts'],
    testTimeout: 60_000,
    hookTimeout: 60_000,
    env: { AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true' },
  },
});
