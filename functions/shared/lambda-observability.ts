import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import { MetricUnit, Metrics as PowertoolsMetrics } from '@aws-lambda-powertools/metrics';
import { logMetrics } from '@aws-lambda-powertools/metrics/middleware';
import { Tracer } from '@aws-lambda-powertools/tracer';
import { captureLambdaHandler } from '@aws-lambda-powertools/tracer/middleware';
import middy from '@middy/core';
import type { Context } from 'aws-lambda';
import { createLogger, type Logger } from './log.js';
import { countryDimension, type Metrics, metricsNamespace } from './metrics.js';
import type { FunctionName } from './routes.js';

/** Powertools' `service` dimension and X-Ray service: the stack's name (infra/function-construct.ts). */
const serviceName = process.env.POWERTOOLS_SERVICE_NAME || 'callgate';

/**
 * Counts as EMF: each count is its own metric object, so one invocation can count for several countries
 * or reasons without their dimensions mixing.
 */
export const createEmfMetrics = (
  fn: FunctionName,
  metrics = new PowertoolsMetrics({
    namespace: metricsNamespace,
    serviceName,
    defaultDimensions: { function: fn },
  }),
): Metrics => ({
  count: (name, labels = {}, value = 1) => {
    const label = {
      ...(labels.reason === undefined ? {} : { reason: labels.reason }),
      ...(labels.status === undefined ? {} : { status: labels.status }),
    };
    const single = metrics.singleMetric();
    // The sets {service, function}, {…, reason | status} and {…, country}: dashboards and alarms read
    // the first two without knowing every country. A key in two sets would be logged as a collision.
    single.addDimensions({});
    if (Object.keys(label).length > 0) single.addDimensions(label);
    single.addDimensions({ country: countryDimension(labels.business) });
    single.addMetric(name, MetricUnit.Count, value);
  },
});

type Handler<E, R> = (event: E, context: Context) => Promise<R>;

export interface LambdaObservability {
  readonly logger: Logger;
  readonly metrics: Metrics;
  readonly tracer: Tracer;
  /** An AWS SDK v3 client whose calls appear as X-Ray subsegments. */
  readonly traced: <C>(client: C) => C;
  /**
   * The Lambda entry around a handler: an X-Ray segment per invocation (cold start annotated), the
   * Lambda context (request id, cold start, memory) on every log line, and the ColdStart metric.
   */
  readonly wrap: <E, R>(handler: Handler<E, R>) => Handler<E, R>;
}

/** One per cold start, in a function's index.ts. Plivo's API is reached with fetch, which Tracer traces. */
export const lambdaObservability = (fn: FunctionName): LambdaObservability => {
  const logger = createLogger();
  const tracer = new Tracer({ serviceName });
  const powertoolsMetrics = new PowertoolsMetrics({
    namespace: metricsNamespace,
    serviceName,
    defaultDimensions: { function: fn },
  });
  return {
    logger,
    metrics: createEmfMetrics(fn, powertoolsMetrics),
    tracer,
    traced: (client) => tracer.captureAWSv3Client(client),
    wrap: <E, R>(handler: Handler<E, R>): Handler<E, R> =>
      middy(handler)
        .use(captureLambdaHandler(tracer))
        .use(injectLambdaContext(logger, { resetKeys: true }))
        .use(logMetrics(powertoolsMetrics, { captureColdStartMetric: true })),
  };
};
