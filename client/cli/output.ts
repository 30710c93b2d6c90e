/**
 * What the CLI prints and how it exits: readable tables for people, the raw body with --json for
 * scripts, progress on stderr, and one exit code per kind of end.
 */

export const exitCodes = { ok: 0, refused: 1, usage: 2, unavailable: 3 } as const;

/** A command line that cannot be run as written (exit 2, like commander's own refusals). */
export class UsageError extends Error {
  override name = 'UsageError';
}

const cell = (value: unknown): string => {
  if (value === undefined || value === null) return '';
  if (typeof value === 'object') return JSON.stringify(value);
  return String(value);
};

/** Rows under a header, each column as wide as its widest cell. */
export const table = (
  rows: readonly Readonly<Record<string, unknown>>[],
  columns: readonly string[],
): string => {
  const cells = [columns, ...rows.map((row) => columns.map((column) => cell(row[column])))];
  const widths = columns.map((_, i) => Math.max(...cells.map((line) => (line[i] ?? '').length)));
  return cells
    .map((line) =>
      line
        .map((text, i) => text.padEnd(widths[i] ?? 0))
        .join('  ')
        .trimEnd(),
    )
    .join('\n');
};

/** An object's fields, one a line (`name  value`), nested objects as `parent.child`. */
export const fields = (value: Readonly<Record<string, unknown>>): string => {
  const rows: { field: string; value: unknown }[] = [];
  const walk = (prefix: string, object: Readonly<Record<string, unknown>>) => {
    for (const [key, inner] of Object.entries(object)) {
      const name = prefix === '' ? key : `${prefix}.${key}`;
      if (typeof inner === 'object' && inner !== null && !Array.isArray(inner)) {
        walk(name, inner as Record<string, unknown>);
      } else rows.push({ field: name, value: inner });
    }
  };
  walk('', value);
  const width = Math.max(0, ...rows.map(({ field }) => field.length));
  return rows.map(({ field, value }) => `${field.padEnd(width)}  ${cell(value)}`).join('\n');
};

export interface Output {
  readonly json: boolean;
  /** A result, on stdout. */
  print(text: string): void;
  /** Progress and refusals, on stderr: stdout stays the result alone. */
  note(text: string): void;
}

export const consoleOutput = (json: boolean): Output => ({
  json,
  print: (text) => process.stdout.write(`${text}\n`),
  note: (text) => process.stderr.write(`${text}\n`),
});
