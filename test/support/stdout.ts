import { vi } from 'vitest';

/** The JSON lines written to stdout while `run` runs: Powertools' logger and metrics write there. */
export const jsonLinesWhile = async (
  run: () => Promise<unknown>,
): Promise<Record<string, unknown>[]> => {
  const lines: string[] = [];
  const write = vi
    .spyOn(process.stdout, 'write')
    .mockImplementation((chunk: string | Uint8Array) => {
      lines.push(...String(chunk).split('\n').filter(Boolean));
      return true;
    });
  try {
    await run();
  } finally {
    write.mockRestore();
  }
  return lines.map((line) => JSON.parse(line) as Record<string, unknown>);
};
