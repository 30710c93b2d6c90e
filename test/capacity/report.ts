import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Logger } from '@aws-lambda-powertools/logger';
import { leasesOf } from '../../functions/shared/store/items/leases.js';
import { keys } from '../../functions/shared/store/keys.js';
import { ensureTable, startDynamoDbLocal } from '../../local/dynamodb.js';
import { type LocalHost, startLocalHost } from '../../local/host.js';
import {
  type CapacityModel,
  type CapacityReport,
  type CapacityRow,
  renderCapacity,
  writeSection,
} from '../bench/performance-doc.js';
import {
  attachCapacityMeter,
  type CapacityMeter,
  type CapacitySnapshot,
} from '../support/capacity.js';
import { fillLeases } from '../support/dynamo.js';
import { exampleNumbers, newUser } from '../support/fixtures.js';
import { acceptPermission } from '../support/local-host.js';
import { alwaysOpenExampleConfig } from '../support/plivo-forms.js';
import {
  answerAgentLeg,
  answerInbound,
  dialStatus,
  hangUpInbound,
  hangUpPlaced,
  metered,
  newInboundCall,
  type PlacedCall,
  place,
  placeRefused,
  readPermission,
  requestPermission,
  settled,
} from './calls.js';

/**
 * us-east-1 on-demand list prices, in dollars per million request units, since November 2024 (when
 * AWS halved on-demand throughput prices). A WCU as metered here is one write request unit, an RCU one
 * read request unit.
 */
export const writeRequestUnitPrice = 0.625;
export const readRequestUnitPrice = 0.125;

/** What one partition accepts per second (DynamoDB's per-partition write limit). */
const partitionWcuPerSecond = 1000;

const occupancies = [1, 100, 500, 1000] as const;
const samples = 20;
/** Calls started and ended before sampling, so the Lambda measured has seen the number at that occupancy. */
const warmUpCalls = 5;
const business = exampleNumbers.india;
const once = 0;

const steps = {
  inboundAnswer: 'inbound answer (a new call)',
  inboundHangup: 'inbound hangup',
  placement: 'POST /v1/calls (placement)',
  agentLeg: 'agent leg answer (dials the user)',
  dialStatus: 'Dial action (dial-status)',
  placedHangup: 'agent leg hangup',
  refusedInbound: 'inbound answer, refused (number full)',
  refusedPlacement: 'POST /v1/calls, refused (number full)',
  permissionReply: 'permission reply (message webhook)',
  permissionRequest: 'POST /v1/permission-requests',
  permissionState: 'GET /v1/permissions/{business}/{user}',
  permissionStateFull: 'GET /v1/permissions, number full',
} as const;

type Step = (typeof steps)[keyof typeof steps];

const linePartition = keys.leaseShard(business, 0).pk;
const ticketPartition = keys.cpsTicket().pk;
const slotPrefix = keys.cpsSlot(0).pk.replace(/0$/, '');

const sum = (values: readonly number[]) => values.reduce((a, b) => a + b, 0);
const mean = (values: readonly number[]) => (values.length ? sum(values) / values.length : 0);
const round = (value: number, digits = 2) => Number(value.toFixed(digits));
const partitionWcu = (snapshot: CapacitySnapshot, match: (pk: string) => boolean) =>
  sum(
    Object.entries(snapshot.wcuByPartition)
      .filter(([pk]) => match(pk))
      .map(([, wcu]) => wcu),
  );
const lineWcu = (s: CapacitySnapshot) => partitionWcu(s, (pk) => pk === linePartition);
const ticketWcu = (s: CapacitySnapshot) => partitionWcu(s, (pk) => pk === ticketPartition);
const slotWcu = (s: CapacitySnapshot) => partitionWcu(s, (pk) => pk.startsWith(slotPrefix));

const summarize = (operation: Step, occupancy: number, runs: CapacitySnapshot[]): CapacityRow => {
  const operations = [...new Set(runs.flatMap((r) => Object.keys(r.requests)))].sort();
  return {
    operation,
    occupancy,
    samples: runs.length,
    wcu: { mean: round(mean(runs.map((r) => r.wcu))), max: Math.max(...runs.map((r) => r.wcu)) },
    rcu: { mean: round(mean(runs.map((r) => r.rcu))), max: Math.max(...runs.map((r) => r.rcu)) },
    requests: Object.fromEntries(
      operations.map((op) => [op, round(mean(runs.map((r) => r.requests[op] ?? 0)))]),
    ),
    largestItemBytes: Math.max(...runs.map((r) => r.largestItemBytes)),
    cancelled: sum(runs.map((r) => r.cancelled)),
    failedWrites: sum(runs.map((r) => r.failedWrites)),
    lineWcu: round(mean(runs.map(lineWcu))),
    ticketWcu: round(mean(runs.map(ticketWcu))),
    slotWcu: round(mean(runs.map(slotWcu))),
  };
};

