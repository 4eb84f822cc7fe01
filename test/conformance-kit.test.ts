/**
 * The kit can fail: each check, run against the GitHub connector with one promise broken, throws a
 * ConformanceFailure naming that promise (the unbroken connector passes all of them in
 * conformance-github.test.ts).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { github } from '../connectors/github';
import type { CommentWriter, ConnectorDefinition, Json, PullPage, Reader, Writer } from '../connectors/types';
import { type CheckName, ConformanceFailure, type ConformanceEnv, checkInfo, checks, describeConnectorConformance, skipReason, startConformanceEnv } from '@trackbridge/testing';
import { githubAddOnly } from './fixtures/plugins/add-only';
import { type GitHubDouble, startGitHubDouble } from './support/github-double';
import { githubConformance } from './support/github-conformance';

let gh: GitHubDouble;
beforeAll(async () => {
  gh = await startGitHubDouble({ now: '2024-06-01T12:00:00Z', login: 'sync-bot' });
});
afterAll(async () => {
  await gh.close();
});

interface Breakage {
  reader?(honest: Reader): Partial<Reader>;
  writer?(honest: Writer): Partial<Writer>;
  comments?(honest: CommentWriter): Partial<CommentWriter>;
}

/** The GitHub connector with some of its methods replaced by broken ones. */
function broken(breakage: Breakage): ConnectorDefinition {
  const { writer, comments } = github;
  if (!writer || !comments) throw new Error('the GitHub connector writes items and comments');
  const definition: typeof github = {
    ...github,
    reader: (session, ctx) => { const honest = github.reader(session, ctx); return { ...honest, ...breakage.reader?.(honest) }; },
    writer: (session, ctx) => { const honest = writer(session, ctx); return { ...honest, ...breakage.writer?.(honest) }; },
    comments: (session, ctx) => { const honest = comments(session, ctx); return { ...honest, ...breakage.comments?.(honest) }; },
  };
  return definition as ConnectorDefinition;
}

const phase = (cursor: Json | null) => (cursor !== null && typeof cursor === 'object' && !Array.isArray(cursor) ? cursor.phase : undefined);

/** An off-by-one in the paginator: the page before the last is taken for the end. */
async function* dropLastPage(pages: AsyncIterable<PullPage>): AsyncGenerator<PullPage> {
  const all: PullPage[] = [];
  for await (const page of pages) all.push(page);
  const last = all.pop();
  for (const [i, page] of all.entries()) yield i === all.length - 1 ? { ...page, next: null, watermark: last?.watermark ?? null } : page;
}

/** Every failure becomes a plain Error: the platform can no longer tell retry from pause from give up. */
async function* unclassified(pages: AsyncIterable<PullPage>): AsyncGenerator<PullPage> {
  try {
    yield* pages;
  } catch (error) {
    throw new Error(`pull failed: ${String(error)}`, { cause: error });
  }
}

const cases: Array<{ check: CheckName; bug: string; breakage: Breakage; failure: RegExp }> = [
  { check: 'pagination', bug: 'pull drops the last page', breakage: { reader: (r) => ({ pull: (s, c) => dropLastPage(r.pull(s, c)) }) }, failure: /never listed/ },
  { check: 'resume', bug: 'a listing cursor restarts the listing', breakage: { reader: (r) => ({ pull: (s, c) => r.pull(s, phase(c) === 'listing' ? null : c) }) }, failure: /repeated items of page 1/ },
  { check: 'watermark', bug: 'the watermark is ignored (every pull is a full listing)', breakage: { reader: (r) => ({ pull: (s) => r.pull(s, null) }) }, failure: /did not narrow the pull/ },
  {
    check: 'notModified', bug: 'the stored ETag is dropped',
    breakage: { reader: (r) => ({ pull: (s, c) => r.pull(s, phase(c) === 'watermark' ? { ...(c as Record<string, Json>), etag: null } : c) }) },
    failure: /notModified: true/,
  },
  { check: 'errors', bug: 'errors reach the platform unclassified', breakage: { reader: (r) => ({ pull: (s, c) => unclassified(r.pull(s, c)) }) }, failure: /must raise a (auth|transient|permanent) error/ },
  { check: 'markerAdoption', bug: 'findByMarker never finds', breakage: { writer: () => ({ findByMarker: async () => null }) }, failure: /found nothing/ },
  {
    check: 'commentAdd', bug: 'addComment answers without writing',
    breakage: { comments: () => ({ addComment: async (_s, _r, body) => ({ remoteId: '999999', author: 'x', body, createdAt: '', updatedAt: '' }) }) },
    failure: /does not show the added comment/,
  },
  {
    check: 'commentRoundTrip', bug: 'updateComment answers without writing',
    breakage: { comments: () => ({ updateComment: async (_s, _r, id, body) => ({ remoteId: id, author: 'x', body, createdAt: '', updatedAt: '' }) }) },
    failure: /after updateComment/,
  },
  { check: 'conflict', bug: 'updateItem ignores the version', breakage: { writer: (w) => ({ updateItem: (s, id, changes) => w.updateItem(s, id, changes) }) }, failure: /stale version succeeded/ },
  {
    check: 'unicode', bug: 'createItem normalises text to NFC',
    breakage: { writer: (w) => ({ createItem: (s, item) => w.createItem(s, { ...item, fields: { ...item.fields, title: item.fields.title.normalize('NFC'), description: item.fields.description.normalize('NFC') } }) }) },
    failure: /came back/,
  },
];

