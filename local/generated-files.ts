/**
 * The files generated from the code's own schemas: the OpenAPI document of the HTTP API and the JSON
 * Schema of the configuration file. `npm run openapi` writes them; a unit test fails when a committed
 * copy differs from what the code generates.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { openApiDocument } from '../functions/shared/api/openapi.js';
import { configJsonSchema } from '../functions/shared/config/json-schema.js';

const repo = resolve(import.meta.dirname, '..');

const jsonText = (value: unknown): string => `${JSON.stringify(value, null, 2)}\n`;

const packageVersion = (): string =>
  (JSON.parse(readFileSync(join(repo, 'package.json'), 'utf8')) as { version: string }).version;

/** The OpenAPI document as docs/openapi.json holds it, and the local host serves it. */
export const openApiText = (): string => jsonText(openApiDocument(packageVersion()));

export const generatedFiles = (): { readonly path: string; readonly text: string }[] => [
  { path: 'docs/openapi.json', text: openApiText() },
  { path: 'config/callgate.schema.json', text: jsonText(configJsonSchema()) },
];

export const repoPath = (path: string): string => join(repo, path);

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  for (const file of generatedFiles()) {
    writeFileSync(repoPath(file.path), file.text);
    console.log(`wrote ${file.path}`);
  }
}
