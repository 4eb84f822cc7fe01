import { createRoute, z } from '@hono/zod-openapi';
import { loadedPlugins, type LoadedPlugin } from '../plugins/registry';
import type { ApiDeps } from './deps';
import { newRouter, security } from './router';

const Plugin = z
  .object({
    name: z.string().openapi({ example: 'trackbridge-plugin-tinytracker' }),
    version: z.string().openapi({ example: '1.0.0' }),
    apiVersion: z.number().int(),
    source: z.string().openapi({ description: 'What loaded it: the entry in TRACKBRIDGE_PLUGINS, or "built in"' }),
    builtin: z.boolean(),
    connectors: z.array(z.string()).openapi({ description: 'Connector slugs' }),
    actions: z.array(z.object({ name: z.string(), description: z.string(), path: z.string() })),
    hooks: z.array(z.object({ name: z.string(), on: z.string() })),
    sinks: z.array(z.string()).openapi({ description: 'Sink kinds' }),
  })
  .openapi('Plugin');

export type PluginView = z.infer<typeof Plugin>;

const list = createRoute({
  method: 'get',
  path: '/',
  summary: 'Loaded plugins with their versions and what each provides (the built-in connectors are the core plugin)',
  security,
  responses: { 200: { description: 'Plugins', content: { 'application/json': { schema: z.object({ items: z.array(Plugin) }) } } } },
});

export const pluginView = ({ definition: d, source, builtin }: LoadedPlugin) => ({
  name: d.name,
  version: d.version,
  apiVersion: d.apiVersion,
  source,
  builtin,
  connectors: (d.connectors ?? []).map((c) => c.slug),
  actions: (d.actions ?? []).map((a) => ({ name: a.name, description: a.description, path: `/plugins/${encodeURIComponent(d.name)}/actions/${a.name}` })),
  hooks: (d.hooks ?? []).map((h) => ({ name: h.name, on: h.on })),
  sinks: (d.sinks ?? []).map((s) => s.kind),
});

export function pluginRoutes(deps: Pick<ApiDeps, 'plugins'>) {
  const items = (deps.plugins ?? loadedPlugins()).map(pluginView);
  return newRouter().openapi(list, (c) => c.json({ items }, 200));
}
