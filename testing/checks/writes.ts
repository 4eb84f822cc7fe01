import { randomBytes } from 'node:crypto';
import type { CommentWriter, ConnectorClient, RemoteItem, Writer } from '@trackbridge/sdk';
import { allPages, describeError, errorKind, expectThat, rejection } from '../assert';
import type { ConformanceEnv } from '../env';

const writerOf = (check: string, client: ConnectorClient): Writer => {
  expectThat(check, client.writer !== undefined, 'the connector has no writer');
  return client.writer;
};
const commentsOf = (check: string, client: ConnectorClient): CommentWriter => {
  expectThat(check, client.comments !== undefined, 'the connector has no comment writer');
  return client.comments;
};
const uniqueMarker = () => `kit-${randomBytes(6).toString('hex')}`;

/**
 * Marker adoption after a crashed create (I1): the create reaches the remote but its answer is lost;
 * a new client finds the item by its marker, and the remote holds it once.
 */
export async function markerAdoption(env: ConformanceEnv): Promise<void> {
  const check = 'markerAdoption';
  const scope = await env.scope();
  const marker = uniqueMarker();
  const title = `Crashed create ${marker}`;
  const from = env.proxy.mark();
  // The first write request the remote accepts is acted on, then the connection is cut.
  const writes = env.traits.writes;
  env.proxy.inject({ mode: 'cut-after-forward', methods: writes?.methods ?? ['POST', 'PUT', 'PATCH'], ...(writes?.requestBody ? { requestBody: writes.requestBody } : {}) });
  let crashed: { error: unknown } | undefined;
  // A busy remote may refuse the create (a 500): the fault then waits for the next try, as the platform's retry would.
  for (let attempt = 1; attempt <= 3 && !env.proxy.since(from).some((r) => r.injected); attempt++) {
    crashed = await rejection(writerOf(check, env.client()).createItem(scope, { fields: env.newItem(title, 'Made before the crash'), marker }));
    if (crashed === undefined) break;
  }
  env.proxy.clearFaults();
  expectThat(check, env.proxy.since(from).some((r) => r.injected), `createItem sent no POST, PUT or PATCH that the remote accepted, for the kit to cut (${crashed ? describeError(crashed.error) : 'it resolved'})`);
  expectThat(check, crashed !== undefined, 'the answer to the create was cut, yet createItem resolved (did it create twice?)');

  const found = await writerOf(check, env.client()).findByMarker(scope, marker);
  expectThat(check, found !== null, `findByMarker found nothing for the marker of a create the remote acted on (${describeError(crashed.error)})`);
  expectThat(check, found.fields.title === title, `findByMarker returned another item: "${found.fields.title}"`);
  expectThat(check, !found.fields.description.includes(marker), 'the marker leaked into the description a reader sees (strip it on read)');
  const other = await writerOf(check, env.client()).findByMarker(scope, uniqueMarker());
  expectThat(check, other === null, `findByMarker of a marker never used returned item ${other?.remoteId}`);
  const listed = (await allPages(check, env.client().pull(scope, null), 50)).flatMap((p) => p.items).filter((i) => i.fields.title === title);
  expectThat(check, listed.length === 1, `the remote holds ${listed.length} items from one crashed create`);
  // A pull adopts the item only if it can tell it is the crashed create's: by RemoteItem.marker, or the SDK's text marker in raw.
  const stored = env.options.definition.markerForm?.(marker) ?? marker;
  const recognised = (item: RemoteItem) => item.marker === stored || JSON.stringify(item.raw).includes(`<!-- trackbridge:${marker} -->`);
  expectThat(check, recognised(listed[0]!), 'a listed item does not carry its create marker: report it as RemoteItem.marker (or keep the SDK text marker in raw), or a pull imports a crashed create as a second story');
  expectThat(check, recognised(found), 'the item findByMarker returned does not report its marker (RemoteItem.marker)');
}

/** Adds a comment to a seeded item and checks listComments shows it; returns where it is. */
async function addListedComment(env: ConformanceEnv, check: string) {
  const scope = await env.scope();
  const [remoteId] = await env.options.remote.seed(scope, 1);
  expectThat(check, remoteId !== undefined, 'remote.seed(1) must return an id');
  const client = env.client();
  const body = `Kit comment ${uniqueMarker()}\nsecond line ✓`;
  const added = await commentsOf(check, client).addComment(scope, remoteId, body);
  const listed = await env.client().listComments(scope, remoteId);
  expectThat(check, listed.some((c) => c.remoteId === added.remoteId && c.body === body), `listComments does not show the added comment ${added.remoteId} with its body`);
  return { scope, remoteId, client, body, added };
}

