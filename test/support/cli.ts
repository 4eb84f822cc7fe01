import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { track } from './resources';

export const CLI_MAIN = fileURLToPath(new URL('../../cli/main.ts', import.meta.url));

export interface CliResult { code: number | null; stdout: string; stderr: string }

/**
 * Runs `trackbridge …` as a child process (tsx, as bin/trackbridge.js does) with only the environment
 * given: no DATABASE_URL or Temporal unless a test passes them.
 */
export function runCli(args: string[], env: Record<string, string | undefined> = {}, timeoutMs = 90_000): Promise<CliResult> {
  const child = spawn(process.execPath, ['--import', 'tsx', CLI_MAIN, ...args], {
    env: { PATH: process.env.PATH, HOME: process.env.HOME, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const untrack = track(`process trackbridge ${args.slice(0, 3).join(' ')}`);
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d: Buffer) => { stdout += d.toString(); });
  child.stderr.on('data', (d: Buffer) => { stderr += d.toString(); });
  const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
  return new Promise((resolve) => child.once('close', (code) => {
    clearTimeout(timer);
    untrack();
    resolve({ code, stdout, stderr });
  }));
}
