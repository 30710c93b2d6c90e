/**
 * The message webhook's redeliveries fired at once, through the local host: one permission reply naming
 * both a number and a BSUID delivered 12 times in parallel is one decision, one link and one event; a
 * user's message delivered 12 times at once opens the window once.
 */
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Envelope } from '../../functions/shared/events/envelope.js';
import { plivoPaths } from '../../functions/shared/routes.js';
import { keys } from '../../functions/shared/store/keys.js';
import type { LocalHost } from '../../local/host.js';
import { readItem, scanTable } from '../support/dynamo.js';
import { exampleNumbers, newBsuid, newUser } from '../support/fixtures.js';
import { asJson, postSignedForm, startTestHost, untilNot503 } from '../support/local-host.js';
import { alwaysOpenExampleConfig, permissionReplyForm } from '../support/plivo-forms.js';

const business = exampleNumbers.india;
const accept = { response: 'accept', is_permanent: false, response_source: 'user_action' };

describe('message webhook redeliveries fired at once', () => {
  let host: LocalHost;
  beforeAll(async () => {
    host = await startTestHost({ config: alwaysOpenExampleConfig() });
  });
  afterAll(() => host.close());

  // Resent on a 503 as Plivo does: a burst on one user may briefly outlast the contention budget.
  const post = async (form: Record<string, string>) =>
    asJson(await untilNot503(() => postSignedForm(host, plivoPaths.message, form)));
  const both = (number: string, bsuid: string, messageUuid: string = randomUUID()) => ({
    ...permissionReplyForm(number, business, accept, messageUuid),
    FromUserId: bsuid,
  });
  const state = async (user: string) =>
    (
      await asJson(
        await fetch(
          `${host.url}/v1/permissions/${encodeURIComponent(business)}/${encodeURIComponent(user)}`,
        ),
      )
    ).body;
  const eventsOf = async (type: string, user: string) => {
    await host.settled();
    return (host.eventBus.events() as Envelope[]).filter(
      (event) => event.type === type && event.user === user,
    );
  };

  it('one reply naming a number and a BSUID, 12 times at once: one decision, one link, one event', async () => {
    const number = newUser();
    const bsuid = newBsuid();
    const form = both(number, bsuid);
    const answers = await Promise.all(Array.from({ length: 12 }, () => post(form)));
    expect(answers.map((a) => a.status)).toEqual(Array(12).fill(200));
    const outcomes = answers.map((a) => a.body.outcome);
    expect(outcomes.filter((o) => o === 'applied')).toHaveLength(1);
    expect(outcomes.filter((o) => o === 'duplicate')).toHaveLength(11);

    expect(await readItem(host.deps.db, keys.pair(business, number))).toMatchObject({
      permission: 'temporary',
      userId: bsuid,
    });
    const link = await readItem(host.deps.db, keys.pair(business, bsuid));
    expect(link).toMatchObject({ linkedTo: number });
    expect(link).not.toHaveProperty('permission');
    const granted = await eventsOf('permission.granted', number);
    expect(granted).toHaveLength(1);
    expect(granted[0]).toMatchObject({ userId: bsuid });
    expect(await eventsOf('permission.granted', bsuid)).toEqual([]);
    // The table holds two pair items for this user: the number's and the link.
    const items = (await scanTable(host.deps.db)).filter(
      (item) => String(item.pk).includes(number) || String(item.pk).includes(bsuid),
    );
    expect(items.map((item) => item.pk).sort()).toEqual(
      [keys.pair(business, bsuid).pk, keys.pair(business, number).pk].sort(),
    );
  });

  it("a user's message delivered 12 times at once opens the window once", async () => {
    const user = newUser();
    const message = {
      From: user.slice(1),
      To: business.slice(1),
      Type: 'whatsapp',
      ContentType: 'text',
      Body: 'call me please',
      MessageUUID: randomUUID(),
    };
    const answers = await Promise.all(Array.from({ length: 12 }, () => post(message)));
    expect(answers.map((a) => a.status)).toEqual(Array(12).fill(200));
    expect(answers.filter((a) => a.body.window === 'opened')).toHaveLength(1);
    expect(answers.filter((a) => a.body.outcome === 'duplicate')).toHaveLength(11);
    expect((await state(user)).customerServiceWindow).toMatchObject({ open: true });
  });
});