describe('each check fails on a connector that breaks its promise', () => {
  for (const { check, bug, breakage, failure } of cases) {
    it(`${check}: ${bug}`, async () => {
      const env: ConformanceEnv = await startConformanceEnv({ definition: broken(breakage), ...githubConformance(() => gh) });
      try {
        const outcome = await checks[check](env).then(() => undefined, (error: unknown) => error);
        expect(outcome).toBeInstanceOf(ConformanceFailure);
        expect((outcome as Error).message).toMatch(failure);
      } finally {
        await env.close();
      }
    });
  }

  it('every check has a broken connector here', () => {
    expect(new Set(cases.map((c) => c.check))).toEqual(new Set(Object.keys(checks)));
  });
});

describe('skips', () => {
  it('a check a capability rules out is skipped with the reason, never run', () => {
    const readOnly = { ...github, writer: undefined, comments: undefined, conditionalRequests: false } as unknown as ConnectorDefinition;
    const traits = { pageSize: 100, overlapSeconds: 5 };
    expect(skipReason({ definition: readOnly, traits }, 'conflict')).toBe('the connector has no writer');
    expect(skipReason({ definition: readOnly, traits }, 'commentRoundTrip')).toBe('the connector has no comment writer');
    expect(skipReason({ definition: readOnly, traits }, 'notModified')).toBe('the connector declares no conditional requests');
    expect(skipReason({ definition: readOnly, traits }, 'pagination')).toBeNull();
    expect(skipReason({ definition: github, traits }, 'conflict')).toBeNull();
  });
});

describe('a connector whose comments are add-only', () => {
  const addOnly = githubAddOnly();
  const traits = { pageSize: 100, overlapSeconds: 5 };

  it('is skipped on the edit check only, with the reason', () => {
    expect(skipReason({ definition: addOnly, traits }, 'commentRoundTrip')).toBe("the connector's comments are add-only");
    expect(skipReason({ definition: addOnly, traits }, 'commentAdd')).toBeNull();
    expect(skipReason({ definition: addOnly, traits }, 'conflict')).toBeNull();
  });

  // The kit as an author runs it: the add check runs (and passes), the edit check is registered as skipped.
  describeConnectorConformance({ definition: addOnly, ...githubConformance(() => gh), only: ['commentAdd', 'commentRoundTrip'] });

  it('ran the add check and passed it, and reported the edit check as skipped with the reason in its title', ({ task }) => {
    const kit = task.suite?.tasks.find((t) => t.type === 'suite' && t.name.endsWith('conformance'));
    const ran = kit?.type === 'suite' ? kit.tasks.map((t) => ({ name: t.name, mode: t.mode, state: t.result?.state })) : [];
    expect(ran).toEqual([
      { name: checkInfo.commentAdd.title, mode: 'run', state: 'pass' },
      { name: `${checkInfo.commentRoundTrip.title} — skipped: the connector's comments are add-only`, mode: 'skip', state: undefined },
    ]);
  });

  it('fails the edit check, naming the declaration, when the connector leaves updateComment out without saying so', async () => {
    const env = await startConformanceEnv({ definition: githubAddOnly(false), ...githubConformance(() => gh) });
    try {
      const outcome = await checks.commentRoundTrip(env).then(() => undefined, (error: unknown) => error);
      expect(outcome).toBeInstanceOf(ConformanceFailure);
      expect((outcome as Error).message).toMatch(/no updateComment: implement it, or declare `cannot: \['editComments'\]`/);
    } finally {
      await env.close();
    }
  });
});
