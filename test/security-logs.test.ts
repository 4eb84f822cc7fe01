import { Writable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ApplicationFailure } from '@temporalio/common';
import { toFailure } from '../activities/failures';
import { connections } from '../db/schema';
import { createLogger } from '../lib/logger';
import { secretHeaders } from '../connectors/define';
import { installedConnectors } from '../plugins/registry';
import { createTestDatabase, testSecretBox } from './support/harness';

/** A logger exactly as boot makes it, writing its JSON lines into memory. */
function capturedLogger() {
  const lines: string[] = [];
  const sink = new Writable({ write(chunk: Buffer, _enc, done) { lines.push(chunk.toString()); done(); } });
  const logger = createLogger({ LOG_LEVEL: 'info', LOG_FORMAT: 'json', NODE_ENV: 'production' }, sink, secretHeaders(installedConnectors()));
  return { logger, text: () => lines.join('') };
}

describe('no secret or user content in logs', () => {
  let database: Awaited<ReturnType<typeof createTestDatabase>>;
  beforeAll(async () => { database = await createTestDatabase(); });
  afterAll(async () => { await database?.drop(); });

  /** A real failure from Postgres: the id is not a uuid, so drizzle reports the query with every bound value. */
  async function failedInsert() {
    const sealed = testSecretBox.seal({ apiKey: 'redmine-key-0123456789' });
    const userTitle = 'Customer ACME payroll incident';
    const failure = await database.db
      .insert(connections)
      .values({ id: `${userTitle} not-a-uuid`, connector: 'redmine', name: userTitle, config: {}, secretsSealed: sealed })
      .then(() => null, (err: unknown) => err as Error);
    return { sealed, userTitle, failure };
  }

  it("redacts each installed connector's credential header, as its definition declares it", () => {
    const { logger, text } = capturedLogger();
    expect(secretHeaders(installedConnectors())).toEqual(expect.arrayContaining(['authorization', 'x-redmine-api-key']));
    logger.info({ request: { headers: { 'x-redmine-api-key': 'rm-key-5550123', authorization: 'Bearer ghp_5550123', accept: 'application/json' } } }, 'request');
    logger.info({ headers: { 'x-redmine-api-key': 'rm-key-5550124' } }, 'request');
    const out = text();
    expect(out).not.toContain('5550123');
    expect(out).not.toContain('5550124');
    expect(out).toContain('application/json');
  });

  it('logs a failed query by statement and SQLSTATE code, without its parameters', async () => {
    const { sealed, userTitle, failure } = await failedInsert();
    expect(failure).toBeInstanceOf(Error);
    expect(String(failure?.message)).toContain(sealed); // what drizzle itself carries

    const { logger, text } = capturedLogger();
    logger.error({ err: failure }, 'unhandled API error');
    logger.warn({ error: failure }, 'Activity failed');
    logger.error({ err: failure?.message }, 'outbox relay failed; retrying');
    logger.error(failure as Error);
    await new Promise<void>((resolve) => logger.flush(() => resolve()));

    const out = text();
    expect(out.trim().split('\n')).toHaveLength(4);
    expect(out).not.toContain(sealed);
    expect(out).not.toContain(sealed.split('.')[3]!);
    expect(out).not.toContain(userTitle);
    // What an operator needs is still there: the statement and Postgres' code (22P02, invalid text).
    expect(out).toContain('Failed query: insert \\"connections\\"');
    expect(out).toContain('"code":"22P02"');
  });

  it('hands Temporal a failed statement without its parameters (run errors and workflow history show it)', async () => {
    const { sealed, userTitle, failure } = await failedInsert();
    const handed = toFailure(failure);
    expect(handed).toBeInstanceOf(ApplicationFailure);
    const text = JSON.stringify({ message: (handed as ApplicationFailure).message, details: (handed as ApplicationFailure).details });
    expect(text).not.toContain(sealed);
    expect(text).not.toContain(userTitle);
    expect(text).toContain('insert');
    expect((handed as ApplicationFailure).nonRetryable).toBe(false);
  });
});
