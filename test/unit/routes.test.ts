import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { plivoConsoleSettings } from '../../functions/shared/routes.js';

const docsUrl = new URL('../../docs/', import.meta.url);

/** GitHub's anchor of a heading: lowercase, spaces to dashes, punctuation dropped. */
const anchors = (markdown: string): Set<string> =>
  new Set(
    [...markdown.matchAll(/^#+ (.+)$/gm)].map((heading) =>
      (heading[1] ?? '')
        .toLowerCase()
        .replace(/[^\w\s-]/g, '')
        .replace(/\s/g, '-'),
    ),
  );

describe('what the banner and the stack say to paste into the Plivo console', () => {
  const settings = plivoConsoleSettings('https://calls.example.com');
  const hangup = settings.find((setting) => setting.output === 'HangupUrl');

  it('gives the Hangup URL as optional, since the current WhatsApp number panel has no such field', () => {
    expect(hangup?.where).toMatch(/^optional/);
    expect(hangup?.where).toContain('Configure Number');
    for (const setting of settings.filter((s) => s.output !== 'HangupUrl')) {
      expect(setting.where).not.toMatch(/optional/);
    }
  });

  it('points to the one page that says what callgate does without it, and that page exists', () => {
    const links = settings.flatMap((s) => [...s.where.matchAll(/docs\/([\w-]+\.md)#([\w-]+)/g)]);
    expect(links.map((link) => link[0])).toContain('docs/plivo-webhooks.md#the-hangup-url');
    for (const [, file, anchor] of links) {
      const page = readFileSync(new URL(file as string, docsUrl), 'utf8');
      expect(anchors(page), `${file}#${anchor}`).toContain(anchor);
    }
  });
});
