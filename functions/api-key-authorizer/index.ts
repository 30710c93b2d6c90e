import { lambdaTable } from '../shared/lambda-deps.js';
import { lambdaObservability } from '../shared/lambda-observability.js';
import { createHandler } from './handler.js';

const observability = lambdaObservability('api-key-authorizer');
export const handler = observability.wrap(
  createHandler({
    db: lambdaTable(observability),
    clock: Date.now,
    logger: observability.logger,
    metrics: observability.metrics,
  }),
);
