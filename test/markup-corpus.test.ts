import { readdirSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import Ajv from 'ajv-draft-04';
import { describe, expect, it } from 'vitest';
import { fromAdf, fromJiraWiki, fromTextile, normalize, toAdf, toJiraWiki, toTextile, type AdfDoc, type UserMap } from '../markup';

/**
 * The round-trip corpus (README: Markup): Markdown as people write it in GitHub issues, one case a
 * file in test/fixtures/markup/corpus. For each route, a case is exact when Markdown → remote →
 * Markdown gives its hub form (`normalize`) back, and stable when a second round trip changes nothing.
 */
const dir = new URL('./fixtures/markup/corpus/', import.meta.url);
const corpus = readdirSync(dir).filter((f) => f.endsWith('.md')).sort().map((f) => ({ name: f.slice(0, -3), md: readFileSync(new URL(f, dir), 'utf8') }));

/** The binding's user map: hub names to each remote's user (Redmine login, Jira account id, Jira Data Center username). */
const users = (remote: Record<string, string>): UserMap => Object.entries(remote).map(([hub, r]) => ({ hub, remote: r }));
const redmineUsers = users({ 'alice-b': 'abrown', bob: 'bob.smith' });
const cloudUsers = users({ 'alice-b': '5b10ac8d82e05b22cc7d4ef5', bob: '712020:0e5fe3a1-bb46-4f4c-9b4f-55b7d0f1f1b0' });
const dataCenterUsers = users({ 'alice-b': 'abrown', bob: 'JIRAUSER10100' });

type Route = 'textile' | 'adf' | 'wiki';
const routes: Record<Route, (md: string) => string> = {
  textile: (md) => fromTextile(toTextile(md, { users: redmineUsers }), { users: redmineUsers }),
  // ADF goes through JSON as it does over HTTP.
  adf: (md) => fromAdf(JSON.parse(JSON.stringify(toAdf(md, { users: cloudUsers }))) as AdfDoc, { users: cloudUsers }),
  wiki: (md) => fromJiraWiki(toJiraWiki(md, { users: dataCenterUsers }), { users: dataCenterUsers }),
};

/**
 * The cases that do not come back exact, with the reason: what the remote cannot say. docs/markup.md's
 * table lists the same. The test fails when a case leaves this list or one not on it is lost.
 */
const lossy: Record<Route, Record<string, string>> = {
  textile: {
    'list-ordered-start': 'a Textile list always starts at 1 (Redmine reads no start number)',
  },
  adf: {
    'basic-image-inline': 'ADF has no inline external image: it becomes a link to the image',
    'list-code-in-item-tight': 'ADF has no tight or loose list item: an item with more than a paragraph comes back with blank lines between its blocks',
    'list-loose': 'ADF has no loose list: a list of one-paragraph items comes back tight',
    'table-align': 'ADF aligns a cell to the centre or the end only: a column aligned left comes back unaligned (it renders the same)',
  },
  wiki: {
    'list-ordered-start': 'a Jira wiki list always starts at 1',
    'table-align': 'Jira wiki tables have no column alignment',
    'table-align-center-right': 'Jira wiki tables have no column alignment',
  },
};

interface Figures { exact: string[]; notExact: string[]; unstable: string[] }

function measure(roundTrip: (md: string) => string): Figures {
  const figures: Figures = { exact: [], notExact: [], unstable: [] };
  for (const { name, md } of corpus) {
    const once = roundTrip(md);
    (once === normalize(md) ? figures.exact : figures.notExact).push(name);
    if (roundTrip(once) !== once) figures.unstable.push(name);
  }
  return figures;
}

const percent = (n: number): string => `${((100 * n) / corpus.length).toFixed(1)}%`;

describe('markup round-trip corpus', () => {
  it('has at least 80 cases, one a construct people write, and a body of 10 kB', () => {
    expect(corpus.length).toBeGreaterThanOrEqual(80);
    expect(Math.max(...corpus.map((c) => Buffer.byteLength(c.md)))).toBeGreaterThanOrEqual(10_000);
  });

  for (const [route, roundTrip] of Object.entries(routes) as [Route, (md: string) => string][]) {
    it(`${route}: at least 95% come back exact after one round trip, and all are stable after two`, () => {
      const { exact, notExact, unstable } = measure(roundTrip);
      console.log(`${route}: ${exact.length}/${corpus.length} exact (${percent(exact.length)}), ${corpus.length - unstable.length}/${corpus.length} stable; not exact: ${notExact.join(', ') || 'none'}; unstable: ${unstable.join(', ') || 'none'}`);
      expect(unstable, 'cases that change on a second round trip').toEqual([]);
      expect(exact.length / corpus.length, `not exact: ${notExact.join(', ')}`).toBeGreaterThanOrEqual(0.95);
      expect([...notExact].sort(), 'the cases that do not come back exact are the documented ones').toEqual(Object.keys(lossy[route]).sort());
    });
  }

  it('writes ADF that the published ADF schema accepts, for every case', () => {
    const require = createRequire(import.meta.url);
    const schema = JSON.parse(readFileSync(require.resolve('@atlaskit/adf-schema/json-schema/v1/full.json'), 'utf8')) as object;
    const valid = new Ajv({ allErrors: true, strict: false }).compile(schema);
    const invalid = corpus.filter(({ md }) => !valid(toAdf(md, { users: cloudUsers }))).map((c) => c.name);
    expect(invalid).toEqual([]);
  });
});