/** Adding a comment: it is listed with its body. What an add-only remote (`cannot: ['editComments']`) still does. */
export async function commentAdd(env: ConformanceEnv): Promise<void> {
  await addListedComment(env, 'commentAdd');
}

/** The comment round trip: an added comment is listed; an updated one is listed changed. */
export async function commentRoundTrip(env: ConformanceEnv): Promise<void> {
  const check = 'commentRoundTrip';
  const { scope, remoteId, client, body, added } = await addListedComment(env, check);
  const changed = `${body}\nedited`;
  const update = commentsOf(check, client).updateComment;
  expectThat(check, update !== undefined, "the connector's comments have no updateComment: implement it, or declare `cannot: ['editComments']` if the remote's comments are add-only");
  await update.call(client.comments, scope, remoteId, added.remoteId, changed);
  const after = await env.client().listComments(scope, remoteId);
  const updated = after.filter((c) => c.remoteId === added.remoteId);
  expectThat(check, updated.length === 1 && updated[0]?.body === changed, `after updateComment, listComments shows ${JSON.stringify(updated.map((c) => c.body))}`);
}

/** Conflict detection: an update based on a version older than an out-of-band edit raises a conflict and writes nothing. */
export async function conflict(env: ConformanceEnv): Promise<void> {
  const check = 'conflict';
  const scope = await env.scope();
  const [remoteId] = await env.options.remote.seed(scope, 1);
  expectThat(check, remoteId !== undefined, 'remote.seed(1) must return an id');
  const read = await env.client().getItem(scope, remoteId);
  expectThat(check, read !== null, `getItem found no item ${remoteId}`);
  expectThat(check, read.version !== undefined, 'getItem must give a `version` for updateItem to check');
  // An edit in the same second as the read would not move a one-second timestamp.
  await env.waitUntil(Date.parse(read.updatedAt) + 1000);
  const theirs = `Edited out of band ${Date.now()}`;
  await env.options.remote.edit(scope, remoteId, { title: theirs });

  const stale = await rejection(writerOf(check, env.client()).updateItem(scope, remoteId, { title: 'Stale write' }, read.version));
  expectThat(check, stale !== undefined, 'updateItem with a stale version succeeded: the out-of-band edit was overwritten');
  expectThat(check, errorKind(stale.error) === 'conflict', `a stale version must raise a conflict error; got ${describeError(stale.error)}`);
  const now = await env.client().getItem(scope, remoteId);
  expectThat(check, now?.fields.title === theirs, `the refused update still wrote: title is now "${now?.fields.title}"`);
  const fresh = await writerOf(check, env.client()).updateItem(scope, remoteId, { title: 'Fresh write' }, now.version);
  expectThat(check, fresh.fields.title === 'Fresh write', 'updateItem with the current version must succeed');
}

/** Emoji, right-to-left text, combining characters, and a description of about 60 KB. */
export const unicodeSamples = {
  title: 'Kit 🧪 ünïcödé — שלום עולם — e\u0301 n\u0303 — 👩🏽‍💻 漢字',
  description: () => {
    const line = 'Ligne 🚀 עברית مرحبا e\u0301\u0301 Z\u0351\u0334 👨‍👩‍👧 “quotes” <tag> & ampersand\n';
    const body = line.repeat(Math.ceil(60_000 / Buffer.byteLength(line)));
    return `${body}end of the large body ✓`;
  },
};

/** Unicode and large bodies survive create → getItem byte for byte (no normalisation, no truncation). */
export async function unicode(env: ConformanceEnv): Promise<void> {
  const check = 'unicode';
  const scope = await env.scope();
  const description = unicodeSamples.description();
  const created = await writerOf(check, env.client()).createItem(scope, { fields: env.newItem(unicodeSamples.title, description), marker: uniqueMarker() });
  const read = await env.client().getItem(scope, created.remoteId);
  expectThat(check, read !== null, `getItem found no item ${created.remoteId} just created`);
  expectThat(check, read.fields.title === unicodeSamples.title, `the title came back as ${JSON.stringify(read.fields.title)}`);
  const got = read.fields.description;
  const [gotChars, sentChars] = [[...got], [...description]];
  const at = gotChars.findIndex((ch, i) => ch !== sentChars[i]);
  expectThat(check, got === description,
    `the ${Buffer.byteLength(description)}-byte description came back ${Buffer.byteLength(got)} bytes, first difference at character ${at}: ${JSON.stringify(got.slice(Math.max(0, at - 10), at + 10))}`);
}
