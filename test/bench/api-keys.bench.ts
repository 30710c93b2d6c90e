import { createHandler as apiKeyAuthorizer } from '../../functions/api-key-authorizer/handler.js';
import { createApiKey } from '../../functions/shared/operations/api-keys.js';
import { type Bench, type BenchRow, benchDeps, measureLatency } from './support.js';

/**
 * The API-key authorizer's cost per request API Gateway does not answer from its cache (60 s per
 * header): one eventually consistent GetItem, and the lastUsedAt UpdateItem at most every 10 minutes
 * per key. A cached answer invokes nothing and reads nothing. Its cold import is in the bundles bench.
 */
export const bench: Bench = {
  name: 'api-keys',
  async run(context) {
    const db = await context.countingDb();
    const deps = benchDeps(db);
    const authorize = apiKeyAuthorizer(deps);
    const group = 'api-keys';
    const { apiKey } = await createApiKey(
      db,
      { name: 'bench', scopes: ['calls:write'] },
      Date.now(),
    );
    const request = (header: string) => () =>
      authorize({ headers: { authorization: header }, identitySource: [header] });
    const measured = async (operation: string, header: string, authorized: boolean) => {
      const { result, figures } = await db.measure(request(header));
      if (result.isAuthorized !== authorized) throw new Error(`${operation}: not ${authorized}`);
      return { group, operation, figures };
    };
    const rows: BenchRow[] = [
      await measured('uncached: first use (lastUsedAt written)', `Bearer ${apiKey}`, true),
      await measured('uncached: used in the last 10 minutes', `Bearer ${apiKey}`, true),
      await measured('unknown key', `Bearer cg_${'0'.repeat(16)}_${apiKey.slice(20)}`, false),
      await measured('malformed key', 'Bearer nonsense', false),
    ];
    const latency = await measureLatency(request(`Bearer ${apiKey}`), { iterations: 300 });
    rows.push({ group, operation: 'uncached: warm latency', figures: latency });
    return rows;
  },
};
