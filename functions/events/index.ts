import { createEventBridgeBus } from '../shared/events/eventbridge-bus.js';
import { createLogger } from '../shared/log.js';
import { createHandler } from './handler.js';

const busName = process.env.EVENT_BUS_NAME;
if (!busName) throw new Error('EVENT_BUS_NAME is not set');

export const handler = createHandler({
  bus: createEventBridgeBus({ busName }),
  logger: createLogger(),
});
