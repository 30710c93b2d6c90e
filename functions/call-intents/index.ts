import { lambdaDeps } from '../shared/lambda-deps.js';
import { createHandler } from './handler.js';

export const handler = createHandler(lambdaDeps());
