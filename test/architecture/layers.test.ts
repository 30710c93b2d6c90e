/**
 * The layer rules of docs/architecture.md ("Layers and imports"), read from the page itself so the page
 * and the code cannot drift: every import in functions/, type imports included, is an arrow the table
 * allows; no two files import each other round a circle; rules/ imports no package but zod; operations
 * run other operations only where the page lists it.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import ts from 'typescript';
import { describe, expect, it } from 'vitest';

const repo = resolve(import.meta.dirname, '../..');
const functionsDir = join(repo, 'functions');
const page = readFileSync(join(repo, 'docs/architecture.md'), 'utf8');

/** The rows of the first table after `heading`: its cells, the header and the rule line left out. */
const tableAfter = (heading: string): string[][] => {
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

/** The layers each layer may import, as the page states them. */
const allowed = new Map<string, Set<string>>();
for (const [layers = '', imports = ''] of tableAfter('### Layers and imports')) {
  for (const layer of codeNames(layers)) allowed.set(layer, new Set(codeNames(imports)));
}

/** Operation → the operations it runs, as the page states them. */
const composed = new Set(
  tableAfter('Operations may run other operations').flatMap(([from = '', runs = '']) =>
    codeNames(runs).map((to) => `${codeNames(from)[0]} -> ${to}`),
  ),
);

const sourceFiles = (dir: string): string[] =>
  readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) return sourceFiles(path);
    return entry.name.endsWith('.ts') ? [path] : [];
  });

/** `<fn>/`, a folder of functions/shared/ (`rules/`) or a file directly in it (`deps.ts`). */
const layerOf = (file: string): string => {
  const [top = '', folder = '', ...rest] = relative(functionsDir, file).split('/');
  if (top.startsWith('..')) return relative(repo, file);
  if (top !== 'shared') return '<fn>/';
  return rest.length > 0 ? `${folder}/` : folder;
};

/** The rules' decisions the page says operations pass in to the store, so no store file imports them. */
const decisionsPassedIn = tableAfter('### Decisions the store runs').flatMap(([, decisions = '']) =>
  codeNames(decisions).filter((name) => /^[a-z]/.test(name) && !name.includes('/')),
);

/** The names a file imports from `rules/`. */
const namesFromRules = (file: string): string[] => {
  const source = ts.createSourceFile(file, readFileSync(file, 'utf8'), ts.ScriptTarget.Latest);
  return source.statements.flatMap((statement) => {
    if (!ts.isImportDeclaration(statement) || !ts.isStringLiteral(statement.moduleSpecifier)) {
      return [];
    }
    if (!statement.moduleSpecifier.text.startsWith('../rules/')) return [];
    const bindings = statement.importClause?.namedBindings;
    return bindings && ts.isNamedImports(bindings)
      ? bindings.elements.map((element) => (element.propertyName ?? element.name).text)
      : [];
  });
};

/** functions/shared/ paths as the page writes them (`operations/place-call.ts`). */
const shortName = (file: string): string => relative(join(functionsDir, 'shared'), file);

interface Import {
  readonly from: string;
  readonly to: string;
}

const files = sourceFiles(functionsDir);
const local: Import[] = [];
const packages: Import[] = [];
for (const file of files) {
  const { importedFiles } = ts.preProcessFile(readFileSync(file, 'utf8'), true, true);
  for (const { fileName } of importedFiles) {
    if (fileName.startsWith('.')) {
      local.push({ from: file, to: resolve(dirname(file), fileName.replace(/\.js$/, '.ts')) });
    } else {
      packages.push({ from: file, to: fileName });
    }
  }
}

const arrow = ({ from, to }: Import) =>
  `${relative(repo, from)} (${layerOf(from)}) -> ${relative(repo, to)} (${layerOf(to)})`;

describe('the layers of functions/, as docs/architecture.md states them', () => {
  it('reads a table that names every layer the code has, and a composition table', () => {
    expect(allowed.size).toBeGreaterThan(10);
    expect(composed.size).toBeGreaterThan(0);
    const unnamed = [...new Set(files.map(layerOf))].filter((layer) => !allowed.has(layer));
    expect(unnamed).toEqual([]);
  });

  it('finds the imports it checks: every file is parsed, multi-line and type imports included', () => {
    expect(local.length).toBeGreaterThan(files.length);
    const handler = join(functionsDir, 'place-call/handler.ts');
    expect(local.filter((i) => i.from === handler).map((i) => layerOf(i.to))).toContain(
      'operations/',
    );
  });

  it('has no arrow the table does not allow, and none out of functions/', () => {
    const refused = local.filter(({ from, to }) => {
      const [a, b] = [layerOf(from), layerOf(to)];
      return a !== b && !allowed.get(a)?.has(b);
    });
    expect(refused.map(arrow)).toEqual([]);
  });

  it('has rules/ import no package but zod', () => {
    const rulesPackages = packages.filter(
      ({ from, to }) => layerOf(from) === 'rules/' && to !== 'zod',
    );
    expect(rulesPackages.map(({ from, to }) => `${relative(repo, from)} -> ${to}`)).toEqual([]);
  });

  it('has no handler import store/ or rules/', () => {
    const reaching = local.filter(
      ({ from, to }) => layerOf(from) === '<fn>/' && ['store/', 'rules/'].includes(layerOf(to)),
    );
    expect(reaching.map(arrow)).toEqual([]);
  });

  it('has operations run other operations only as the composition table lists', () => {
    const runs = local
      .filter(({ from, to }) => layerOf(from) === 'operations/' && layerOf(to) === 'operations/')
      .map(({ from, to }) => `${shortName(from)} -> ${shortName(to)}`);
    expect(new Set(runs)).toEqual(composed);
  });

  it('has the store import none of the decisions operations pass in', () => {
    expect(decisionsPassedIn).toEqual(
      expect.arrayContaining(['decidePlacement', 'afterMissedCall']),
    );
    const imported = files
      .filter((file) => layerOf(file) === 'store/')
      .flatMap((file) =>
        namesFromRules(file)
          .filter((name) => decisionsPassedIn.includes(name))
          .map((name) => `${shortName(file)} imports ${name}`),
      );
    expect(imported).toEqual([]);
  });

  it('has no import cycle between files', () => {
    const importsOf = new Map<string, string[]>();
    for (const { from, to } of local) importsOf.set(from, [...(importsOf.get(from) ?? []), to]);
    const cycles: string[] = [];
    const state = new Map<string, 'open' | 'done'>();
    const visit = (file: string, path: string[]) => {
      state.set(file, 'open');
      for (const next of importsOf.get(file) ?? []) {
        if (state.get(next) === 'open') {
          cycles.push([...path.slice(path.indexOf(next)), next].map(shortName).join(' -> '));
        } else if (!state.has(next)) {
          visit(next, [...path, next]);
        }
      }
      state.set(file, 'done');
    };
    for (const file of files) if (!state.has(file)) visit(file, [file]);
    expect(cycles).toEqual([]);
  });

  it('states a table without a cycle between layers', () => {
    const open = new Set<string>();
    const done = new Set<string>();
    const circles: string[] = [];
    const visit = (layer: string, path: string[]) => {
      open.add(layer);
      for (const next of allowed.get(layer) ?? []) {
        if (open.has(next)) circles.push([...path, next].join(' -> '));
        else if (!done.has(next)) visit(next, [...path, next]);
      }
      open.delete(layer);
      done.add(layer);
    };
    for (const layer of allowed.keys()) if (!done.has(layer)) visit(layer, [layer]);
    expect(circles).toEqual([]);
  });
});
