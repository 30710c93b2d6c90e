import { CfnOutput, Duration, RemovalPolicy, type Stack, Validations } from 'aws-cdk-lib';
import { AccessLogFormat } from 'aws-cdk-lib/aws-apigateway';
import {
  ApiMapping,
  DomainName,
  HttpApi,
  HttpMethod,
  HttpNoneAuthorizer,
  HttpStage,
  LogGroupLogDestination,
  SecurityPolicy,
} from 'aws-cdk-lib/aws-apigatewayv2';
import {
  HttpIamAuthorizer,
  HttpLambdaAuthorizer,
  HttpLambdaResponseType,
} from 'aws-cdk-lib/aws-apigatewayv2-authorizers';
import { HttpLambdaIntegration } from 'aws-cdk-lib/aws-apigatewayv2-integrations';
import { Certificate } from 'aws-cdk-lib/aws-certificatemanager';
import { LogGroup, type RetentionDays } from 'aws-cdk-lib/aws-logs';
import { ARecord, HostedZone, RecordTarget } from 'aws-cdk-lib/aws-route53';
import { ApiGatewayv2DomainProperties } from 'aws-cdk-lib/aws-route53-targets';
import type { Config } from '../functions/shared/config/schema.js';
import { type FunctionName, type Route, routes } from '../functions/shared/routes.js';
import { authOfScope } from '../functions/shared/rules/api-keys.js';
import type { CallgateFunction } from './function-construct.js';
import { functionId } from './functions.js';

/**
 * Stage throttling sized from the configuration: every number may ring at its simultaneous-call limit at
 * once (one answer request each), so API Gateway must never refuse Plivo before callgate's own limits
 * apply; capped at API Gateway's default account burst, which still bounds a flood's cost.
 */
export const stageThrottle = (config: Config) => {
  const burstLimit = Math.min(
    5000,
    Math.max(500, config.numbers.length * config.rules.simultaneousCallsPerNumber),
  );
  return { burstLimit, rateLimit: burstLimit };
};

/**
 * How long API Gateway keeps the authorizer's answer for one `Authorization` header: a revoked key
 * keeps working at most this long, and a busy key costs one authorizer run per minute.
 */
export const apiKeyCacheTtlSeconds = 60;

/**
 * Serve the API at `publicBaseUrl`'s host: the stack creates the API Gateway custom domain with this
 * ACM certificate (in the stack's region) and maps it to the API, and with a hosted zone also the
 * DNS alias record. Without it the operator sets the domain up.
 */
export interface CustomDomain {
  readonly certificateArn: string;
  readonly hostedZone?: { readonly id: string; readonly name: string };
}

export interface HttpRoutesProps {
  readonly config: Config;
  /** The public base URL Plivo calls, without a trailing slash; default: the API's own endpoint. */
  readonly publicBaseUrl?: string;
  readonly customDomain?: CustomDomain;
}

/**
 * The HTTP API: its $default stage with access logs and throttling, the custom domain if asked, and
 * (once the functions exist, which need the API's URL) exactly the route table with its authorizers.
 */
export class HttpRoutes {
  readonly api: HttpApi;
  /** The API's access log: one JSON line per request, Plivo's webhooks included. */
  readonly accessLogs: LogGroup;
  /** The URL Plivo calls and signs: the custom domain's, or the API's own endpoint. */
  readonly publicBaseUrl: string;

  private readonly config: Config;

  constructor(
    private readonly stack: Stack,
    props: HttpRoutesProps,
  ) {
    this.config = props.config;
    this.api = new HttpApi(stack, 'Api', {
      description: 'callgate: Plivo webhooks and the business API',
      // Our own $default stage below, with access logs and throttling.
      createDefaultStage: false,
    });
    this.accessLogs = new LogGroup(stack, 'ApiAccessLogs', {
      retention: props.config.operations.logRetentionDays as RetentionDays,
      removalPolicy: RemovalPolicy.DESTROY,
    });
    const defaultStage = new HttpStage(stack, 'DefaultStage', {
      httpApi: this.api,
      autoDeploy: true,
      throttle: stageThrottle(props.config),
      accessLogSettings: {
        destination: new LogGroupLogDestination(this.accessLogs),
        format: AccessLogFormat.custom(
          JSON.stringify({
            requestId: '$context.requestId',
            ip: '$context.identity.sourceIp',
            requestTime: '$context.requestTime',
            routeKey: '$context.routeKey',
            status: '$context.status',
            protocol: '$context.protocol',
            responseLength: '$context.responseLength',
            latency: '$context.responseLatency',
            integrationError: '$context.integrationErrorMessage',
            authorizerError: '$context.authorizer.error',
          }),
        ),
      },
    });

    this.publicBaseUrl = props.publicBaseUrl ?? this.api.apiEndpoint;
    if (props.customDomain && props.publicBaseUrl) {
      this.addCustomDomain(new URL(props.publicBaseUrl).host, props.customDomain, defaultStage);
    }
  }

