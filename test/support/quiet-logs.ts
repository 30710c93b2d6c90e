/**
 * Every test file starts with this (vitest.config.ts `setupFiles`): the JSON log lines and EMF metrics
 * that the handlers write to stdout and stderr are dropped, so `npm test` prints results, not thousands
 * of log lines. A test that asserts on logs spies on the stream itself (support/stdout.ts) and sees
 * every line before this does. `CALLGATE_TEST_LOGS=1 npm test` prints them again.
 */
const isLogLine = (chunk: unknown) =>
  (typeof chunk === 'string' || chunk instanceof Uint8Array) &&
  /^\{"(level|_aws)":/.test(String(chunk));

if (!process.env.CALLGATE_TEST_LOGS) {
  for (const stream of [process.stdout, process.stderr]) {
    const write = stream.write.bind(stream) as (...args: unknown[]) => boolean;
    stream.write = ((chunk: string | Uint8Array, ...rest: unknown[]) =>
      isLogLine(chunk) ? true : write(chunk, ...rest)) as typeof stream.write;
  }
}
