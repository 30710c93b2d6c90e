import { lambdaDeps, selfSchedules } from '../shared/lambda-deps.js';
import { lambdaObservability } from '../shared/lambda-observability.js';
import { createEventBridgeWakeups } from '../shared/scheduling/eventbridge-scheduler.js';
import { createHandler } from './handler.js';

const observability = lambdaObservability('intent-dispatcher');

export const handler = observability.wrap(
  createHandler(lambdaDeps(observability), selfSchedules(observability, createEventBridgeWakeups)),
);
