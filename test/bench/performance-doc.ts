import { existsSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { RouteFigures } from '../load/cannon.js';

/**
 * The measured tables of docs/performance.md, rendered from the JSON each measurement writes to
 * bench-results/. A measurement writes its JSON and then its section of the page; a test renders every
 * section from the committed JSON and compares, so a table is never edited by hand nor left stale.
 */
const root = fileURLToPath(new URL('../../', import.meta.url));
export const performanceDocPath = join(root, 'docs', 'performance.md');
export const benchResultsDir = join(root, 'bench-results');

/** One row of a bench's report: an operation and whatever was measured about it. */
export interface BenchRow {
  readonly group: string;
  readonly operation: string;
  readonly figures: Readonly<Record<string, number | string>>;
}

/** What `npm run bench` writes for each bench, to bench-results/bench-<name>.json. */
export interface BenchReport {
  readonly at: string;
  readonly machine: string;
  readonly rows: readonly BenchRow[];
}

export interface CapacityRow {
  readonly operation: string;
  /** Calls up on the number while the step ran (the new call included); 0 when it does not apply. */
  readonly occupancy: number;
  readonly samples: number;
  readonly wcu: { readonly mean: number; readonly max: number };
  readonly rcu: { readonly mean: number; readonly max: number };
  /** Mean DynamoDB requests per step, by operation. */
  readonly requests: Readonly<Record<string, number>>;
  readonly largestItemBytes: number;
  /** Over all samples: cancelled transactions and failed conditional writes (billed in `wcu`). */
  readonly cancelled: number;
  readonly failedWrites: number;
  /** Mean WCU on the number's lease partition, the CPS ticket item and the CPS slot items. */
  readonly lineWcu: number;
  readonly ticketWcu: number;
  readonly slotWcu: number;
}

interface MeanMax {
  readonly mean: number;
  readonly max: number;
}

export interface CapacityModel {
  readonly occupancy: number;
  /** What one partition accepts per second, the divisor of the calls-per-second figures. */
  readonly partitionWcuPerSecond: number;
  readonly calls: Readonly<
    Record<
      string,
      {
        readonly startWcu: MeanMax;
        readonly endWcu: MeanMax;
        readonly lineWcuPerCall: MeanMax;
        readonly wcuPerCall: MeanMax;
        readonly newCallsPerSecondByLinePartition: number;
        readonly newCallsPerSecondByAllWcu: number;
        readonly costByOccupancy: Readonly<
          Record<
            string,
            { readonly wcu: number; readonly rcu: number; readonly dollarsPerMillionCalls: number }
          >
        >;
      }
    >
  >;
  readonly account: {
    readonly ticketWcuPerPlacement: number;
    readonly slotWcuPerPlacement: number;
    readonly placementsPerSecondByTicketPartition: number;
    readonly callsPerSecondConfigured: number;
  };
}

/** What `npm run capacity` writes to bench-results/capacity.json. */
export interface CapacityReport {
  readonly at: string;
  readonly business: string;
  readonly limit: number;
  readonly samples: number;
  readonly prices: {
    readonly writeRequestUnitPerMillion: number;
    readonly readRequestUnitPerMillion: number;
    readonly note: string;
  };
  readonly billing: string;
  readonly rows: readonly CapacityRow[];
  readonly model: CapacityModel;
}

/** What `npm run test:load` writes to bench-results/load.json. */
export interface LoadReport {
  readonly generatedAt: string;
  readonly machine: { readonly cpus: number; readonly model?: string; readonly node: string };
  readonly config: {
    readonly users: number;
    readonly simultaneousCallsPerNumber: number;
    readonly callsPerSecond: number;
    readonly businessCallsPer24Hours: number;
  };
  readonly wallSeconds: number;
  readonly routes: readonly RouteFigures[];
  readonly outcomes: Readonly<Record<string, Readonly<Record<string, number>>>>;
  readonly peakLeases: Readonly<Record<string, number>>;
}

const cell = (value: number | string | undefined): string =>
  String(value ?? '').replaceAll('|', '\\|');

const table = (
  header: readonly string[],
  align: readonly ('left' | 'right')[],
  rows: readonly (readonly (number | string | undefined)[])[],
): string =>
  [
    `| ${header.map(cell).join(' | ')} |`,
    `| ${align.map((a) => (a === 'right' ? '---:' : '---')).join(' | ')} |`,
    ...rows.map((row) => `| ${row.map(cell).join(' | ')} |`),
  ].join('\n');

/** Every group of a bench's rows as a table, its columns the figures its rows have. */
export const renderBenchRows = (rows: readonly BenchRow[]): string =>
  [...new Set(rows.map((r) => r.group))]
    .map((group) => {
      const groupRows = rows.filter((r) => r.group === group);
      const columns = [...new Set(groupRows.flatMap((r) => Object.keys(r.figures)))];
      return `${group}:\n\n${table(
        ['operation', ...columns],
        ['left', ...columns.map(() => 'right' as const)],
        groupRows.map((r) => [r.operation, ...columns.map((c) => r.figures[c])]),
      )}`;
    })
    .join('\n\n');

export const renderBench = (report: BenchReport): string =>
  `${renderBenchRows(report.rows)}\n\nMeasured ${report.at} on ${report.machine}.`;

const requestsText = (requests: Readonly<Record<string, number>>) =>
  Object.entries(requests)
    .map(([op, n]) => `${op}×${n}`)
    .join(' ') || 'none';

export const renderCapacityRows = (rows: readonly CapacityRow[]): string =>
  table(
    [
      'operation',
      'calls up',
      'WCU mean',
      'WCU max',
      'RCU mean',
      'RCU max',
      'requests (mean)',
      'largest item (B)',
      'WCU on LINE#',
      'cancelled / failed',
    ],
    ['left', 'right', 'right', 'right', 'right', 'right', 'left', 'right', 'right', 'right'],
    rows.map((r) => [
      r.operation,
      r.occupancy || '–',
      r.wcu.mean,
      r.wcu.max,
      r.rcu.mean,
      r.rcu.max,
      requestsText(r.requests),
      r.largestItemBytes,
      r.lineWcu,
      `${r.cancelled} / ${r.failedWrites}`,
    ]),
  );

export const renderCapacityModel = (report: CapacityReport): string => {
  const m = report.model;
  const lines = [`Model at ${m.occupancy} simultaneous calls on ${report.business}:`, ''];
  for (const [direction, c] of Object.entries(m.calls)) {
    const costs = Object.entries(c.costByOccupancy)
      .map(
        ([n, k]) =>
          `$${k.dollarsPerMillionCalls} at ${n} up (${k.wcu} WCU + ${k.rcu} RCU per call)`,
      )
      .join('; ');
    lines.push(
      `- ${direction}: start ${c.startWcu.mean} WCU (max ${c.startWcu.max}), end ${c.endWcu.mean} WCU (max ${c.endWcu.max}); per call ${c.wcuPerCall.mean} WCU, of which ${c.lineWcuPerCall.mean} on the number's lease partition`,
      `  new calls/s per number: ${c.newCallsPerSecondByLinePartition} (${m.partitionWcuPerSecond} WCU/s ÷ ${c.lineWcuPerCall.mean} lease-partition WCU per call); conservatively ${c.newCallsPerSecondByAllWcu} (÷ ${c.wcuPerCall.mean}, all WCU per call)`,
      `  on-demand cost of 1 million calls: ${costs}`,
    );
  }
  const a = m.account;
  lines.push(
    `- account: the CPS ticket item takes ${a.ticketWcuPerPlacement} WCU per placement → at most ${a.placementsPerSecondByTicketPartition} placements/s per account on its partition; each CPS slot item takes ${a.slotWcuPerPlacement} WCU per placement and at most one placement a second (one item per slot, ${a.callsPerSecondConfigured} slots here), so the ticket is the account's hot item; Plivo's own limit is the configured ${a.callsPerSecondConfigured} calls/s`,
    '',
    `Prices: $${report.prices.writeRequestUnitPerMillion} per million write request units, $${report.prices.readRequestUnitPerMillion} per million read request units (${report.prices.note}).`,
    report.billing,
  );
  return lines.join('\n');
};

export const renderCapacity = (report: CapacityReport): string =>
  [
    `DynamoDB capacity per operation, ${report.samples} samples each, one business number (${report.business}), limit ${report.limit}:`,
    renderCapacityRows(report.rows),
    renderCapacityModel(report),
    `Measured ${report.at}.`,
  ].join('\n\n');

export const renderLoad = (report: LoadReport): string => {
  const { config, machine } = report;
  const counts = (byKind: Readonly<Record<string, number>>) =>
    Object.entries(byKind)
      .map(([kind, n]) => `${kind} ×${n}`)
      .join(', ');
  return [
    `${config.users} users; ${config.simultaneousCallsPerNumber} simultaneous calls per number, ${config.callsPerSecond} calls per second, ${config.businessCallsPer24Hours} business-initiated calls per user per 24 h; ${report.wallSeconds} s in all:`,
    table(
      [
        'phase',
        'route',
        'requests',
        'connections',
        'seconds',
        'req/s',
        'p50 ms',
        'p99 ms',
        'statuses',
      ],
      ['left', 'left', 'right', 'right', 'right', 'right', 'right', 'right', 'left'],
      report.routes.map((r) => [
        r.phase,
        r.route,
        r.requests,
        r.connections,
        r.seconds,
        r.requestsPerSecond,
        r.p50Ms,
        r.p99Ms,
        Object.entries(r.statuses)
          .map(([code, n]) => `${code}×${n}`)
          .join(' '),
      ]),
    ),
    Object.entries(report.outcomes)
      .map(([what, byKind]) => `- ${what}: ${counts(byKind)}`)
      .concat(
        `- peak leases per number: ${Object.entries(report.peakLeases)
          .map(([number, n]) => `${number} ${n}`)
          .join(', ')}`,
      )
      .join('\n'),
    `Measured ${report.generatedAt} on ${machine.cpus} × ${machine.model ?? 'cpu'}, Node ${machine.node}.`,
  ].join('\n\n');
};

/** A generated section of docs/performance.md: the JSON it is rendered from, and what writes both. */
export interface Section {
  readonly command: string;
  /** Relative to the project's root. */
  readonly json: string;
  render(report: unknown): string;
}

/** The benches of test/bench, one file `<name>.bench.ts` each, in the order the page shows them. */
export const benchNames = [
  'bundles',
  'http',
  'inbound',
  'outbound',
  'intents',
  'listing',
  'permissions',
  'events',
  'api-keys',
] as const;

export const benchJson = (name: string) => `bench-results/bench-${name}.json`;

export const sections: readonly Section[] = [
  ...benchNames.map(
    (name): Section => ({
      command: `npm run bench -- ${name}`,
      json: benchJson(name),
      render: (report) => renderBench(report as BenchReport),
    }),
  ),
  {
    command: 'npm run capacity',
    json: 'bench-results/capacity.json',
    render: (report) => renderCapacity(report as CapacityReport),
  },
  {
    command: 'npm run test:load',
    json: 'bench-results/load.json',
    render: (report) => renderLoad(report as LoadReport),
  },
];

export const sectionStart = (section: Section) =>
  `<!-- generated by ${section.command} from ${section.json}: do not edit -->`;
export const sectionEnd = (section: Section) => `<!-- end of ${section.json} -->`;

/** The section's body as its committed JSON renders it, or the line saying none is committed. */
export const renderSection = (section: Section): string => {
  const file = join(root, section.json);
  if (!existsSync(file)) {
    return `No \`${section.json}\` is committed: \`${section.command}\` measures it and writes this section.`;
  }
  return section.render(JSON.parse(readFileSync(file, 'utf8')));
};

/** What stands between the section's markers in `doc`; throws when they are not there once each. */
export const sectionBody = (doc: string, section: Section): string => {
  const start = sectionStart(section);
  const end = sectionEnd(section);
  const from = doc.indexOf(start);
  const to = doc.indexOf(end);
  if (from < 0 || to < from || doc.indexOf(start, from + 1) >= 0 || doc.indexOf(end, to + 1) >= 0) {
    throw new Error(`docs/performance.md needs ${start} … ${end}, once each and in that order`);
  }
  return doc
    .slice(from + start.length, to)
    .replace(/^\n\n/, '')
    .replace(/\n\n$/, '');
};

const withBody = (doc: string, section: Section, body: string): string => {
  sectionBody(doc, section);
  const start = sectionStart(section);
  const end = sectionEnd(section);
  return `${doc.slice(0, doc.indexOf(start) + start.length)}\n\n${body}\n\n${doc.slice(doc.indexOf(end))}`;
};

/** Renders the section whose JSON is `json` into docs/performance.md (written whole, then renamed). */
export const writeSection = (json: string): void => {
  const section = sections.find((s) => s.json === json);
  if (!section) throw new Error(`no section of docs/performance.md is rendered from ${json}`);
  const doc = withBody(readFileSync(performanceDocPath, 'utf8'), section, renderSection(section));
  const temporary = `${performanceDocPath}.${process.pid}.tmp`;
  writeFileSync(temporary, doc);
  renameSync(temporary, performanceDocPath);
  console.log(`${section.json} rendered into docs/performance.md`);
};
