import pino, { type Logger } from 'pino';
import { connect } from '../connectors/connect';
import type { DestinationPolicy } from '../connectors/http/destination';
import { installedConnectors, findConnector } from '../plugins/registry';
import { loadPlugins, parsePluginList, pluginLoadOptions } from '../plugins/load';
import { PluginError } from '../plugins/validate';
import type { ConnectorClient, ConnectorDefinition } from '../connectors/types';
import { secretHeaders } from '../connectors/define';
import { createLogger } from '../lib/logger';
import { CliError, hideSecrets } from './output';

/**
 * Logs go to stderr (stdout carries the data), as JSON, warnings and up unless TRACKBRIDGE_LOG_LEVEL
 * says otherwise; the credential headers of every installed connector are redacted.
 */
export function cliLogger(env: NodeJS.ProcessEnv = process.env): Logger {
  const level = (env.TRACKBRIDGE_LOG_LEVEL ?? 'warn') as pino.Level | 'silent';
  return createLogger({ LOG_LEVEL: level, LOG_FORMAT: 'json', NODE_ENV: 'production' }, pino.destination(2), secretHeaders(installedConnectors()));
}

/** The installed connector for `slug` (plugins from TRACKBRIDGE_PLUGINS included), or a usage error listing the installed ones. */
export async function installedConnector(slug: string): Promise<ConnectorDefinition> {
  try {
    await loadPlugins(parsePluginList(process.env.TRACKBRIDGE_PLUGINS), pluginLoadOptions({
      TRACKBRIDGE_PLUGINS_DIR: process.env.TRACKBRIDGE_PLUGINS_DIR, TRACKBRIDGE_PLUGINS_TS: /^(1|true|yes)$/i.test(process.env.TRACKBRIDGE_PLUGINS_TS ?? ''),
    }));
  } catch (error) {
    if (error instanceof PluginError) throw new CliError(error.message, 'usage');
    throw error;
  }
  const definition = findConnector(slug);
  if (!definition) throw new CliError(`unknown connector "${slug}" (installed: ${installedConnectors().map((c) => c.slug).join(', ')})`, 'usage');
  return definition;
}

const issues = (error: { issues: { path: PropertyKey[]; message: string }[] }) =>
  error.issues.map((i) => `${i.path.map(String).join('.') || '(root)'}: ${i.message}`).join('; ');

/**
 * Connects a definition as the platform does (connectors/define.ts `connect`), after checking config
 * and secrets against its schemas so a bad file gets a message naming the field, never its value.
 */
export function connectStandalone(
  definition: ConnectorDefinition, input: { config: unknown; secrets: unknown; logger: Logger; destinations?: DestinationPolicy },
): ConnectorClient {
  hideSecrets(input.secrets);
  const config = definition.configSchema.safeParse(input.config);
  if (!config.success) throw new CliError(`invalid ${definition.slug} config: ${issues(config.error)}`, 'usage');
  const secrets = definition.secretsSchema.safeParse(input.secrets);
  if (!secrets.success) throw new CliError(`invalid ${definition.slug} secrets: ${issues(secrets.error)}`, 'usage');
  return connect(definition, {
    config: input.config, secrets: input.secrets, logger: input.logger.child({ connector: definition.slug }),
    ...(input.destinations ? { destinations: input.destinations } : {}),
  });
}
