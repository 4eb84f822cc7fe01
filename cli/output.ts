import { once } from 'node:events';
import { ZodError } from 'zod';
import { isRemoteError, type RemoteErrorKind } from '../connectors/errors';
import { ConfigError } from '../lib/config';

/**
 * A failure the user can act on: printed as one line, never with a stack. `kind` is the connector's
 * classification when the failure came from a remote (connectors/errors.ts).
 */
export class CliError extends Error {
  constructor(message: string, readonly kind: RemoteErrorKind | 'usage' | 'api' | 'error' = 'error') {
    super(message);
    this.name = 'CliError';
  }
}

/** Exit codes by classification, so scripts can tell a bad key from a flaky remote. */
export const exitCodes: Record<CliError['kind'], number> = { error: 1, usage: 2, auth: 3, transient: 4, permanent: 5, conflict: 6, api: 7 };

/** Values that must never reach the terminal (a connection's secrets, the API token). */
const secretValues = new Set<string>();

/** Registers every string inside `secrets` for scrubbing from what the CLI prints. */
export function hideSecrets(secrets: unknown): void {
  if (typeof secrets === 'string' && secrets.length >= 4) secretValues.add(secrets);
  else if (secrets && typeof secrets === 'object') for (const v of Object.values(secrets)) hideSecrets(v);
}

export function scrub(text: string): string {
  let out = text;
  for (const secret of secretValues) out = out.split(secret).join('[redacted]');
  return out;
}

const zodLine = (e: ZodError) => e.issues.map((i) => `${i.path.join('.') || '(root)'}: ${i.message}`).join('; ');

/** The one line a failure prints, and its exit code. Unexpected errors keep their message, never their stack. */
export function describeFailure(err: unknown): { line: string; code: number } {
  if (err instanceof CliError) return { line: `error (${err.kind}): ${err.message}`, code: exitCodes[err.kind] };
  if (isRemoteError(err)) {
    const status = err.status ? ` [HTTP ${err.status}]` : '';
    const hint = err.kind === 'auth' ? ' (check the secrets)' : err.kind === 'transient' ? ' (temporary: retry later)' : '';
    return { line: `error (${err.kind}): ${err.message}${status}${hint}`, code: exitCodes[err.kind] };
  }
  if (err instanceof ConfigError) return { line: `error (usage): ${err.issues.map((i) => `${i.variable}: ${i.message}`).join('; ')}`, code: exitCodes.usage };
  if (err instanceof ZodError) return { line: `error (usage): ${zodLine(err)}`, code: exitCodes.usage };
  const message = err instanceof Error ? err.message : String(err);
  return { line: `error: ${message.split('\n')[0]}`, code: exitCodes.error };
}

/** Writes to stdout, waiting when the pipe is full (a slow `| jq` must not buffer a whole pull in memory). */
export async function writeOut(text: string): Promise<void> {
  if (!process.stdout.write(scrub(text))) await once(process.stdout, 'drain');
}

export const printLine = (text = '') => writeOut(`${text}\n`);
export const printJson = (value: unknown) => writeOut(`${JSON.stringify(value, null, 2)}\n`);
export const note = (text: string) => void process.stderr.write(`${scrub(text)}\n`);

/** A fixed-width table: the operator commands' listings. */
export function table(headers: string[], rows: string[][]): string {
  const widths = headers.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: string[]) => cells.map((c, i) => c.padEnd(widths[i] ?? 0)).join('  ').trimEnd();
  return [line(headers), ...rows.map(line)].join('\n');
}
