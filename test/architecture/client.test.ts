/**
 * The client's imports, as docs/architecture.md ("### client/") states them: every import of client/
 * is one its folder's row names, nothing client/ reaches (through functions/ too) is the store, an
 * operation, the Plivo REST port or a handler, and nothing deployed or run by `npm start` imports it.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import ts from 'typescript';
import { describe, expect, it } from 'vitest';

const repo = resolve(import.meta.dirname, '../..');
const page = readFileSync(join(repo, 'docs/architecture.md'), 'utf8');
const shared = join(repo, 'functions/shared');

const rowsAfter = (heading: string): string[][] => {
  const at = page.indexOf(heading);
  if (at < 0) throw new Error(`docs/architecture.md has no "${heading}"`);
  const lines = page.slice(at).split('\n');
  const first = lines.findIndex((line) => line.startsWith('|'));
  const rows: string[][] = [];
  for (const line of lines.slice(first + 2)) {
    if (!line.startsWith('|')) break;
    rows.push(
      line
        .slice(1, -1)
        .split(' | ')
        .map((cell) => cell.trim()),
    );
  }
  return rows;
};

const codeNames = (cell: string): string[] =>
  [...cell.matchAll(/`([^`]+)`/g)].map((m) => m[1] ?? '');

/** Folder → what it may import: repo paths (`client/`, `local/defaults.ts`) or functions/shared/ ones. */
const allowed = new Map<string, string[]>(
  rowsAfter('### client/').map(([folder = '', imports = '']) => [
    codeNames(folder)[0] ?? '',
    codeNames(imports).map((name) =>
      /^(client|local)\//.test(name)
        ? name
        : relative(repo, join(shared, name)) + (name.endsWith('/') ? '/' : ''),
    ),
  ]),
);

const sourceFiles = (dir: string): string[] =>
  readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) return sourceFiles(path);
    return /\.(ts|js)$/.test(entry.name) ? [path] : [];
  });

const importsOf = (file: string): string[] =>
  ts
    .preProcessFile(readFileSync(file, 'utf8'), true, true)
    .importedFiles.map(({ fileName }) => fileName)
    .filter((name) => name.startsWith('.'))
    .map((name) => relative(repo, resolve(dirname(file), name.replace(/\.js$/, '.ts'))));

/** The operator's key commands, which write the table itself: the one file with a row of its own. */
const keyCommands = 'client/cli/commands/keys.ts';

/** `client/cli/` for a file under it, else `client/`; the key commands their own. */
const folderOf = (path: string): string =>
  path === keyCommands ? keyCommands : path.startsWith('client/cli/') ? 'client/cli/' : 'client/';

const clientFiles = sourceFiles(join(repo, 'client')).map((file) => relative(repo, file));

describe('the client and the CLI import what docs/architecture.md names', () => {
  it('reads a row for each folder of client/', () => {
    expect([...allowed.keys()].sort()).toEqual(['client/', 'client/cli/', keyCommands]);
    expect(clientFiles).toContain('client/cli/commands/plivo.ts');
  });

  it('has no import its row does not name', () => {
    const refused = clientFiles.flatMap((file) =>
      importsOf(file)
        .filter((target) => {
          const folder = folderOf(file);
          if (target.startsWith('client/') && folderOf(target) === folder) return false;
          return !(allowed.get(folder) ?? []).some((entry) =>
            entry.endsWith('/') ? target.startsWith(entry) : target === entry,
          );
        })
        .map((target) => `${file} -> ${target}`),
    );
    expect(refused).toEqual([]);
  });

  it('reaches no store, operation, Plivo REST port or handler, through functions/ either (the key commands aside)', () => {
    const reached = new Set<string>();
    const visit = (file: string) => {
      if (reached.has(file) || file === keyCommands) return;
      reached.add(file);
      for (const next of importsOf(join(repo, file))) visit(next);
    };
    for (const file of clientFiles) visit(file);
    expect(
      [...reached].filter((file) => file.startsWith('functions/shared/rules/')).length,
    ).toBeGreaterThan(3);
    const forbidden = [...reached].filter(
      (file) =>
        /^functions\/shared\/(store|operations|telephony)\//.test(file) ||
        /^functions\/(?!shared\/)/.test(file) ||
        /^functions\/shared\/(deps|lambda-[a-z-]+)\.ts$/.test(file),
    );
    expect(forbidden).toEqual([]);
  });

  it('is imported by nothing deployed or run by npm start', () => {
    const importers = ['functions', 'infra', 'local'].flatMap((dir) =>
      sourceFiles(join(repo, dir))
        .map((file) => relative(repo, file))
        .filter((file) =>
          importsOf(join(repo, file)).some((target) => target.startsWith('client/')),
        ),
    );
    expect(importers).toEqual([]);
  });
});
