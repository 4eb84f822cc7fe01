export * from './types';
export * from './define';
export { PluginError, validatePlugin } from './validate';
export { loadPlugins, parsePluginList } from './load';
export {
  corePlugin, findAction, findConnector, findHook, getConnector, hooksFor, installPlugin, installedConnectors, installedSinks, loadedPlugins,
} from './registry';
export type { LoadedPlugin } from './registry';
