/**
 * The answers the client types itself (those built in a store item or an operation, which the client
 * may not import) are the server's own types: tsc fails this file when one drifts.
 */
import { describe, expectTypeOf, it } from 'vitest';
import type { Health, PlacedCall } from '../../../client/types.js';
import type { Health as ServerHealth } from '../../../functions/shared/operations/health.js';
import type { PlacedCallResponse } from '../../../functions/shared/store/items/idempotency.js';

describe('the client types the answers as the server builds them', () => {
  it('types the placed call and the health answer as the server does', () => {
    expectTypeOf<PlacedCall>().toEqualTypeOf<PlacedCallResponse>();
    expectTypeOf<Health>().toEqualTypeOf<ServerHealth>();
  });
});
