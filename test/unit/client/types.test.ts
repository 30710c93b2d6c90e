/**
 * The client's types are the API contract's schemas (client/types.ts); the answers the server builds
 * are held to those schemas by test/unit/api/openapi.test.ts. Here: the client's types are the server's.
 */
import { describe, expectTypeOf, it } from 'vitest';
import type { Health, IntentView, PlacedCall } from '../../../client/types.js';
import type { Health as ServerHealth } from '../../../functions/shared/operations/health.js';
import type { IntentView as ServerIntentView } from '../../../functions/shared/rules/intent-view.js';
import type { PlacedCallResponse } from '../../../functions/shared/store/items/idempotency.js';

describe('the client types the answers as the server builds them', () => {
  it('types the placed call, an intent and the health answer as the server does', () => {
    expectTypeOf<PlacedCall>().toMatchTypeOf<PlacedCallResponse>();
    expectTypeOf<PlacedCallResponse>().toMatchTypeOf<PlacedCall>();
    expectTypeOf<IntentView>().toMatchTypeOf<ServerIntentView>();
    expectTypeOf<ServerIntentView>().toMatchTypeOf<IntentView>();
    expectTypeOf<Health>().toMatchTypeOf<ServerHealth>();
    expectTypeOf<ServerHealth>().toMatchTypeOf<Health>();
  });
});
