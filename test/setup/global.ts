import { randomBytes } from 'node:crypto';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { TestWorkflowEnvironment } from '@temporalio/testing';
import { bundleWorkflowCode } from '@temporalio/worker';
import type { TestProject } from 'vitest/node';
import { openDatabase } from '../../db/client';
import { resolveTemporalCli } from '../../runtime/temporal-cli';
import { searchAttributeKeys } from '../../workflows/contract';
import { workflowsPath } from '../../runtime/worker';

declare module 'vitest' {
  export interface ProvidedContext {
    temporalAddress: string;
    temporalCli: string;
    workflowBundlePath: string;
    pgAdminUrl: string;
    pgTemplate: string;
  }
}

export const PG_ADMIN_URL = process.env.TEST_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';

/**
 * Once per run: a real Temporal dev server (the resolved CLI binary), one workflow bundle, and a
 * migrated template database that each test file clones.
 */
export default async function setup(project: TestProject) {
  const cli = await resolveTemporalCli({ install: true });
  const env = await startTemporal(cli);
  const { code } = await bundleWorkflowCode({ workflowsPath, logger: { info() {}, warn() {}, error: console.error, debug() {}, trace() {}, log() {} } });
  const bundlePath = join(mkdtempSync(join(tmpdir(), 'trackbridge-bundle-')), 'workflows.js');
  writeFileSync(bundlePath, code);

  const template = `tb_template_${randomBytes(4).toString('hex')}`;
  const admin = new pg.Client({ connectionString: PG_ADMIN_URL });
  await admin.connect();
  await admin.query(`create database ${template}`);
  const templateUrl = new URL(PG_ADMIN_URL);
  templateUrl.pathname = `/${template}`;
  const database = await openDatabase({ url: templateUrl.toString(), dataDir: '.data', poolSize: 1 });
  await database.migrate();
  await database.close();

  project.provide('temporalAddress', env.address);
  project.provide('temporalCli', cli);
  project.provide('workflowBundlePath', bundlePath);
  project.provide('pgAdminUrl', PG_ADMIN_URL);
  project.provide('pgTemplate', template);

  return async () => {
    await env.teardown();
    await admin.query(`drop database if exists ${template} with (force)`);
    await admin.end();
  };
}

/** The SDK gives the dev server 5 s to answer; on a loaded 2-core CI machine that can be short. */
async function startTemporal(cli: string, attempts = 3): Promise<TestWorkflowEnvironment> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await TestWorkflowEnvironment.createLocal({
        server: {
          executable: { type: 'existing-path', path: cli },
          searchAttributes: searchAttributeKeys,
          extraArgs: ['--log-level', 'error'],
        },
      });
    } catch (err) {
      if (attempt >= attempts) throw err;
      console.warn(`Temporal dev server did not start (attempt ${attempt}): ${(err as Error).message}; retrying`);
    }
  }
}