  /**
   * Every route of the table to its function: IAM-signed or API-key (the configuration's `api.auth` for
   * the route's group), Plivo-signed (checked by the handler) or open.
   */
  serve(functions: ReadonlyMap<FunctionName, CallgateFunction>, table: readonly Route[] = routes) {
    const iamAuthorizer = new HttpIamAuthorizer();
    const noAuthorizer = new HttpNoneAuthorizer();
    const keyAuthorizerFunction = functions.get('api-key-authorizer');
    const keyAuthorizer =
      keyAuthorizerFunction &&
      new HttpLambdaAuthorizer('ApiKeyAuthorizer', keyAuthorizerFunction.handler, {
        authorizerName: 'api-key',
        responseTypes: [HttpLambdaResponseType.SIMPLE],
        identitySource: ['$request.header.Authorization'],
        resultsCacheTtl: Duration.seconds(apiKeyCacheTtlSeconds),
      });
    const authorizerOf = (route: Route) => {
      if (route.auth !== 'business') return noAuthorizer;
      if (authOfScope(this.config.api, route.scope) === 'iam') return iamAuthorizer;
      if (!keyAuthorizer)
        throw new Error(`No API-key authorizer for ${route.method} ${route.path}`);
      return keyAuthorizer;
    };
    const integrations = new Map<FunctionName, HttpLambdaIntegration>();
    for (const route of table) {
      const target = functions.get(route.fn);
      if (!target) throw new Error(`No function for ${route.fn}`);
      let integration = integrations.get(route.fn);
      if (!integration) {
        integration = new HttpLambdaIntegration(
          `${functionId(route.fn)}Integration`,
          target.handler,
        );
        integrations.set(route.fn, integration);
      }
      const [httpRoute] = this.api.addRoutes({
        path: route.path,
        methods: [HttpMethod[route.method]],
        integration,
        authorizer: authorizerOf(route),
      });
      if (!httpRoute) throw new Error(`No route created for ${route.method} ${route.path}`);
      if (route.auth === 'plivo-signature') {
        Validations.of(httpRoute).acknowledge({
          id: 'AwsSolutions-APIG4',
          reason:
            'Plivo webhook: Plivo cannot sign AWS (SigV4) requests or present tokens; the handler verifies the Plivo HMAC signature (X-Plivo-Signature-V3/V2) with the account token and answers 403 otherwise.',
        });
      } else if (route.auth === 'none') {
        Validations.of(httpRoute).acknowledge({
          id: 'AwsSolutions-APIG4',
          reason:
            'Liveness probe: returns a fixed status, reads no data and calls nothing, so it is public on purpose.',
        });
      }
    }
  }

  /** The API Gateway custom domain at `host`, mapped to the stage, and its DNS record if asked. */
  private addCustomDomain(host: string, domain: CustomDomain, stage: HttpStage): void {
    const domainName = new DomainName(this.stack, 'CustomDomain', {
      domainName: host,
      securityPolicy: SecurityPolicy.TLS_1_2,
      certificate: Certificate.fromCertificateArn(
        this.stack,
        'CustomDomainCertificate',
        domain.certificateArn,
      ),
    });
    new ApiMapping(this.stack, 'CustomDomainMapping', { api: this.api, domainName, stage });
    if (domain.hostedZone) {
      new ARecord(this.stack, 'CustomDomainRecord', {
        zone: HostedZone.fromHostedZoneAttributes(this.stack, 'CustomDomainZone', {
          hostedZoneId: domain.hostedZone.id,
          zoneName: domain.hostedZone.name,
        }),
        recordName: host,
        target: RecordTarget.fromAlias(
          new ApiGatewayv2DomainProperties(
            domainName.regionalDomainName,
            domainName.regionalHostedZoneId,
          ),
        ),
      });
      return;
    }
    new CfnOutput(this.stack, 'CustomDomainTarget', {
      value: domainName.regionalDomainName,
      description: `Point DNS for ${host} here: a CNAME, or a Route 53 alias record.`,
    });
  }
}
