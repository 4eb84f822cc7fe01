import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { REDMINE_SCRIPT } from './redmine';

const run = promisify(execFile);

/**
 * A second Redmine server process on its own port, over the same database: a test can stop and
 * start it (a real outage) without disturbing the files that share the main instance.
 */
export function redmineInstance(port: number) {
  const env = { ...process.env, REDMINE_PORT: String(port) };
  return {
    url: `http://127.0.0.1:${port}`,
    start: async () => void (await run('bash', [REDMINE_SCRIPT, 'start'], { env, timeout: 180_000 })),
    stop: async () => void (await run('bash', [REDMINE_SCRIPT, 'stop'], { env, timeout: 60_000 })),
  };
}
