import { EventBridgeClient } from '@aws-sdk/client-eventbridge';
import { createEventBridgeBus } from '../shared/events/eventbridge-bus.js';
import { lambdaObservability } from '../shared/lambda-observability.js';
import { createHandler } from './handler.js';

const busName = process.env.EVENT_BUS_NAME;
if (!busName) throw new Error('EVENT_BUS_NAME is not set');

const observability = lambdaObservability('events');
export const handler = observability.wrap(
  createHandler({
    bus: createEventBridgeBus({ busName, client: observability.traced(new EventBridgeClient({})) }),
    logger: observability.logger,
    metrics: observability.metrics,
  }),
);
