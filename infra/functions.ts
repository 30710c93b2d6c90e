import type { FunctionName } from '../functions/shared/routes.js';

/** DynamoDB actions a function may call; TransactWriteItems is authorized per contained action. */
export type TableAction =
  | 'dynamodb:GetItem'
  | 'dynamodb:PutItem'
  | 'dynamodb:UpdateItem'
  | 'dynamodb:DeleteItem'
  | 'dynamodb:ConditionCheckItem'
  | 'dynamodb:Query';

export interface FunctionAccess {
  /** Only the table actions the function's code performs: least privilege, checked by the CDK tests. */
  readonly tableActions: readonly TableAction[];
  /** Whether it reads the Plivo credentials (signature verification or the Plivo API). */
  readonly plivoSecret: boolean;
}

/** What placing a call (store/placement.ts, its release) and an intent's own items need. */
const placesCalls: FunctionAccess = {
  tableActions: [
    'dynamodb:GetItem',
    'dynamodb:PutItem',
    'dynamodb:UpdateItem',
    'dynamodb:DeleteItem',
    'dynamodb:Query',
  ],
  plivoSecret: true,
};

export const functionAccess: Record<FunctionName, FunctionAccess> = {
  health: { tableActions: [], plivoSecret: false },
  'message-webhook': {
    tableActions: ['dynamodb:PutItem', 'dynamodb:UpdateItem'],
    plivoSecret: true,
  },
  answer: {
    tableActions: ['dynamodb:GetItem', 'dynamodb:PutItem', 'dynamodb:UpdateItem', 'dynamodb:Query'],
    plivoSecret: true,
  },
  hangup: {
    tableActions: ['dynamodb:GetItem', 'dynamodb:PutItem', 'dynamodb:UpdateItem', 'dynamodb:Query'],
    plivoSecret: true,
  },
  'dial-status': {
    tableActions: ['dynamodb:GetItem', 'dynamodb:UpdateItem'],
    plivoSecret: true,
  },
  'place-call': placesCalls,
  'call-intents': placesCalls,
  // Places calls and sends permission requests like the API does; creating schedules is granted in
  // infra/stack.ts, on its own schedule group only.
  'intent-dispatcher': placesCalls,
  'permission-state': { tableActions: ['dynamodb:GetItem'], plivoSecret: false },
  'permission-correction': { tableActions: ['dynamodb:UpdateItem'], plivoSecret: false },
  'call-log': { tableActions: ['dynamodb:GetItem'], plivoSecret: false },
  'permission-request': {
    tableActions: ['dynamodb:UpdateItem'],
    plivoSecret: true,
  },
  // Reads the table's stream through its event source mapping and puts to the stack's bus: both granted
  // in infra/stack.ts, on that stream and that bus only.
  events: { tableActions: [], plivoSecret: false },
  // Reads the table's stream through its event source mapping (granted there, on the stream only).
  'lease-changes': {
    tableActions: ['dynamodb:UpdateItem'],
    plivoSecret: false,
  },
};
