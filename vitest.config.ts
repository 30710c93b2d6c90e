import { configDefaults, defineConfig } from 'vitest/config';

/**
 * `npm test` runs every suite but two that run on their own, in CI after `npm test`: test/scale
 * (`npm run test:scale`: 2,100 calls at Meta's 1,000-call limit saturate two cores and would starve
 * the suites beside it) and test/browser (`npm run test:browser`: it needs Chromium, which `.ci/run`
 * installs and a developer's machine may lack).
 */
const suites = ['scale', 'browser'];
const suite = suites.find((name) => name === process.env.CALLGATE_SUITE);

export default defineConfig({
  test: {
    include: suite ? [`test/${suite}/**/*.test.ts`] : ['test/**/*.test.ts'],
    exclude: suite
      ? configDefaults.exclude
      : [...configDefaults.exclude, ...suites.map((name) => `test/${name}/**`)],
    globalSetup: ['test/support/global-setup.ts'],
    setupFiles: ['test/support/quiet-logs.ts', 'test/support/log-scan.ts'],
    testTimeout: 60_000,
    hookTimeout: 60_000,
    env: { AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true' },
  },
});
