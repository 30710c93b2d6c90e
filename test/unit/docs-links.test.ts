import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

/**
 * Every relative link in README.md and docs/ resolves: its file exists, and its #anchor names a heading
 * of that file as GitHub slugs it.
 */
const root = fileURLToPath(new URL('../../', import.meta.url));

const markdownFiles = (dir: string): string[] =>
  readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) return markdownFiles(path);
    return entry.name.endsWith('.md') ? [path] : [];
  });

/** The text outside fenced code blocks, with inline code spans blanked (links in code are examples). */
const prose = (markdown: string): string[] => {
  let fenced = false;
  return markdown.split('\n').map((line) => {
    if (/^\s*```/.test(line)) {
      fenced = !fenced;
      return '';
    }
    return fenced ? '' : line.replace(/`[^`]*`/g, '``');
  });
};

/** GitHub's heading anchors: the heading's text, lower-cased, punctuation dropped, spaces as `-`. */
const headingSlugs = (markdown: string): Set<string> => {
  const slugs = new Set<string>();
  const seen = new Map<string, number>();
  let fenced = false;
  for (const line of markdown.split('\n')) {
    if (/^\s*```/.test(line)) fenced = !fenced;
    const heading = fenced ? null : /^#{1,6}\s+(.*?)\s*#*\s*$/.exec(line);
    if (!heading?.[1]) continue;
    const text = heading[1]
      .replace(/!?\[([^\]]*)\]\([^)]*\)/g, '$1')
      .replace(/<[^>]+>/g, '')
      .replaceAll('&lt;', '<')
      .replaceAll('&gt;', '>')
      .replaceAll('&quot;', '"')
      .replaceAll('&amp;', '&');
    const base = text
      .toLowerCase()
      .replace(/[^\p{L}\p{M}\p{N}\p{Pc} -]/gu, '')
      .replaceAll(' ', '-');
    const count = seen.get(base) ?? 0;
    seen.set(base, count + 1);
    slugs.add(count === 0 ? base : `${base}-${count}`);
  }
  return slugs;
};

interface Link {
  readonly file: string;
  readonly line: number;
  readonly target: string;
}

const linksOf = (file: string): Link[] =>
  prose(readFileSync(file, 'utf8')).flatMap((text, index) =>
    [...text.matchAll(/!?\[[^\]]*\]\(\s*<?([^)\s>]+)>?(?:\s+"[^"]*")?\s*\)/g)].map((m) => ({
      file,
      line: index + 1,
      target: m[1] as string,
    })),
  );

const isRelative = (target: string) => !/^[a-z][a-z0-9+.-]*:/i.test(target);

/** Why `link` does not resolve, or undefined when it does. */
const broken = ({ file, target }: Link): string | undefined => {
  const [path = '', anchor] = target.split('#', 2);
  const resolved = path === '' ? file : join(dirname(file), decodeURI(path));
  if (!existsSync(resolved)) return 'no such file';
  if (anchor === undefined) return undefined;
  if (!resolved.endsWith('.md')) return 'an anchor into a file that is not markdown';
  return headingSlugs(readFileSync(resolved, 'utf8')).has(decodeURIComponent(anchor))
    ? undefined
    : `no heading #${anchor}`;
};

const files = [join(root, 'README.md'), ...markdownFiles(join(root, 'docs'))];
const links = files.flatMap(linksOf).filter((link) => isRelative(link.target));

describe('relative links in README.md and docs/', () => {
  it('are there to check', () => {
    expect(links.length).toBeGreaterThan(50);
  });

  it('each resolve to a file and, with an anchor, to a heading in it', () => {
    const failures = links.flatMap((link) => {
      const why = broken(link);
      return why ? [`${relative(root, link.file)}:${link.line} ${link.target}: ${why}`] : [];
    });
    expect(failures).toEqual([]);
  });
});

describe('README.md', () => {
  it('stays a front door: at most 250 lines, the manual in docs/', () => {
    const lines = readFileSync(join(root, 'README.md'), 'utf8').trimEnd().split('\n');
    expect(lines.length).toBeLessThanOrEqual(250);
  });
});

describe('docs/README.md, the index of docs/', () => {
  it('names every page', () => {
    const index = readFileSync(join(root, 'docs', 'README.md'), 'utf8');
    const pages = markdownFiles(join(root, 'docs'))
      .map((file) => relative(root, file))
      .filter((page) => page !== join('docs', 'README.md'));
    expect(pages.filter((page) => !index.includes(`\`${page}\``))).toEqual([]);
  });
});

describe('GitHub heading slugs', () => {
  it('drop punctuation, keep hyphens and underscores, number repeats', () => {
    const slugs = headingSlugs(
      [
        '# POST /v1/permissions/{business}/{user}',
        '## Environment of `npm start`',
        '### functions/&lt;fn&gt;/',
        '## When Plivo or DynamoDB fail',
        '## When Plivo or DynamoDB fail',
        '## snake_case and a — dash',
        '```',
        '# not a heading',
        '```',
      ].join('\n'),
    );
    expect([...slugs]).toEqual([
      'post-v1permissionsbusinessuser',
      'environment-of-npm-start',
      'functionsfn',
      'when-plivo-or-dynamodb-fail',
      'when-plivo-or-dynamodb-fail-1',
      'snake_case-and-a--dash',
    ]);
  });
});
