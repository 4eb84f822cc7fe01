import fc from 'fast-check';
import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { queryRows } from '../db/client';
import { loadPlugins } from '../plugins/load';
import { startGitHubDouble, type GitHubDouble } from './support/github-double';
import { connectTestClient, createTestApi, createTestDatabase, startTestWorker } from './support/harness';

type Json = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any
interface Operation { method: string; path: string; params: Json[]; body?: { type: string; schema: Json } }
interface FuzzRequest { path: string; query: [string, string][]; body: { kind: 'none' } | { kind: 'json'; text: string } | { kind: 'raw'; text: string; type: string } }

/** Statuses whose body must name the field at fault: the request itself was wrong. */
const NAMES_FIELD = new Set([400, 413, 415, 422]);
const RUNS_PER_OPERATION = Number(process.env.FUZZ_RUNS ?? 30);

/** Strings a hostile client sends: NUL bytes, lone surrogates, huge, SQL and path noise, prototype keys. */
const hostileString = fc.oneof(
  { weight: 4, arbitrary: fc.string({ maxLength: 40 }) },
  { weight: 2, arbitrary: fc.string({ unit: 'binary', maxLength: 20 }) },
  { weight: 2, arbitrary: fc.string({ maxLength: 10 }).map((s) => `${s}\u0000${s}`) },
  fc.constantFrom('', ' ', '\u0000', '\ud800', '\udfff\ud800', '🚀'.repeat(50), "'; drop table projects; --", '../../etc/passwd', '%00', '__proto__', 'constructor', 'null'),
  fc.constantFrom('x'.repeat(70_000), 'é'.repeat(300_000)),
);
const hostileNumber = fc.oneof(fc.integer(), fc.double({ noNaN: true }), fc.constantFrom(0, -1, 2 ** 31, 2 ** 53 + 2, 1e308, -1e308, 0.5));
const anyJson = fc.oneof(hostileString, hostileNumber, fc.boolean(), fc.constant(null), fc.jsonValue({ maxDepth: 3 }));

