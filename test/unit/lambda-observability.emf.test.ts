import { readFileSync } from 'node:fs';
import { Metrics as PowertoolsMetrics } from '@aws-lambda-powertools/metrics';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { createEmfMetrics } from '../../functions/shared/lambda-observability.js';
import { metricCatalog, metricsNamespace } from '../../functions/shared/metrics.js';

/** Powertools prints EMF to the global console in dev mode, where its tests read it. */
const emitted = () => {
  const log = vi.spyOn(console, 'log').mockImplementation(() => {});
  const metrics = createEmfMetrics(
    'place-call',
    new PowertoolsMetrics({
      namespace: metricsNamespace,
      serviceName: 'callgate',
      defaultDimensions: { function: 'place-call' },
    }),
  );
  const lines = () => log.mock.calls.map(([line]) => JSON.parse(String(line)));
  return { metrics, lines, raw: () => log.mock.calls.map(([line]) => String(line)) };
};

describe('metrics as CloudWatch EMF (Powertools)', () => {
  beforeEach(() => {
    vi.stubEnv('POWERTOOLS_DEV', 'true');
    vi.stubEnv('POWERTOOLS_METRICS_DISABLED', 'false');
  });
  afterEach(() => {
    vi.unstubAllEnvs();
    vi.restoreAllMocks();
  });

  it('emits a count with the function, reason and country dimension sets, never the number', () => {
    const { metrics, lines, raw } = emitted();
    metrics.count('CallsRefused', { business: '+918035737458', reason: 'daily_call_limit' });
    const [line] = lines();
    expect(line._aws.CloudWatchMetrics).toEqual([
      {
        Namespace: 'Callgate',
        Dimensions: [
          ['service', 'function'],
          ['service', 'function', 'reason'],
          ['service', 'function', 'country'],
        ],
        Metrics: [{ Name: 'CallsRefused', Unit: 'Count' }],
      },
    ]);
    expect(line).toMatchObject({
      service: 'callgate',
      function: 'place-call',
      reason: 'daily_call_limit',
      country: 'IN',
      CallsRefused: 1,
    });
    expect(raw().join('\n')).not.toMatch(/8035737458|918035737458/);
  });

  it('keeps each count apart: its own value, status and country (+1 876 is Jamaica)', () => {
    const { metrics, lines } = emitted();
    metrics.count('PlivoApiErrors', { business: '+18765550123', status: '503' }, 2);
    metrics.count('LeasesReaped', {});
    const [errors, reaped] = lines();
    expect(errors).toMatchObject({ status: '503', country: 'JM', PlivoApiErrors: 2 });
    expect(errors._aws.CloudWatchMetrics[0].Dimensions).toContainEqual([
      'service',
      'function',
      'status',
    ]);
    expect(reaped).toMatchObject({ country: 'unknown', LeasesReaped: 1 });
    expect(reaped).not.toHaveProperty('CallsRefused');
    expect(reaped._aws.CloudWatchMetrics[0].Dimensions).toEqual([
      ['service', 'function'],
      ['service', 'function', 'country'],
    ]);
  });

  it('are each explained in docs/operations.md, by the catalog’s own words', () => {
    const operations = readFileSync(new URL('../../docs/operations.md', import.meta.url), 'utf8');
    for (const [name, meaning] of Object.entries(metricCatalog)) {
      expect(operations, name).toContain(`| \`${name}\` | ${meaning.replaceAll('|', '\\|')} |`);
    }
  });
});
