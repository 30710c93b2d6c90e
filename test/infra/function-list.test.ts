import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { type FunctionName, routes } from '../../functions/shared/routes.js';
import { projectRoot } from '../../infra/function-construct.js';
import type { CallgateStack } from '../../infra/stack.js';
import {
  exampleWithApiKeysPath,
  exampleWithWebhookPath,
  type Json,
  logicalIdIn,
  synthesized,
} from '../support/stack.js';

/** The function table of docs/architecture.md: each row's function and what it says invokes it. */
const documentedFunctions = (): Map<string, string> => {
  const doc = readFileSync(join(projectRoot, 'docs', 'architecture.md'), 'utf8');
  const section = doc.split('\n### functions/&lt;fn&gt;/\n')[1]?.split('\n#')[0];
  if (!section) throw new Error('docs/architecture.md has no functions/<fn>/ section');
  const rows = new Map<string, string>();
  for (const line of section.split('\n')) {
    const row = /^\| `([a-z-]+)` \| (.+) \|$/.exec(line);
    if (row?.[1] && row[2]) rows.set(row[1], row[2]);
  }
  return rows;
};

/** The backticked words of a cell that read like a filter's values: `INSERT`, `LINE#`. */
const filterWords = (cell: string): string[] =>
  [...cell.matchAll(/`([A-Z]+#?)`/g)].map((match) => match[1] as string).sort();

/** The strings a filter pattern matches: its leaves (event names, key prefixes), not its keys. */
const leafStrings = (pattern: Json): string[] =>
  typeof pattern === 'string'
    ? [pattern]
    : Object.values(pattern as Record<string, Json>).flatMap(leafStrings);

const sorted = (names: Iterable<string>): string[] => [...names].sort();

describe("docs/architecture.md's function list", () => {
  let stack: CallgateStack;
  let resources: Record<string, Json>;
  let documented: Map<string, string>;
  beforeAll(() => {
    ({ stack, resources } = synthesized());
    documented = documentedFunctions();
  });

  it('names every folder under functions/ but shared/', () => {
    const folders = readdirSync(join(projectRoot, 'functions'), { withFileTypes: true })
      .filter((entry) => entry.isDirectory() && entry.name !== 'shared')
      .map((entry) => entry.name);
    expect(folders.length).toBeGreaterThan(0);
    expect(sorted(documented.keys())).toEqual(sorted(folders));
  });

  it('names every function the stack deploys, and the stack deploys no other Lambda', () => {
    // event-webhook only with a webhook configured, api-key-authorizer only with API keys.
    expect(sorted(documented.keys())).toEqual(
      sorted([...stack.functions.keys(), 'event-webhook', 'api-key-authorizer']),
    );
    const lambdas = Object.values(resources).filter(
      (resource) => resource.Type === 'AWS::Lambda::Function',
    );
    expect(lambdas).toHaveLength(stack.functions.size);
    const withWebhook = synthesized(exampleWithWebhookPath());
    expect(sorted(documented.keys())).toEqual(
      sorted([...withWebhook.stack.functions.keys(), 'api-key-authorizer']),
    );
    const withBoth = synthesized(exampleWithApiKeysPath(undefined, true));
    expect(sorted(documented.keys())).toEqual(sorted(withBoth.stack.functions.keys()));
    const lambdasWithBoth = Object.values(withBoth.resources).filter(
      (resource) => resource.Type === 'AWS::Lambda::Function',
    );
    expect(lambdasWithBoth).toHaveLength(withBoth.stack.functions.size);
  });

  it('gives each HTTP function exactly its routes from the route table', () => {
    for (const [fn, invokedBy] of documented) {
      const named = [...invokedBy.matchAll(/`(GET|POST|PUT|DELETE) (\/[^`]*)`/g)].map(
        (match) => `${match[1]} ${match[2]}`,
      );
      const served = routes
        .filter((route) => route.fn === fn)
        .map((route) => `${route.method} ${route.path}`);
      expect({ fn, routes: sorted(named) }).toEqual({ fn, routes: sorted(served) });
    }
  });

  it("states each stream reader's filter as its event source mapping has it", () => {
    const mappings = Object.values(resources).filter(
      (resource) => resource.Type === 'AWS::Lambda::EventSourceMapping',
    );
    expect(mappings).toHaveLength(stack.streamFunctions.length);
    for (const reader of stack.streamFunctions) {
      const mapping = mappings.find(
        (resource) => resource.Properties.FunctionName.Ref === logicalIdIn(stack, reader.handler),
      );
      const patterns: string[] = (mapping?.Properties.FilterCriteria.Filters ?? []).map(
        (filter: { Pattern: string }) => filter.Pattern,
      );
      const values = patterns.flatMap((pattern) => leafStrings(JSON.parse(pattern)));
      expect(values.length).toBeGreaterThan(0);
      const fn: FunctionName = reader.fn;
      expect({ fn, filter: filterWords(documented.get(fn) ?? '') }).toEqual({
        fn,
        filter: sorted(values),
      });
    }
  });
});
