import { RemovalPolicy, type Stack, Validations } from 'aws-cdk-lib';
import {
  AttributeType,
  BillingMode,
  ProjectionType,
  StreamViewType,
  Table,
} from 'aws-cdk-lib/aws-dynamodb';
import { Secret } from 'aws-cdk-lib/aws-secretsmanager';
import { tableDefinition } from '../functions/shared/store/table.js';

/**
 * What the stack keeps: the one DynamoDB table (TTL, point-in-time recovery, the stream its readers
 * follow) and the Plivo credentials. Both are retained: a `cdk destroy` or a replaced stack must not
 * take the permissions, their history or the operator's token with it.
 */
export class Storage {
  readonly table: Table;
  readonly plivoSecret: Secret;
  /** The key that signs the listings' cursors: generated, never leaves Secrets Manager but to its readers. */
  readonly cursorSecret: Secret;

  /**
   * `tableIndexes`: how many of the listings' indexes (store/table.ts, in order) the table has; all
   * unless an upgrade asks for fewer (docs/deploy.md: CloudFormation adds one per update).
   */
  constructor(stack: Stack, tableIndexes: number = tableDefinition.indexes.length) {
    this.table = new Table(stack, 'Table', {
      partitionKey: { name: tableDefinition.partitionKey, type: AttributeType.STRING },
      sortKey: { name: tableDefinition.sortKey, type: AttributeType.STRING },
      timeToLiveAttribute: tableDefinition.ttlAttribute,
      billingMode: BillingMode.PAY_PER_REQUEST,
      pointInTimeRecoverySpecification: { pointInTimeRecoveryEnabled: true },
      // Inbound calls are recorded from their committed lease (functions/lease-changes).
      stream: StreamViewType[tableDefinition.streamView],
      removalPolicy: RemovalPolicy.RETAIN,
    });
    for (const index of tableDefinition.indexes.slice(0, tableIndexes)) {
      this.table.addGlobalSecondaryIndex({
        indexName: index.name,
        partitionKey: { name: index.partitionKey, type: AttributeType.STRING },
        sortKey: { name: index.sortKey, type: AttributeType.STRING },
        projectionType: ProjectionType.ALL,
      });
    }

    this.plivoSecret = new Secret(stack, 'PlivoCredentials', {
      description:
        'Plivo credentials for callgate, JSON {"authId":"<Plivo Auth ID>","authToken":"<Plivo Auth Token>"}; set with aws secretsmanager put-secret-value.',
      // A placeholder until the operator stores the real pair: signatures fail closed meanwhile.
      generateSecretString: {
        secretStringTemplate: JSON.stringify({ authId: 'REPLACE_WITH_PLIVO_AUTH_ID' }),
        generateStringKey: 'authToken',
        excludePunctuation: true,
      },
      removalPolicy: RemovalPolicy.RETAIN,
    });
    Validations.of(this.plivoSecret).acknowledge({
      id: 'AwsSolutions-SMG4',
      reason:
        'Plivo auth tokens are issued and rotated in the Plivo console, not by AWS; the operator puts the new token here with put-secret-value. A rotation Lambda cannot mint Plivo tokens.',
    });

    this.cursorSecret = new Secret(stack, 'ListingCursorKey', {
      description:
        "The key callgate signs the listings' cursors with (GET /v1/calls, GET /v1/call-intents). A new value only makes the cursors given before it invalid.",
      generateSecretString: { passwordLength: 64, excludePunctuation: true },
    });
    Validations.of(this.cursorSecret).acknowledge({
      id: 'AwsSolutions-SMG4',
      reason:
        'A cursor lives as long as a client pages through a listing; rotating the key would only fail the cursors in flight (400 invalid_cursor). A new value can be put at any time with put-secret-value.',
    });
  }
}
