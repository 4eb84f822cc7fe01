/** Controls the Redmine process through scripts/redmine.sh: start, stop, health, admin key and `rails runner`. */
import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import type { Redmine } from './types';

export const REDMINE_SCRIPT = fileURLToPath(new URL('../../../scripts/redmine.sh', import.meta.url));
export const REDMINE_PORT = Number(process.env.REDMINE_PORT ?? 3100);
export const REDMINE_URL = `http://127.0.0.1:${REDMINE_PORT}`;

export const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/** Runs scripts/redmine.sh with the given arguments; resolves with its stdout. */
export function runRedmineScript(args: string[], timeoutMs = 15 * 60_000): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile('bash', [REDMINE_SCRIPT, ...args], { timeout: timeoutMs, maxBuffer: 16 * 1024 * 1024 }, (error, stdout, stderr) => {
      if (error) reject(new Error(`scripts/redmine.sh ${args[0] ?? ''} failed: ${error.message}\n${stderr.slice(-3000)}`));
      else resolve(stdout);
    });
  });
}

async function readKey(): Promise<string> {
  const key = (await runRedmineScript(['key'])).trim().split('\n').pop() ?? '';
  if (!/^[0-9a-f]{40}$/.test(key)) throw new Error(`scripts/redmine.sh key printed no API key: ${JSON.stringify(key)}`);
  return key;
}

/** True when Redmine answers an authenticated REST call with 200. */
export async function redmineAnswers(r: Redmine, timeoutMs = 3000): Promise<boolean> {
  try {
    const res = await fetch(`${r.url}/users/current.json`, {
      headers: { 'X-Redmine-API-Key': r.apiKey },
      signal: AbortSignal.timeout(timeoutMs),
    });
    await res.arrayBuffer();
    return res.status === 200;
  } catch {
    return false;
  }
}

let cachedKey: string | undefined;

/** Starts Redmine (installing it on first use) unless it already answers; returns url and admin key. */
export async function ensureRedmine(): Promise<Redmine> {
  cachedKey ??= process.env.REDMINE_API_KEY ?? (await readKey());
  const r: Redmine = { url: REDMINE_URL, apiKey: cachedKey };
  if (await redmineAnswers(r)) return r;
  return startRedmine();
}

/** `scripts/redmine.sh start`: returns once the REST API answers. */
export async function startRedmine(): Promise<Redmine> {
  await runRedmineScript(['start']);
  cachedKey = await readKey(); // start may have refreshed a stale key
  return { url: REDMINE_URL, apiKey: cachedKey };
}

/** `scripts/redmine.sh stop`: returns once the server process is gone and the port is closed. */
export async function stopRedmine(): Promise<void> {
  await runRedmineScript(['stop'], 60_000);
}

/**
 * Runs Ruby inside Redmine (`bin/rails runner`, ~5 s per call). Values are best passed through
 * `env` rather than interpolated into the code. Retries when sqlite is locked by the live server.
 */
export async function runRails(ruby: string, env: Record<string, string> = {}): Promise<string> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await new Promise<string>((resolve, reject) => {
        execFile('bash', [REDMINE_SCRIPT, 'runner', ruby], { env: { ...process.env, ...env }, timeout: 180_000, maxBuffer: 16 * 1024 * 1024 },
          (error, stdout, stderr) => (error ? reject(new Error(`rails runner failed: ${error.message}\n${stderr.slice(-3000)}`)) : resolve(stdout)));
      });
    } catch (error) {
      if (attempt >= 4 || !/BusyException|database is locked/.test(String(error))) throw error;
      await sleep(500 * attempt);
    }
  }
}