/** Every sample, by step and occupancy, in the order taken: sample i of each step is the same call. */
class Samples {
  readonly #runs = new Map<string, { step: Step; occupancy: number; runs: CapacitySnapshot[] }>();
  add(step: Step, occupancy: number, snapshot: CapacitySnapshot) {
    const id = `${step}@${occupancy}`;
    const entry = this.#runs.get(id) ?? { step, occupancy, runs: [] };
    entry.runs.push(snapshot);
    this.#runs.set(id, entry);
  }
  of(step: Step, occupancy: number): CapacitySnapshot[] {
    return this.#runs.get(`${step}@${occupancy}`)?.runs ?? [];
  }
  rows(): CapacityRow[] {
    return [...this.#runs.values()].map((e) => summarize(e.step, e.occupancy, e.runs));
  }
}

/** Per call: the steps' figures added sample by sample (sample i of each step is one call). */
const perCall = (
  taken: Samples,
  stepsOfCall: readonly Step[],
  occupancy: number,
  figure: (s: CapacitySnapshot) => number,
) => {
  const runs = stepsOfCall.map((step) => taken.of(step, occupancy));
  const totals = (runs[0] ?? []).map((_, i) => sum(runs.map((r) => (r[i] ? figure(r[i]) : 0))));
  return { mean: round(mean(totals)), max: Math.max(...totals) };
};

const measureOccupancy = async (
  host: LocalHost,
  meter: CapacityMeter,
  taken: Samples,
  occupancy: number,
  limit: number,
) => {
  const { db } = host.deps;
  // Far beyond any sample's clock: the filled leases never lapse during the run.
  const expiresAt = Date.now() + 24 * 3600 * 1000;
  await fillLeases(db, business, { count: occupancy - 1, limit, expiresAt });
  for (let i = 0; i < warmUpCalls; i++) {
    const call = newInboundCall(business);
    await answerInbound(host, call);
    // Its hangup comes once the call is recorded, as it would seconds into a real call.
    await settled(host);
    await hangUpInbound(host, call);
  }
  await settled(host);
  const held = Object.keys(await leasesOf(db, business)).length;
  if (held !== occupancy - 1) throw new Error(`${held} leases held, ${occupancy - 1} expected`);

  for (let i = 0; i < samples; i++) {
    const inbound = newInboundCall(business);
    taken.add(
      steps.inboundAnswer,
      occupancy,
      await metered(meter, host, () => answerInbound(host, inbound)),
    );
    taken.add(
      steps.inboundHangup,
      occupancy,
      await metered(meter, host, () => hangUpInbound(host, inbound)),
    );

    const user = newUser();
    await acceptPermission(host, user, business);
    let placed: PlacedCall | undefined;
    taken.add(
      steps.placement,
      occupancy,
      await metered(meter, host, async () => {
        placed = await place(host, business, user);
      }),
    );
    if (!placed) throw new Error('no call placed');
    const call = placed;
    taken.add(
      steps.agentLeg,
      occupancy,
      await metered(meter, host, () => answerAgentLeg(host, business, call)),
    );
    taken.add(
      steps.dialStatus,
      occupancy,
      await metered(meter, host, () => dialStatus(host, call)),
    );
    taken.add(
      steps.placedHangup,
      occupancy,
      await metered(meter, host, () => hangUpPlaced(host, call)),
    );
  }

  if (occupancy !== limit) return;
  const last = newInboundCall(business);
  await answerInbound(host, last);
  await settled(host);
  for (let i = 0; i < samples; i++) {
    taken.add(
      steps.refusedInbound,
      occupancy,
      await metered(meter, host, () =>
        answerInbound(host, newInboundCall(business), 'at_capacity'),
      ),
    );
  }
  for (let i = 0; i < samples; i++) {
    const user = newUser();
    await acceptPermission(host, user, business);
    taken.add(
      steps.refusedPlacement,
      occupancy,
      await metered(meter, host, () => placeRefused(host, business, user, 'concurrency_limit')),
    );
    // The state view reads every lease shard of the full number.
    taken.add(
      steps.permissionStateFull,
      occupancy,
      await metered(meter, host, () => readPermission(host, business, user)),
    );
  }
  await hangUpInbound(host, last);
};

const measurePermissions = async (host: LocalHost, meter: CapacityMeter, taken: Samples) => {
  for (let i = 0; i < samples; i++) {
    const user = newUser();
    taken.add(
      steps.permissionReply,
      once,
      await metered(meter, host, () => acceptPermission(host, user, business)),
    );
    taken.add(
      steps.permissionState,
      once,
      await metered(meter, host, () => readPermission(host, business, user)),
    );
    const asked = newUser();
    taken.add(
      steps.permissionRequest,
      once,
      await metered(meter, host, () => requestPermission(host, business, asked)),
    );
  }
};

const callSteps = {
  inbound: { start: [steps.inboundAnswer], end: [steps.inboundHangup] },
  'business-initiated': {
    start: [steps.placement, steps.agentLeg],
    end: [steps.dialStatus, steps.placedHangup],
  },
} as const;

const model = (taken: Samples, callsPerSecond: number): CapacityModel => {
  const full = occupancies[occupancies.length - 1] ?? 1000;
  const calls = Object.fromEntries(
    Object.entries(callSteps).map(([direction, { start, end }]) => {
      const all = [...start, ...end];
      const lineCall = perCall(taken, all, full, lineWcu);
      const allCall = perCall(taken, all, full, (s) => s.wcu);
      const cost = Object.fromEntries(
        occupancies.map((n) => {
          const wcu = perCall(taken, all, n, (s) => s.wcu).mean;
          const rcu = perCall(taken, all, n, (s) => s.rcu).mean;
          const dollars = wcu * writeRequestUnitPrice + rcu * readRequestUnitPrice;
          return [n, { wcu, rcu, dollarsPerMillionCalls: round(dollars) }];
        }),
      );
      return [
        direction,
        {
          startWcu: perCall(taken, start, full, (s) => s.wcu),
          endWcu: perCall(taken, end, full, (s) => s.wcu),
          lineWcuPerCall: lineCall,
          wcuPerCall: allCall,
          newCallsPerSecondByLinePartition: Math.floor(partitionWcuPerSecond / lineCall.mean),
          newCallsPerSecondByAllWcu: Math.floor(partitionWcuPerSecond / allCall.mean),
          costByOccupancy: cost,
        },
      ];
    }),
  );
  const placements = taken.of(steps.placement, full);
  const ticket = round(mean(placements.map(ticketWcu)));
  const slot = round(mean(placements.map(slotWcu)));
  return {
    occupancy: full,
    partitionWcuPerSecond,
    calls,
    account: {
      ticketWcuPerPlacement: ticket,
      slotWcuPerPlacement: slot,
      placementsPerSecondByTicketPartition: Math.floor(partitionWcuPerSecond / ticket),
      callsPerSecondConfigured: callsPerSecond,
    },
  };
};

const billingNote =
  'Transactions are billed 2 × ceil(size / 1 KB) per item (the larger of before and after), from the items as stored; single writes and reads as DynamoDB Local reports them; writes the table stream causes are counted with the step that caused them (stream reads from Lambda are free). Cancelled transactions and failed conditional writes are billed as if they wrote: conservative. The sandbox Plivo lists no live calls, so a refused inbound call reconciles no leases here (with real Plivo, each inbound lease older than a minute that Plivo no longer lists costs one hangup: at most 100 per refusal).';

const root = fileURLToPath(new URL('../../', import.meta.url));

/** `npm run capacity` (test/capacity/main.ts). */
export const runCapacity = async (): Promise<void> => {
  const startedAt = performance.now();
  const dynamo = await startDynamoDbLocal();
  const tableName = 'capacity';
  await ensureTable(dynamo.endpoint, tableName);
  const config = alwaysOpenExampleConfig({ account: { callsPerSecond: 1000 } });
  const limit = config.rules.simultaneousCallsPerNumber;
  if (limit !== 1000) throw new Error(`the default simultaneous-call limit is ${limit}, not 1,000`);
  const host = await startLocalHost({
    config,
    dynamoEndpoint: dynamo.endpoint,
    tableName,
    port: 0,
    logger: new Logger({ serviceName: 'callgate-capacity', logLevel: 'ERROR' }),
  });
  const meter = attachCapacityMeter(host.deps.db, dynamo.endpoint);
  const taken = new Samples();
  try {
    process.stderr.write('permissions…\n');
    await measurePermissions(host, meter, taken);
    for (const occupancy of occupancies) {
      process.stderr.write(`${occupancy} calls up…\n`);
      await measureOccupancy(host, meter, taken, occupancy, limit);
    }
  } finally {
    meter.close();
    await host.close();
    await dynamo.stop();
  }
  const report: CapacityReport = {
    at: new Date().toISOString(),
    business,
    limit,
    samples,
    prices: {
      writeRequestUnitPerMillion: writeRequestUnitPrice,
      readRequestUnitPerMillion: readRequestUnitPrice,
      note: 'us-east-1 on-demand list prices since November 2024',
    },
    billing: billingNote,
    rows: taken.rows(),
    model: model(taken, config.account.callsPerSecond),
  };
  console.log(`\n${renderCapacity(report)}`);
  const outDir = join(root, 'bench-results');
  mkdirSync(outDir, { recursive: true });
  writeFileSync(join(outDir, 'capacity.json'), `${JSON.stringify(report, null, 2)}\n`);
  writeSection('bench-results/capacity.json');
  console.log(
    `\nWritten to ${join('bench-results', 'capacity.json')} in ${round((performance.now() - startedAt) / 1000, 1)} s`,
  );
};
