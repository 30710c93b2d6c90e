import { readdirSync, readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import {
  benchNames,
  benchResultsDir,
  type CapacityReport,
  type LoadReport,
  performanceDocPath,
  renderBench,
  renderCapacity,
  renderLoad,
  renderSection,
  sectionBody,
  sectionStart,
  sections,
} from '../bench/performance-doc.js';

const doc = readFileSync(performanceDocPath, 'utf8');

describe('docs/performance.md', () => {
  it.each(sections.map((s) => [s.json, s] as const))(
    'holds exactly what %s renders',
    (_json, section) => {
      expect(sectionBody(doc, section)).toBe(renderSection(section));
    },
  );

  it('has a section for every bench in test/bench', () => {
    const benches = readdirSync(new URL('../bench/', import.meta.url))
      .filter((f) => f.endsWith('.bench.ts'))
      .map((f) => f.replace(/\.bench\.ts$/, ''));
    expect([...benchNames].sort()).toEqual(benches.sort());
  });

  it('renders every JSON in bench-results', () => {
    const committed = readdirSync(benchResultsDir)
      .filter((f) => f.endsWith('.json'))
      .map((f) => `bench-results/${f}`);
    for (const json of committed) expect(sections.map((s) => s.json)).toContain(json);
  });

  it('refuses a page whose markers are missing or doubled', () => {
    const [section] = sections;
    if (!section) throw new Error('no sections');
    const start = sectionStart(section);
    expect(() => sectionBody(doc.replace(start, ''), section)).toThrow(start);
    expect(() => sectionBody(`${doc}\n${start}`, section)).toThrow(start);
  });
});

describe('the renderers', () => {
  it('render a bench group as a table of its figures, a missing figure empty', () => {
    const text = renderBench({
      at: '2026-12-01T00:00:00.000Z',
      machine: '2 × cpu',
      rows: [
        { group: 'g', operation: 'answer', figures: { 'p50 ms': 1.5, n: 3 } },
        { group: 'g', operation: 'a | b', figures: { n: 4 } },
      ],
    });
    expect(text).toBe(
      [
        'g:',
        '',
        '| operation | p50 ms | n |',
        '| --- | ---: | ---: |',
        '| answer | 1.5 | 3 |',
        '| a \\| b |  | 4 |',
        '',
        'Measured 2026-12-01T00:00:00.000Z on 2 × cpu.',
      ].join('\n'),
    );
  });

  it('render capacity rows and the model', () => {
    const mm = { mean: 9, max: 10 };
    const report: CapacityReport = {
      at: '2026-12-02T00:00:00.000Z',
      business: '+918035737458',
      limit: 1000,
      samples: 20,
      prices: { writeRequestUnitPerMillion: 0.625, readRequestUnitPerMillion: 0.125, note: 'list' },
      billing: 'billed as stored',
      rows: [
        {
          operation: 'inbound hangup',
          occupancy: 1000,
          samples: 20,
          wcu: { mean: 4, max: 4 },
          rcu: { mean: 0.5, max: 1 },
          requests: { GetItem: 1, TransactWriteItems: 1 },
          largestItemBytes: 579,
          cancelled: 0,
          failedWrites: 1,
          lineWcu: 2,
          ticketWcu: 0,
          slotWcu: 0,
        },
      ],
      model: {
        occupancy: 1000,
        partitionWcuPerSecond: 1000,
        calls: {
          inbound: {
            startWcu: mm,
            endWcu: mm,
            lineWcuPerCall: { mean: 3, max: 3 },
            wcuPerCall: mm,
            newCallsPerSecondByLinePartition: 333,
            newCallsPerSecondByAllWcu: 111,
            costByOccupancy: { 1000: { wcu: 9, rcu: 4, dollarsPerMillionCalls: 6.1 } },
          },
        },
        account: {
          ticketWcuPerPlacement: 1,
          slotWcuPerPlacement: 1,
          placementsPerSecondByTicketPartition: 1000,
          callsPerSecondConfigured: 1000,
        },
      },
    };
    const text = renderCapacity(report);
    expect(text).toContain(
      '| inbound hangup | 1000 | 4 | 4 | 0.5 | 1 | GetItem×1 TransactWriteItems×1 | 579 | 2 | 0 / 1 |',
    );
    expect(text).toContain('new calls/s per number: 333 (1000 WCU/s ÷ 3 lease-partition WCU');
    expect(text).toContain('$6.1 at 1000 up (9 WCU + 4 RCU per call)');
  });

  it('render the load run by route, with its outcomes', () => {
    const report: LoadReport = {
      generatedAt: '2026-12-07T00:00:00.000Z',
      machine: { cpus: 2, model: 'AMD EPYC', node: 'v20.20.2' },
      config: {
        users: 200,
        simultaneousCallsPerNumber: 20,
        callsPerSecond: 5,
        businessCallsPer24Hours: 5,
      },
      wallSeconds: 20,
      routes: [
        {
          phase: 'P1',
          route: 'answer (inbound)',
          requests: 2,
          connections: 1,
          requestsPerSecond: 2,
          p50Ms: 3,
          p99Ms: 4,
          seconds: 1,
          statuses: { 200: 1, 503: 1 },
          unanswered: 0,
        },
      ],
      outcomes: { answers: { accepted: 1, at_capacity: 1 } },
      peakLeases: { '+918035737458': 1 },
    };
    const text = renderLoad(report);
    expect(text).toContain('| P1 | answer (inbound) | 2 | 1 | 1 | 2 | 3 | 4 | 200×1 503×1 |');
    expect(text).toContain('- answers: accepted ×1, at_capacity ×1');
    expect(text).toContain('- peak leases per number: +918035737458 1');
  });
});
