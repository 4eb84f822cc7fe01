import { readFileSync } from 'node:fs';
import { z } from 'zod';
import { CliError, hideSecrets } from './output';

const ConfigFile = z.strictObject({
  config: z.record(z.string(), z.unknown()),
  secrets: z.record(z.string(), z.unknown()).optional(),
});
/** TRACKBRIDGE_SECRETS_FILE holds the secrets alone, or `{ "secrets": {...} }`. */
const SecretsFile = z.union([z.strictObject({ secrets: z.record(z.string(), z.unknown()) }), z.record(z.string(), z.unknown())]);

function readJson(path: string, what: string): unknown {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    throw new CliError(`cannot read the ${what} ${path}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`, 'usage');
  }
  try {
    return JSON.parse(text);
  } catch {
    // The parser's message may quote the file's text, which may hold a secret.
    throw new CliError(`the ${what} ${path} is not valid JSON`, 'usage');
  }
}

function issues(error: z.ZodError): string {
  return error.issues.map((i) => `${i.path.join('.') || '(root)'}: ${i.message}`).join('; ');
}

/**
 * A standalone run's connection: `{ "config": {...}, "secrets": {...} }` from `--config`; the secrets
 * may instead come from the file TRACKBRIDGE_SECRETS_FILE names. Never from a flag (shell history).
 */
export function loadConnectionFile(path: string, env: NodeJS.ProcessEnv = process.env): { config: Record<string, unknown>; secrets: Record<string, unknown> } {
  const parsed = ConfigFile.safeParse(readJson(path, 'config file'));
  if (!parsed.success) throw new CliError(`the config file ${path} must be {"config": {...}, "secrets": {...}}: ${issues(parsed.error)}`, 'usage');
  let secrets = parsed.data.secrets;
  const secretsPath = env.TRACKBRIDGE_SECRETS_FILE;
  if (secretsPath) {
    const file = SecretsFile.safeParse(readJson(secretsPath, 'secrets file'));
    if (!file.success) throw new CliError(`the secrets file ${secretsPath} must be a JSON object`, 'usage');
    secrets = 'secrets' in file.data && typeof file.data.secrets === 'object' && file.data.secrets !== null ? (file.data.secrets as Record<string, unknown>) : file.data;
  }
  if (!secrets) throw new CliError(`no secrets: put them under "secrets" in ${path}, or in the file TRACKBRIDGE_SECRETS_FILE names`, 'usage');
  hideSecrets(secrets);
  return { config: parsed.data.config, secrets };
}
