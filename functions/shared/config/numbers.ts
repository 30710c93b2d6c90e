import type { BusinessNumber, Config } from './schema.js';

/**
 * The configured business number `e164` names, if any. Apart from the schemas: a handler that looks a
 * number up at run time does not build the configuration's zod schemas at its cold start.
 */
export const configuredNumber = (
  config: Config,
  e164: string | undefined,
): BusinessNumber | undefined =>
  e164 === undefined ? undefined : config.numbers.find((n) => n.number === e164);
