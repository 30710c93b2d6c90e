import { readFileSync } from 'node:fs';
import { Ajv2020 } from 'ajv/dist/2020.js';
import addFormats from 'ajv-formats';
import { describe, expect, it } from 'vitest';
import type * as z from 'zod';
import type { callIntentResponse } from '../../../functions/shared/api/call-intents.js';
import type { callLogResponse, placedCallResponse } from '../../../functions/shared/api/calls.js';
import type { healthResponse } from '../../../functions/shared/api/health.js';
import {
  openApiDocument,
  responseSchemas,
  routeContracts,
  routeKey,
} from '../../../functions/shared/api/openapi.js';
import type { permissionStateResponse } from '../../../functions/shared/api/permissions.js';
import type { Health } from '../../../functions/shared/operations/health.js';
import { routes } from '../../../functions/shared/routes.js';
import type { CallLogView } from '../../../functions/shared/rules/call-log.js';
import type { IntentView } from '../../../functions/shared/rules/intent-view.js';
import type { PermissionView } from '../../../functions/shared/rules/permission-state.js';
import type { PlacedCallResponse } from '../../../functions/shared/store/items/idempotency.js';
import { generatedFiles, repoPath } from '../../../local/generated-files.js';

/**
 * True only when each type is assignable to the other and both name the same fields: an optional field
 * one side lacks (`reference?`) is assignable both ways, so the keys are compared too. (Exact identity
 * would also tell `readonly` apart, which the schemas do not carry.)
 */
type Mutual<A, B> = [A] extends [B] ? ([B] extends [A] ? true : false) : false;
type Same<A, B> = Mutual<A, B> extends true ? Mutual<keyof A, keyof B> : false;
const same = <A, B>(holds: Same<A, B>) => holds;

describe('the OpenAPI document', () => {
  it('the answers the code builds are the shapes the document gives (checked by the compiler)', () => {
    expect(same<PlacedCallResponse, z.output<typeof placedCallResponse>>(true)).toBe(true);
    expect(same<CallLogView, z.output<typeof callLogResponse>>(true)).toBe(true);
    expect(same<IntentView, z.output<typeof callIntentResponse>>(true)).toBe(true);
    expect(
      same<
        PermissionView & { business: string; user: string },
        z.output<typeof permissionStateResponse>
      >(true),
    ).toBe(true);
    expect(same<Health, z.output<typeof healthResponse>>(true)).toBe(true);
  });

  it('documents every route of the route table, and nothing else', () => {
    const document = openApiDocument('test');
    const documented = Object.entries(document.paths).flatMap(([path, operations]) =>
      Object.keys(operations).map((method) => `${method.toUpperCase()} ${path}`),
    );
    expect(documented.sort()).toEqual(routes.map(routeKey).sort());
    const contracted = routes.filter((route) => route.auth !== 'plivo-signature').map(routeKey);
    expect(Object.keys(routeContracts).sort()).toEqual(contracted.sort());
  });

  it('is what docs/openapi.json holds (npm run openapi writes it)', () => {
    const file = generatedFiles().find(({ path }) => path === 'docs/openapi.json');
    expect(readFileSync(repoPath('docs/openapi.json'), 'utf8')).toBe(file?.text);
  });

  it("every example's answer is valid against the schema of its status", () => {
    const ajv = new Ajv2020({ strict: false });
    addFormats.default(ajv);
    for (const [key, contract] of Object.entries(routeContracts)) {
      const schemas = responseSchemas(contract);
      for (const example of contract.examples) {
        const schema = schemas.get(example.status);
        expect(
          schema,
          `${key} ${example.name}: status ${example.status} undocumented`,
        ).toBeDefined();
        const validate = ajv.compile(schema ?? {});
        expect(
          validate(example.response),
          `${example.name}: ${ajv.errorsText(validate.errors)}`,
        ).toBe(true);
      }
    }
  });

  it('example names are unique, so the contract test can tell them apart', () => {
    const names = Object.values(routeContracts).flatMap((c) => c.examples.map((e) => e.name));
    expect(new Set(names).size).toBe(names.length);
  });
});
