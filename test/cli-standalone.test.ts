import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import type { RemoteItem } from '../connectors/types';
import { runCli } from './support/cli';
import { createProject, ensureRedmine, seedIssues, type Redmine, type RmIssue } from './support/redmine';

// More than one page (Redmine pages are 100), so the run follows the listing to its end.
const ISSUES = 120;
const BAD_KEY = 'bad0c0ffee0000000000000000000000000000ff';

/** Nothing to reach but Redmine: Temporal points at a closed port, and there is no database. */
const isolated = { TEMPORAL_ADDRESS: '127.0.0.1:1', DATABASE_URL: undefined, NODE_ENV: 'test' };

describe('trackbridge connector redmine … (standalone: real Redmine, no Temporal, no database)', { timeout: 180_000 }, () => {
  let redmine: Redmine;
  let project: string;
  let seeded: RmIssue[];
  let dir: string;
  let configFile: string;

  const writeConfig = (name: string, body: unknown) => {
    const file = join(dir, name);
    writeFileSync(file, JSON.stringify(body));
    return file;
  };

  beforeAll(async () => {
    redmine = await ensureRedmine();
    project = (await createProject(redmine)).identifier;
    seeded = await seedIssues(redmine, project, ISSUES);
    dir = mkdtempSync(join(tmpdir(), 'trackbridge-cli-'));
    configFile = writeConfig('redmine.json', { config: { baseUrl: redmine.url }, secrets: { apiKey: redmine.apiKey } });
  }, 300_000);

  it('pull streams one RemoteItem per line, equal to the seeded issues, with the resume cursor on stderr', async () => {
    const { code, stdout, stderr } = await runCli(['connector', 'redmine', 'pull', '--scope', project, '--config', configFile], isolated);
    expect(stderr).toMatch(new RegExp(`# ${ISSUES} items in 2 pages`));
    expect(code).toBe(0);
    const items = stdout.trimEnd().split('\n').map((line) => JSON.parse(line) as RemoteItem);
    expect(items).toHaveLength(ISSUES);
    const pulled = items.map((i) => ({ remoteId: i.remoteId, title: i.fields.title, description: i.fields.description, status: i.fields.status, priority: i.fields.priority }));
    const expected = seeded.map((s) => ({ remoteId: String(s.id), title: s.subject, description: s.description, status: s.status.name, priority: s.priority.name }));
    expect(pulled.sort((a, b) => Number(a.remoteId) - Number(b.remoteId))).toEqual(expected);
    // The cursor to resume from (`--cursor`) is the watermark of the complete listing.
    const cursor = /# next cursor: (.+)/.exec(stderr)![1]!;
    expect(JSON.parse(cursor)).toMatchObject({ phase: 'watermark' });
    expect(stdout).not.toContain(redmine.apiKey);
  });

  it('get prints one item as JSON; test reports the account', async () => {
    const target = seeded[7]!;
    const got = await runCli(['connector', 'redmine', 'get', '--scope', project, '--id', String(target.id), '--config', configFile], isolated);
    expect(got.code).toBe(0);
    expect(JSON.parse(got.stdout)).toMatchObject({ remoteId: String(target.id), key: `#${target.id}`, fields: { title: target.subject } });

    const test = await runCli(['connector', 'redmine', 'test', '--config', configFile], isolated);
    expect(test).toMatchObject({ code: 0, stdout: expect.stringMatching(/^ok: Authenticated to .* as admin\n$/) });
  });

  it('secrets may come from TRACKBRIDGE_SECRETS_FILE instead of the config file', async () => {
    const configOnly = writeConfig('config-only.json', { config: { baseUrl: redmine.url } });
    const secrets = writeConfig('secrets.json', { apiKey: redmine.apiKey });
    const { code, stdout } = await runCli(['connector', 'redmine', 'test', '--config', configOnly], { ...isolated, TRACKBRIDGE_SECRETS_FILE: secrets });
    expect(code).toBe(0);
    expect(stdout).toMatch(/^ok:/);
  });

  it('a bad key fails with one line naming auth, a non-zero exit and no key printed', async () => {
    const bad = writeConfig('bad.json', { config: { baseUrl: redmine.url }, secrets: { apiKey: BAD_KEY } });
    const pull = await runCli(['connector', 'redmine', 'pull', '--scope', project, '--config', bad], isolated);
    expect(pull.code).toBe(3);
    expect(pull.stdout).toBe('');
    const lines = pull.stderr.trimEnd().split('\n');
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(/^error \(auth\): Redmine GET \/issues\.json.* 401/);
    expect(pull.stderr).not.toContain(BAD_KEY);
    expect(pull.stderr).not.toMatch(/\n\s+at /); // no stack trace

    const test = await runCli(['connector', 'redmine', 'test', '--config', bad], isolated);
    expect(test.code).not.toBe(0);
    expect(test.stdout).toMatch(/^not ok: .*401/);
    expect(test.stdout + test.stderr).not.toContain(BAD_KEY);
  });

  it('usage errors name what is wrong: an unknown connector, a config the schema refuses', async () => {
    const unknown = await runCli(['connector', 'nope', 'test', '--config', configFile], isolated);
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toMatch(/unknown connector "nope" \(installed: github, redmine, jira\)/);
    const badConfig = writeConfig('bad-config.json', { config: { baseUrl: 'not a url' }, secrets: { apiKey: BAD_KEY } });
    const invalid = await runCli(['connector', 'redmine', 'scopes', '--config', badConfig], isolated);
    expect(invalid.code).toBe(2);
    expect(invalid.stderr.trimEnd()).toMatch(/^error \(usage\): invalid redmine config: baseUrl: /);
    expect(invalid.stderr).not.toContain(BAD_KEY);
  });

  it('an unknown flag or a missing argument of any subcommand is a usage error (exit 2), not a failure', async () => {
    for (const args of [['start', '--bogus'], ['connector', 'redmine', 'test', '--bogus'], ['token'], ['token', 'create', '--role']]) {
      const result = await runCli(args, isolated);
      expect({ args, code: result.code }).toEqual({ args, code: 2 });
      expect(result.stderr).toMatch(/^error: /m);
    }
  });
});
