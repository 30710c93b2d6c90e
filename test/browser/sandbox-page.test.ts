import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { type Browser, chromium, type Locator, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { LocalHost } from '../../local/host.js';
import { exampleNumbers } from '../support/fixtures.js';
import { startTestHost } from '../support/local-host.js';
import { request } from '../support/sandbox.js';

/** Debian's Chromium (`.ci/run` installs it); CHROMIUM_PATH points elsewhere. */
const chromiumPath = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
/** `CALLGATE_SCREENSHOT=1 npm run test:browser` refreshes the picture of the page in README.md and docs/sandbox.md. */
const screenshotPath = fileURLToPath(new URL('../../docs/sandbox-page.png', import.meta.url));

const business = exampleNumbers.india;
const user = '+919812345678';
const waitMs = 20_000;

interface Envelope {
  readonly type: string;
  readonly user: string;
}

describe('the sandbox page in Chromium', () => {
  let host: LocalHost;
  let browser: Browser;
  let page: Page;

  beforeAll(async () => {
    if (!existsSync(chromiumPath)) {
      throw new Error(`no Chromium at ${chromiumPath}: apt-get install chromium (as .ci/run does)`);
    }
    // The example configuration as the README's tour uses it, business hours included.
    host = await startTestHost({ simulate: true });
    browser = await chromium.launch({ executablePath: chromiumPath, args: ['--no-sandbox'] });
    page = await browser.newPage({ viewport: { width: 1440, height: 1000 } });
    page.setDefaultTimeout(waitMs);
  });

  afterAll(async () => {
    await browser?.close();
    await host?.close();
  });

  const card = (): Locator => page.locator(`section[data-user="${user}"]`);
  const result = (): Locator => card().locator('[data-result]');
  /** Clicks a card's button and waits for the line the page reports for it. */
  const press = async (name: string, expected: RegExp) => {
    await card().getByRole('button', { name, exact: true }).click();
    await expect.poll(() => result().textContent(), { timeout: waitMs }).toMatch(expected);
  };
  const setBehaviour = async (label: string, value: string) => {
    if (/seconds/i.test(label)) {
      const input = card().getByRole('spinbutton', { name: label, exact: true });
      await input.fill(value);
      await input.press('Tab');
    } else {
      await card().getByRole('combobox', { name: label, exact: true }).selectOption(value);
    }
    await expect.poll(() => result().textContent(), { timeout: waitMs }).toContain(`${label} →`);
  };
  /** The sandbox clock as the page shows it, in epoch milliseconds. */
  const clockNow = async () =>
    Date.parse((await page.locator('#clock-iso').getAttribute('data-now')) ?? '');
  const userEvents = async (type: string) =>
    ((await request(host, 'GET', '/_sandbox/events')).body as unknown as Envelope[]).filter(
      (event) => event.user === user && event.type === type,
    ).length;
  const waitForEvents = (type: string, count: number) =>
    expect.poll(() => userEvents(type), { timeout: waitMs, interval: 100 }).toBe(count);

  it('walks the tour: permission, five calls, the sixth refused, a day later four misses revoke, an inbound call through the menu', async () => {
    await page.goto(`${host.url}/_sandbox/`);
    await expect
      .poll(() => page.locator(`tr[data-business="${business}"]`).count(), { timeout: waitMs })
      .toBe(1);

    // The keyboard alone adds a user: the number field is labelled and Enter submits.
    await page.getByLabel('User number').focus();
    await page.keyboard.type(user);
    await page.keyboard.press('Enter');
    await expect.poll(() => card().count(), { timeout: waitMs }).toBe(1);
    await card().getByRole('combobox', { name: 'Business', exact: true }).selectOption(business);

    await setBehaviour('Permission requests', 'accept');
    await setBehaviour('Ring seconds', '0');
    await setBehaviour('Talk seconds', '0');

    await press('Request permission', /^Request permission: 202/);
    const permission = card().locator('[data-permission]');
    await expect.poll(() => permission.textContent(), { timeout: waitMs }).toContain('temporary');

    for (let call = 1; call <= 5; call++) {
      await press('Place call', /^Place call: 201/);
      await waitForEvents('call.ended', call);
    }
    // A refusal says when to try again as a person reads it, and reaches the timeline with its code.
    await press('Place call', /^Place call: 429 daily_call_limit .*\(retry in \d+ (hours?|min)/);
    await expect
      .poll(() => page.locator('#timeline > li[data-kind="api"]').allTextContents())
      .toContainEqual(expect.stringContaining('POST /v1/calls → 429 daily_call_limit'));
    const startCall = card().locator('li[data-action="start_call"]');
    await expect.poll(() => startCall.getAttribute('data-can-perform')).toBe('false');
    await expect.poll(() => startCall.textContent()).toContain('5/5 per 24 hours');
    expect(await startCall.textContent()).not.toContain('PT24H');
    await expect
      .poll(() => startCall.locator('[data-limit="simultaneous"]').textContent())
      .toMatch(/^\d+\/1000 calls up now$/);
    await expect
      .poll(() => startCall.locator('[data-limit="cps"]').textContent())
      .toContain('10 Call API requests per second');

    const before = await clockNow();
    await page.getByRole('button', { name: '+1 day' }).click();
    await expect
      .poll(async () => (await clockNow()) - before, { timeout: waitMs })
      .toBeGreaterThanOrEqual(86_400_000);
    await expect.poll(() => startCall.getAttribute('data-can-perform')).toBe('true');

    await setBehaviour('Business calls', 'miss');
    for (let miss = 1; miss <= 4; miss++) {
      await press('Place call', /^Place call: 201/);
      await waitForEvents('call.missed', miss);
      // The 201 does not stay green: its line follows the call to its miss.
      await expect.poll(() => result().textContent()).toContain(`missed it (${miss} in a row`);
      expect(await result().getAttribute('data-ok')).toBe('false');
    }
    await waitForEvents('permission.revoked', 1);
    await expect.poll(() => result().getAttribute('data-outcome')).toBe('revoked');
    expect(await result().textContent()).toContain('which revoked the permission');
    expect(await result().getAttribute('data-ok')).toBe('false');
    await expect.poll(() => permission.textContent(), { timeout: waitMs }).toContain('revoked');
    await press('Place call', /^Place call: 403 permission_revoked/);

    // The example's Indian number keeps office hours: outside them the caller hears "we are closed".
    // Hour by hour to a closed time (open spans are at most 9 hours), then to the next opening.
    const row = page.locator(`tr[data-business="${business}"]`);
    for (let hour = 0; (await row.getAttribute('data-open-now')) === 'true'; hour++) {
      expect(hour).toBeLessThan(10);
      const before = await clockNow();
      await page.getByRole('button', { name: '+1 hour' }).click();
      await expect
        .poll(async () => (await clockNow()) - before, { timeout: waitMs })
        .toBeGreaterThanOrEqual(3_600_000);
    }
    await row.getByRole('button', { name: 'Clock to opening' }).click();
    await expect.poll(() => row.getAttribute('data-open-now'), { timeout: waitMs }).toBe('true');
    const ended = await userEvents('call.ended');
    await card().getByLabel('Menu keys').fill('2');
    await press('Call the business', /^Call the business \(keys 2\): 202/);
    await waitForEvents('call.ended', ended + 1);

    // The timeline shows the webhooks with the XML callgate answered, and the events.
    const timeline = page.locator('#timeline > li');
    await expect
      .poll(() => timeline.filter({ hasText: 'call.ended' }).count(), { timeout: waitMs })
      .toBeGreaterThan(0);
    await expect
      .poll(() => timeline.filter({ hasText: 'permission.revoked' }).count(), { timeout: waitMs })
      .toBeGreaterThan(0);
    await expect
      .poll(() => page.locator('#timeline > li[data-kind="webhook"]').count())
      .toBeGreaterThan(0);
    await expect.poll(() => page.locator('#timeline').textContent()).toContain('<GetInput');

    await page.getByLabel('Filter by kind').selectOption('clock');
    await expect
      .poll(() => page.locator('#timeline > li:visible').count(), { timeout: waitMs })
      .toBeGreaterThan(0);
    const visible = page.locator('#timeline > li:visible');
    const kinds = await Promise.all(
      (await visible.all()).map((item) => item.getAttribute('data-kind')),
    );
    expect(new Set(kinds)).toEqual(new Set(['clock']));
    await page.getByLabel('Filter by kind').selectOption('');

    if (process.env.CALLGATE_SCREENSHOT) {
      await page.evaluate('window.scrollTo(0, 0)');
      await page.screenshot({ path: screenshotPath });
    }
  });

  it('reaches every control from the keyboard, each with a name', async () => {
    // Chromium's accessibility tree: a control without a name shows as a bare role.
    const tree = await page.locator('body').ariaSnapshot();
    const unnamed = tree
      .split('\n')
      .filter((line) => /^\s*- (button|combobox|textbox|spinbutton|checkbox)\b(?! ")/.test(line));
    expect(unnamed).toEqual([]);

    // From the top of a freshly loaded page, Tab alone walks every control up to the timeline.
    await page.reload();
    await expect.poll(() => card().count(), { timeout: waitMs }).toBe(1);
    const reached = new Set<string>();
    for (let step = 0; step < 200 && !reached.has('SELECT:timeline-filter'); step++) {
      await page.keyboard.press('Tab');
      reached.add(
        // A string, not a function: the tests compile without the DOM's types.
        await page.evaluate<string>(`(() => {
          const element = document.activeElement;
          if (!element || element === document.body) return '';
          const text = element.tagName === 'BUTTON' ? element.textContent.trim() : '';
          return element.tagName + ':' + (text || element.id);
        })()`),
      );
    }
    expect(reached).toContain('SELECT:timeline-filter');
    expect(reached).toContain('BUTTON:+1 hour');
    expect(reached).toContain('INPUT:new-user');
    expect(reached).toContain('BUTTON:Request permission');
    expect(reached).toContain('BUTTON:Call the business');
    expect(reached).toContain('BUTTON:+7 days');
    expect(reached).toContain('BUTTON:Reset sandbox');
  });

  it('at 1,000 px wide, shows the result of each button right by it', async () => {
    const narrow = await browser.newPage({ viewport: { width: 1000, height: 800 } });
    narrow.setDefaultTimeout(waitMs);
    try {
      await request(host, 'PUT', `/_sandbox/users/${encodeURIComponent(user)}`, {});
      await narrow.goto(`${host.url}/_sandbox/`);
      const narrowCard = narrow.locator(`section[data-user="${user}"]`);
      await expect.poll(() => narrowCard.count(), { timeout: waitMs }).toBe(1);
      /** The vertical gap between a control and the result line it produced, in CSS pixels. */
      const gap = async (control: Locator, result: Locator, expected: RegExp) => {
        await control.scrollIntoViewIfNeeded();
        await control.click();
        await expect.poll(() => result.textContent(), { timeout: waitMs }).toMatch(expected);
        const [from, to] = await Promise.all([control.boundingBox(), result.boundingBox()]);
        if (!from || !to) throw new Error('control or result not laid out');
        return to.y >= from.y ? to.y - (from.y + from.height) : from.y - (to.y + to.height);
      };
      const pageResult = narrow.locator('[data-page-result]');
      const cardResult = narrowCard.locator('[data-result]');
      const button = (within: Page | Locator, name: string) =>
        within.getByRole('button', { name, exact: true });
      const gaps = {
        clock: await gap(button(narrow, '+1 hour'), pageResult, /^Clock \+1 hour: 200/),
        addUser: await gap(button(narrow, 'Add user'), pageResult, /^Add user \+919812345678: 200/),
        placeCall: await gap(button(narrowCard, 'Place call'), cardResult, /^Place call: \d{3}/),
        reject: await gap(button(narrowCard, 'Reject'), cardResult, /^Reject: \d{3}/),
      };
      for (const [name, pixels] of Object.entries(gaps)) {
        expect(pixels, name).toBeGreaterThanOrEqual(0);
        expect(pixels, name).toBeLessThan(30);
      }
    } finally {
      await narrow.close();
    }
  });

  it("makes Meta pause a number and lifts it; a user's message opens the window", async () => {
    const row = page.locator(`tr[data-business="${business}"]`);
    await row.getByRole('button', { name: 'Meta pauses it (7 days)', exact: true }).click();
    await expect
      .poll(() => row.locator('td[data-paused]').getAttribute('data-paused'), { timeout: waitMs })
      .toBe('true');
    await expect.poll(() => row.textContent(), { timeout: waitMs }).toContain('Calls paused');
    await row.getByRole('button', { name: 'Lift the pause', exact: true }).click();
    await expect
      .poll(() => row.locator('td[data-paused]').getAttribute('data-paused'), { timeout: waitMs })
      .toBe('false');
    await expect.poll(() => row.textContent(), { timeout: waitMs }).toContain('lifted');

    await card().getByRole('textbox', { name: 'Message', exact: true }).fill('Call me, please');
    await press('Send a message', /^Send a message: 200/);
    const window = (
      await request(
        host,
        'GET',
        `/v1/permissions/${encodeURIComponent(business)}/${encodeURIComponent(user)}`,
      )
    ).body.customerServiceWindow as unknown as { open: boolean };
    expect(window.open).toBe(true);
  });

  it('adds users with a username: a BSUID alone, whose call the business is refused, and a number with one', async () => {
    const bsuid = 'US.13491208655302741918';
    await page.getByLabel('User number or BSUID').fill(bsuid);
    await page.getByRole('button', { name: 'Add user', exact: true }).click();
    const bsuidCard = page.locator(`section[data-user="${bsuid}"]`);
    await expect.poll(() => bsuidCard.count(), { timeout: waitMs }).toBe(1);
    await expect
      .poll(() => bsuidCard.locator('[data-user-id]').textContent(), { timeout: waitMs })
      .toContain('known by this BSUID alone');
    await bsuidCard.getByRole('combobox', { name: 'Business', exact: true }).selectOption(business);
    await bsuidCard.getByRole('button', { name: 'Place call', exact: true }).click();
    await expect
      .poll(() => bsuidCard.locator('[data-result]').textContent(), { timeout: waitMs })
      .toMatch(/^Place call: 422 bsuid_not_dialable/);
    await expect
      .poll(() => page.locator('#timeline > li[data-kind="api"]').allTextContents())
      .toContainEqual(expect.stringContaining('POST /v1/calls → 422 bsuid_not_dialable'));

    const both = '+919812340001';
    const userId = 'IN.77001234';
    await page.getByLabel('User number or BSUID').fill(both);
    await page.getByLabel("Username's BSUID").fill(userId);
    await page.getByRole('button', { name: 'Add user', exact: true }).click();
    const bothCard = page.locator(`section[data-user="${both}"]`);
    await expect
      .poll(() => bothCard.locator('[data-user-id]').getAttribute('data-user-id'), {
        timeout: waitMs,
      })
      .toBe(userId);
  });

  it('resets the sandbox: no users, an empty timeline but for the reset, the clock back to now', async () => {
    await page.getByRole('button', { name: 'Reset sandbox' }).click();
    await expect.poll(() => card().count(), { timeout: waitMs }).toBe(0);
    await expect
      .poll(() => page.locator('#timeline > li').allTextContents(), { timeout: waitMs })
      .toEqual([expect.stringContaining('the sandbox was reset')]);
    const clock = Date.parse((await page.locator('#clock-iso').getAttribute('datetime')) ?? '');
    expect(Math.abs(clock - Date.now())).toBeLessThan(60_000);
  });
});
