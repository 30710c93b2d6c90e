import { lambdaDeps } from '../shared/lambda-deps.js';
import { lambdaObservability } from '../shared/lambda-observability.js';
import { createHandler } from './handler.js';

const observability = lambdaObservability('pause-lift');
export const handler = observability.wrap(createHandler(lambdaDeps(observability)));
