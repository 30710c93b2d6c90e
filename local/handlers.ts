import { createHandler as answer } from '../functions/answer/handler.js';
import { createHandler as callIntents } from '../functions/call-intents/handler.js';
import { createHandler as callLog } from '../functions/call-log/handler.js';
import { createHandler as dialStatus } from '../functions/dial-status/handler.js';
import { createHandler as hangup } from '../functions/hangup/handler.js';
import { createHandler as health } from '../functions/health/handler.js';
import { createHandler as pauseLift } from '../functions/pause-lift/handler.js';
import { createHandler as permissionCorrection } from '../functions/permission-correction/handler.js';
import { createHandler as messageWebhook } from '../functions/permission-reply/handler.js';
import { createHandler as permissionRequest } from '../functions/permission-request/handler.js';
import { createHandler as permissionState } from '../functions/permission-state/handler.js';
import { createHandler as placeCall } from '../functions/place-call/handler.js';
import type { Deps } from '../functions/shared/deps.js';
import type { LambdaHandler } from '../functions/shared/http/middleware.js';
import type { HttpFunctionName } from '../functions/shared/routes.js';

/** The same handler factories the Lambda entries call, by the route table's function names. */
export const handlerFactories: Record<HttpFunctionName, (deps: Deps) => LambdaHandler> = {
  health,
  'permission-reply': messageWebhook,
  answer,
  hangup,
  'dial-status': dialStatus,
  'place-call': placeCall,
  'permission-state': permissionState,
  'permission-request': permissionRequest,
  'permission-correction': permissionCorrection,
  'call-log': callLog,
  'call-intents': callIntents,
  'pause-lift': pauseLift,
};