describe('API fuzz from /openapi.json: no 5xx, 4xx names the field, rejected requests write nothing', () => {
  let database: Awaited<ReturnType<typeof createTestDatabase>>;
  let client: Awaited<ReturnType<typeof connectTestClient>>;
  let worker: Awaited<ReturnType<typeof startTestWorker>>;
  let api: Awaited<ReturnType<typeof createTestApi>>;
  let gh: GitHubDouble;
  let spec: Json;
  const ids: Record<string, string[]> = {};
  let countQuery: ReturnType<typeof sql.raw>;

  const counts = async () => JSON.stringify(await queryRows(database.db, countQuery));

  beforeAll(async () => {
    // A plugin action, so its route and the job routes are fuzzed too (loaded before the app is made).
    await loadPlugins(['./test/fixtures/plugins/hello.ts']);
    database = await createTestDatabase();
    client = await connectTestClient();
    // A worker without the outbox relay: remote calls work, and nothing writes behind the test's back.
    worker = await startTestWorker({ db: database.db });
    api = await createTestApi({ database, client, taskQueue: worker.taskQueue });
    gh = await startGitHubDouble({ login: 'octocat' });
    gh.createRepo('octocat/empty');
    const post = async (path: string, body: unknown) => (await (await api.call('POST', path, body)).json()) as Json;
    const project = await post('/projects', { key: 'FUZZ', name: 'Fuzz' });
    const story = await post(`/projects/${project.id}/stories`, { title: 'Fuzzed', labels: ['a'] });
    const comment = await post(`/stories/${story.id}/comments`, { body: 'hello' });
    const connection = await post('/connections', { connector: 'github', name: 'fuzz', config: { baseUrl: gh.url }, secrets: { token: gh.token } });
    const binding = await post('/bindings', { projectId: project.id, connectionId: connection.id, scope: 'octocat/empty', pullIntervalSeconds: 3600 });
    const job = await post('/plugins/hello-plugin/actions/greet', { who: 'fuzz' });
    await settle(job);
    Object.assign(ids, { project: [project.id], story: [story.id], comment: [comment.id], connection: [connection.id], binding: [binding.id], job: [job.jobId] });
    spec = (await (await api.app.request('/openapi.json')).json()) as Json;
    const tables = await queryRows<{ name: string }>(database.db, sql`select tablename as name from pg_tables where schemaname = 'public' order by tablename`);
    countQuery = sql.raw(tables.map((t) => `select '${t.name}' as t, count(*)::int as n from "${t.name}"`).join(' union all '));
  }, 120_000);
  afterAll(async () => {
    await gh?.close();
    await worker?.stop();
    await client?.close();
    await database?.drop();
  });

  const resolve = (schema: Json): Json => (schema.$ref ? resolve(spec.components.schemas[schema.$ref.split('/').pop()]) : schema);

  /** Values shaped by a JSON Schema, each leaf sometimes valid, sometimes hostile. */
  function fromSchema(raw: Json, depth = 0): fc.Arbitrary<unknown> {
    const schema = resolve(raw);
    if (depth > 4) return anyJson;
    const alternatives = schema.anyOf ?? schema.oneOf;
    if (alternatives) return fc.oneof(...alternatives.map((s: Json) => fromSchema(s, depth + 1)), anyJson);
    const type = Array.isArray(schema.type) ? schema.type[0] : schema.type;
    const hostile = (valid: fc.Arbitrary<unknown>) => fc.oneof({ weight: 3, arbitrary: valid }, { weight: 1, arbitrary: anyJson });
    if (schema.enum) return hostile(fc.constantFrom(...(schema.enum as unknown[])));
    switch (type) {
      case 'object': {
        const props = Object.fromEntries(Object.entries((schema.properties ?? {}) as Record<string, Json>).map(([k, s]) => [k, fromSchema(s, depth + 1)]));
        const extra = fc.dictionary(fc.oneof(hostileString, fc.constantFrom('constructor', 'prototype', 'toString')), anyJson, { maxKeys: 2 });
        const required = ((schema.required ?? []) as string[]).filter((k) => k in props);
        const known = fc.oneof({ weight: 3, arbitrary: fc.record(props, { requiredKeys: required }) }, { weight: 1, arbitrary: fc.record(props, { requiredKeys: [] }) });
        return hostile(fc.tuple(known, fc.oneof({ weight: 3, arbitrary: fc.constant({}) }, { weight: 1, arbitrary: extra })).map(([k, more]) => ({ ...more, ...k })));
      }
      case 'array': return hostile(fc.array(fromSchema(schema.items ?? {}, depth + 1), { maxLength: 4 }));
      case 'integer': return hostile(fc.integer({ min: schema.minimum ?? -10, max: Math.min(schema.maximum ?? 100_000, 100_000) }));
      case 'number': return hostile(fc.double({ noNaN: true, noDefaultInfinity: true }));
      case 'boolean': return hostile(fc.boolean());
      case 'string': {
        if (schema.format === 'uuid') return hostile(idValue());
        const text = schema.pattern
          ? fc.stringMatching(new RegExp(schema.pattern as string))
          : fc.string({ minLength: Math.min(schema.minLength ?? 0, 30), maxLength: Math.min(schema.maxLength ?? 30, 30) });
        // A NUL inside an otherwise valid value: the case that used to reach Postgres and answer 500.
        return hostile(fc.oneof({ weight: 3, arbitrary: text }, { weight: 1, arbitrary: text.map((t) => `${t}\u0000`) }));
      }
      default: return anyJson;
    }
  }
  const idValue = () => fc.oneof(fc.constantFrom(...Object.values(ids).flat()), fc.uuid());
  const pathValue = fc.oneof(
    { weight: 3, arbitrary: fc.constant('FIXTURE') }, fc.uuid(), hostileString.filter((s) => s.length < 200),
    // Sent as they are: broken percent-encoding and encoded NUL or slashes.
    fc.constantFrom('%', '%E0%A4%A', '%00', '%ED%A0%80', '..%2F..', '%2e%2e').map((v) => `RAW:${v}`),
  );

  /** A request for one operation: its path ids, its query and a body that is valid-ish, malformed, hostile or oversized. */
  function requestFor(op: Operation): fc.Arbitrary<FuzzRequest> {
    const pathParams = op.params.filter((p) => p.in === 'path');
    const queryParams = op.params.filter((p) => p.in === 'query');
    const fixtureFor = (name: string) => {
      const kind = name === 'id' ? (op.path.split('/')[1] ?? '').replace(/s$/, '').replace(/ie$/, 'y') : name.replace(/Id$/, '');
      return ids[kind]?.[0] ?? '00000000-0000-4000-8000-000000000000';
    };
    const path = fc.tuple(...pathParams.map(() => pathValue)).map((values) =>
      pathParams.reduce((p, param, i) => {
        const v = values[i] === 'FIXTURE' ? fixtureFor(param.name) : String(values[i]);
        return p.replace(`{${param.name}}`, v.startsWith('RAW:') ? v.slice(4) : encodeURIComponent(wellFormed(v)));
      }, op.path));
    const query = fc.tuple(...queryParams.map((p) => fc.option(fc.oneof(hostileString, hostileNumber.map(String), fc.constantFrom('1', 'true')).map((v) => [p.name, v] as [string, string]), { nil: undefined })))
      .map((pairs) => pairs.filter((p): p is [string, string] => p !== undefined));
    const bodies: fc.Arbitrary<FuzzRequest['body']>[] = [fc.constant({ kind: 'none' as const })];
    if (op.body?.type === 'application/json') {
      const schema = op.body.schema;
      bodies.push(
        fromSchema(schema).map((v) => ({ kind: 'json' as const, text: JSON.stringify(v) ?? 'null' })),
        fromSchema(schema).map((v) => ({ kind: 'json' as const, text: withProtoKeys(JSON.stringify(v) ?? 'null') })),
        anyJson.map((v) => ({ kind: 'json' as const, text: JSON.stringify(v) ?? 'null' })),
        fc.constantFrom('', '{', '{"a":', 'nul', '[1,2', '\u0000', '{"title":"\\ud800"}').map((text) => ({ kind: 'json' as const, text })),
        fc.constant({ kind: 'raw' as const, text: 'title=x&key=Y', type: 'application/x-www-form-urlencoded' }),
        fc.constant({ kind: 'json' as const, text: JSON.stringify({ title: 'x'.repeat(2 * 1024 * 1024) }) }),
      );
    } else if (op.body) {
      bodies.push(fc.uint8Array({ maxLength: 64 }).map((b) => ({ kind: 'raw' as const, text: Buffer.from(b).toString('latin1'), type: 'application/octet-stream' })));
    } else {
      bodies.push(anyJson.map((v) => ({ kind: 'json' as const, text: JSON.stringify(v) ?? 'null' })));
    }
    return fc.record({ path, query, body: fc.oneof(...bodies) });
  }

  /** After a request that started a workflow, wait for it: its writes must not land during the next request. */
  async function settle(body: Json) {
    const workflowId = typeof body.workflowId === 'string' ? body.workflowId : undefined;
    if (workflowId) await client.workflow.getHandle(workflowId).result().catch(() => undefined);
  }

  async function send(op: Operation, req: FuzzRequest) {
    const url = `${req.path}${req.query.length ? `?${new URLSearchParams(req.query.map(([k, v]): [string, string] => [k, wellFormed(v)])).toString()}` : ''}`;
    const headers: Record<string, string> = { authorization: `Bearer ${api.token}` };
    let body: string | undefined;
    if (req.body.kind === 'json') { headers['content-type'] = 'application/json'; body = req.body.text; }
    if (req.body.kind === 'raw') { headers['content-type'] = req.body.type; body = req.body.text; }
    if (op.method === 'GET' || op.method === 'DELETE') body = undefined;
    const before = await counts();
    const res = await api.app.request(url, { method: op.method, headers, ...(body === undefined ? {} : { body }) });
    const text = await res.text();
    const where = `${op.method} ${url.slice(0, 200)} body=${(body ?? '').slice(0, 200)} → ${res.status} ${text.slice(0, 300)}`;
    expect(res.status, where).toBeLessThan(500);
    if (res.status >= 400) {
      const error = (JSON.parse(text) as Json).error;
      expect(typeof error?.code, where).toBe('string');
      if (NAMES_FIELD.has(res.status)) {
        expect(error.fields?.length, where).toBeGreaterThan(0);
        // '(unknown)' is what the database error mapping says when it cannot tell the field: the edge should have.
        for (const f of error.fields) expect(typeof f.path === 'string' && f.path.length > 0 && f.path !== '(unknown)', where).toBe(true);
      }
      expect(await counts(), where).toBe(before);
    } else if (res.headers.get('content-type')?.includes('json')) {
      await settle(JSON.parse(text) as Json);
    }
  }

  const operations = (): Operation[] => Object.entries(spec.paths as Record<string, Json>).flatMap(([path, methods]) =>
    Object.entries(methods as Record<string, Json>).map(([method, o]) => {
      const content = o.requestBody?.content as Record<string, Json> | undefined;
      const [type, media] = content ? Object.entries(content)[0]! : [];
      return { method: method.toUpperCase(), path, params: (o.parameters ?? []) as Json[], ...(type && media ? { body: { type, schema: media.schema as Json } } : {}) };
    }));

  it('covers every operation of the spec', () => {
    expect(operations().length).toBeGreaterThanOrEqual(40);
  });

  it('answers every operation below 500, names the field of each 4xx and writes nothing when it rejects', async () => {
    const started = Date.now();
    let sent = 0;
    // DELETE of the fixture binding would end the coverage of the binding routes: it goes last.
    const ops = operations().sort((a, b) => Number(a.method === 'DELETE') - Number(b.method === 'DELETE'));
    for (const op of ops) {
      await fc.assert(fc.asyncProperty(requestFor(op), async (req) => { sent++; await send(op, req); }), { numRuns: RUNS_PER_OPERATION, endOnFailure: true });
    }
    // Prototype keys were data, never properties of every object.
    expect(({} as Json).polluted).toBeUndefined();
    console.info(`fuzz: ${sent} requests over ${ops.length} operations in ${Math.round((Date.now() - started) / 1000)} s`);
  }, 240_000);
});

/** `{"__proto__": …}` as JSON text (JSON.stringify drops it): the key a prototype-pollution attempt sends. */
function withProtoKeys(text: string): string {
  return text.startsWith('{') ? `{"__proto__":{"polluted":true},"constructor":{"prototype":{"polluted":true}}${text === '{}' ? '' : ','}${text.slice(1)}` : text;
}

/** A URL can only carry well-formed UTF-16: lone surrogates become U+FFFD (raw broken escapes are sent apart). */
const wellFormed = (s: string) => s.replace(/[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/g, '\ufffd');
