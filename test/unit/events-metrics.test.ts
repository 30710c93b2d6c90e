import { readdirSync, readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { eventMetrics } from '../../functions/shared/events/metrics.js';

const root = new URL('../../', import.meta.url);
const markdownFiles = [
  'README.md',
  ...readdirSync(new URL('docs/', root), { recursive: true, encoding: 'utf8' })
    .filter((name) => name.endsWith('.md'))
    .map((name) => `docs/${name}`),
];

/** The first cells of each table whose first header is `type`, under a heading named Events. */
const eventTables = (markdown: string): string[][] => {
  const tables: string[][] = [];
  let inEvents = false;
  let level = 0;
  let table: string[] | undefined;
  for (const line of markdown.split('\n')) {
    const heading = /^(#+)\s+(.*?)\s*$/.exec(line);
    if (heading) {
      const depth = heading[1]?.length ?? 0;
      if (heading[2] === 'Events') [inEvents, level] = [true, depth];
      else if (depth <= level) inEvents = false;
      continue;
    }
    const cells = line.startsWith('|') ? line.split('|').map((cell) => cell.trim()) : undefined;
    if (!cells) table = undefined;
    else if (table) table.push(cells[1] ?? '');
    else if (inEvents && cells[1] === 'type') {
      table = [];
      tables.push(table);
    }
  }
  return tables.map((rows) => rows.filter((cell) => !/^-+$/.test(cell)));
};

describe('event types', () => {
  it('each have a row in the events table of the docs, and the table no other', () => {
    const tables = markdownFiles.flatMap((file) =>
      eventTables(readFileSync(new URL(file, root), 'utf8')),
    );
    expect(tables).toHaveLength(1);
    const documented = (tables[0] ?? []).map((cell) => cell.replace(/^`(.*)`$/, '$1'));
    expect(documented.sort()).toEqual(Object.keys(eventMetrics).sort());
  });
});
