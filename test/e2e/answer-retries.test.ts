/**
 * Plivo asks the Answer URL again when its first request timed out, with the same CallUUID. A retry of
 * a call callgate admitted is that call: it gets its own flow again and takes no second lease, at a full
 * number too, whether its lease is still held, was released by its own flow ending the call, or is being
 * taken by the first answer at the same moment.
 */
import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { exampleConfigPath, parseConfig } from '../../functions/shared/config/load.js';
import { refusals } from '../../functions/shared/operations/inbound-call.js';
import { plivoPaths } from '../../functions/shared/routes.js';
import { leasesOf, readShards } from '../../functions/shared/store/items/leases.js';
import type { LocalHost } from '../../local/host.js';
import { fillLeases } from '../support/dynamo.js';
import { exampleNumbers } from '../support/fixtures.js';
import { pool, postSignedForm, startTestHost } from '../support/local-host.js';
import { hangupForm, inboundAnswerForm } from '../support/plivo-forms.js';
import { jsonLinesWhile } from '../support/stdout.js';

/** Greets and offers a menu: the call stays up, holding its lease. */
const menuNumber = exampleNumbers.india;
/** Says its one message and hangs up: the flow ends the call at the answer. */
const messageNumber = exampleNumbers.jamaica;
const closingWords = 'Thank you for calling. We will call you back.';
const limit = 24;

const config = () => {
  const raw = JSON.parse(readFileSync(exampleConfigPath, 'utf8'));
  for (const number of raw.numbers) delete number.inbound.hours;
  const jamaica = raw.numbers.find((n: { number: string }) => n.number === messageNumber);
  jamaica.inbound = { action: { message: closingWords } };
  raw.rules = { simultaneousCallsPerNumber: limit };
  return parseConfig(raw, 'answer retries');
};

let callerCounter = 0;
const newCaller = () => `+91989${String(++callerCounter).padStart(7, '0')}`;

describe('a Plivo retry of an answer', () => {
  let host: LocalHost;
  beforeAll(async () => {
    host = await startTestHost({ config: config() });
  });
  afterAll(() => host.close());

  const answer = async (form: Record<string, string>) => {
    const response = await postSignedForm(host, plivoPaths.answer, form);
    expect(response.status).toBe(200);
    return response.text();
  };
  const busy = (document: string) => document.includes(refusals.atCapacity);
  /** How many shards hold a lease for each call id (a second lease would count twice). */
  const leaseCounts = async (business: string) => {
    const counts = new Map<string, number>();
    for (const leases of (await readShards(host.deps.db, business)).values()) {
      for (const callId of Object.keys(leases)) counts.set(callId, (counts.get(callId) ?? 0) + 1);
    }
    return counts;
  };
  const hangUp = (callId: string, business: string) =>
    postSignedForm(host, plivoPaths.hangup, hangupForm(callId, { To: business.slice(1) }));
  /** The answers that took a lease and the ones answered as a call already admitted. */
  const answerKinds = (lines: Record<string, unknown>[], callId: string) =>
    lines.filter((l) => l.callId === callId).map((l) => l.message);

  it('at a full number: every admitted call asked again gets its own flow, nobody a second lease', async () => {
    const forms = Array.from({ length: limit }, () =>
      inboundAnswerForm(randomUUID(), newCaller(), menuNumber),
    );
    const first = await pool(
      forms.map((form) => () => answer(form)),
      4,
    );
    expect(first.filter(busy)).toEqual([]);
    const held = [...(await leaseCounts(menuNumber)).entries()];
    expect(held).toHaveLength(limit);
    expect(held.every(([, count]) => count === 1)).toBe(true);
    // One more caller is refused: the number is full.
    expect(busy(await answer(inboundAnswerForm(randomUUID(), newCaller(), menuNumber)))).toBe(true);

    for (const [i, form] of forms.entries()) {
      expect(await answer(form)).toBe(first[i]);
    }
    expect([...(await leaseCounts(menuNumber)).entries()].sort()).toEqual(held.sort());
    await host.settled();
    expect(await leaseCounts(menuNumber)).toEqual(new Map(held));
    for (const form of forms) await hangUp(form.CallUUID as string, menuNumber);
  });

  it('a call its own flow ended, asked again: the same closing words, no lease, at a full number or not', async () => {
    const form = inboundAnswerForm(randomUUID(), newCaller(), messageNumber);
    const callId = form.CallUUID as string;
    const document = await answer(form);
    expect(document).toContain(closingWords);
    expect(await leasesOf(host.deps.db, messageNumber)).toEqual({});
    await host.settled();

    // Room on the number: the retry is answered without taking a lease.
    const roomy = await jsonLinesWhile(async () => {
      expect(await answer(form)).toBe(document);
    });
    expect(answerKinds(roomy, callId)).toEqual([
      'inbound call: Plivo asked again for a call over, answered the same',
    ]);
    expect(await leasesOf(host.deps.db, messageNumber)).toEqual({});

    // Full (other calls hold every place): the retry still hears its flow, not the busy message.
    await fillLeases(host.deps.db, messageNumber, {
      count: limit,
      limit,
      expiresAt: host.clock.now() + 3_600_000,
    });
    const before = await leasesOf(host.deps.db, messageNumber);
    expect(await answer(form)).toBe(document);
    expect(await leasesOf(host.deps.db, messageNumber)).toEqual(before);
    expect(busy(await answer(inboundAnswerForm(randomUUID(), newCaller(), messageNumber)))).toBe(
      true,
    );
  });

  it('a retry racing the first answer: both get the flow, one lease is taken', async () => {
    // A full number makes every answer read the shards first (it was seen busy); then places free up
    // in both shards, so two answers of one call could each find a different one.
    const forms = Array.from({ length: limit }, () =>
      inboundAnswerForm(randomUUID(), newCaller(), menuNumber),
    );
    await pool(
      forms.map((form) => () => answer(form)),
      4,
    );
    expect(busy(await answer(inboundAnswerForm(randomUUID(), newCaller(), menuNumber)))).toBe(true);
    const staying = forms.slice(0, limit / 2).map((form) => form.CallUUID as string);
    for (const form of forms.slice(limit / 2)) await hangUp(form.CallUUID as string, menuNumber);

    for (let trial = 0; trial < 10; trial++) {
      const form = inboundAnswerForm(randomUUID(), newCaller(), menuNumber);
      const callId = form.CallUUID as string;
      let documents: string[] = [];
      const lines = await jsonLinesWhile(async () => {
        documents = await Promise.all([answer(form), answer(form)]);
      });
      expect(documents.filter(busy)).toEqual([]);
      expect(documents[0]).toBe(documents[1]);
      expect(answerKinds(lines, callId).sort()).toEqual([
        'inbound call answered',
        'inbound call: Plivo asked again, answered the same',
      ]);
      await host.settled();
      const counts = await leaseCounts(menuNumber);
      expect(counts.get(callId)).toBe(1);
      expect(counts.size).toBe(staying.length + 1);
      await hangUp(callId, menuNumber);
    }
  });
});
