import { github } from '../connectors/github';
import { jira } from '../connectors/jira';
import { redmine } from '../connectors/redmine';
import type { ConnectorDefinition } from '../connectors/types';
import { PluginError, validatePlugin } from './validate';
import { amqpSink, webhookSink } from '../sinks';
import { PLUGIN_API_VERSION, type ActionDefinition, type HookDefinition, type HookPoint, type PluginDefinition, type SinkDefinition } from './types';

export interface LoadedPlugin {
  definition: PluginDefinition;
  /** What named it: the package or path in TRACKBRIDGE_PLUGINS, or "built in". */
  source: string;
  builtin: boolean;
}

/**
 * The plugins of this process, the core's own first. Every connector, action, hook and sink comes in
 * through `installPlugin`, the built-in GitHub, Redmine and Jira connectors included.
 */
const loaded: LoadedPlugin[] = [];
/** Each installed connector with the name of the plugin that provides it. */
const connectorsBySlug = new Map<string, { connector: ConnectorDefinition; plugin: string }>();

export function installPlugin(value: unknown, source: string, builtin = false): LoadedPlugin {
  const definition = validatePlugin(value, source);
  const clash = loaded.find((p) => p.definition.name === definition.name);
  if (clash) throw new PluginError(`plugin ${source}: name: "${definition.name}" is already loaded (from ${clash.source})`);
  (definition.connectors ?? []).forEach((connector, i) => {
    const owner = connectorsBySlug.get(connector.slug)?.plugin;
    if (owner) throw new PluginError(`plugin ${source}: connectors[${i}].slug: "${connector.slug}" is already provided by ${owner}`);
  });
  for (const connector of definition.connectors ?? []) connectorsBySlug.set(connector.slug, { connector, plugin: definition.name });
  const plugin = { definition, source, builtin };
  loaded.push(plugin);
  return plugin;
}

export const loadedPlugins = (): readonly LoadedPlugin[] => loaded;

/** Every installed connector, built-in ones first, in the order the UI lists them. */
export const installedConnectors = (): ConnectorDefinition[] => [...connectorsBySlug.values()].map((c) => c.connector);

/** The connector for a slug, if installed. */
export const findConnector = (slug: string): ConnectorDefinition | undefined => connectorsBySlug.get(slug)?.connector;

/** The connector for a slug stored on a connection; an unknown slug is a removed plugin or a bug. */
export function getConnector(slug: string): ConnectorDefinition {
  const connector = findConnector(slug);
  if (!connector) throw new Error(`unknown connector "${slug}" (installed: ${[...connectorsBySlug.keys()].join(', ')})`);
  return connector;
}

export function findAction(pluginName: string, actionName: string): ActionDefinition | undefined {
  return loaded.find((p) => p.definition.name === pluginName)?.definition.actions?.find((a) => a.name === actionName);
}

/** The hooks listening on a point, each with its plugin's name (hook ids are `<plugin>/<hook>`). */
export function hooksFor(point: HookPoint): { plugin: string; hook: HookDefinition }[] {
  return loaded.flatMap((p) => (p.definition.hooks ?? []).filter((h) => h.on === point).map((hook) => ({ plugin: p.definition.name, hook: hook as HookDefinition })));
}

export function findHook(pluginName: string, hookName: string): HookDefinition | undefined {
  return loaded.find((p) => p.definition.name === pluginName)?.definition.hooks?.find((h) => h.name === hookName) as HookDefinition | undefined;
}

export const installedSinks = (): SinkDefinition[] => loaded.flatMap((p) => p.definition.sinks ?? []);
export const findSink = (kind: string): SinkDefinition | undefined => installedSinks().find((s) => s.kind === kind);

/** The core's own plugin: how the built-in connectors come in. */
export const corePlugin: PluginDefinition = {
  name: 'trackbridge',
  version: '0.1.0',
  apiVersion: PLUGIN_API_VERSION,
  connectors: [github, redmine, jira] as ConnectorDefinition[],
  sinks: [amqpSink, webhookSink] as SinkDefinition[],
};
installPlugin(corePlugin, 'built in', true);
