import type { z } from 'zod';
import type { ActionDefinition, HookDefinition, HookPoint, PluginDefinition, SinkDefinition } from './types';

// Identity functions: they give a plugin author type inference and checking, and nothing else.
// Everything is validated again at load (plugins/validate.ts): a plugin may be plain JavaScript.

export const definePlugin = (plugin: PluginDefinition): PluginDefinition => plugin;
export const defineAction = <Params extends z.ZodType>(action: ActionDefinition<Params>): ActionDefinition<Params> => action;
export const defineHook = <P extends HookPoint>(hook: HookDefinition<P>): HookDefinition<P> => hook;
export const defineSink = <Config, Secrets = Record<string, never>>(sink: SinkDefinition<Config, Secrets>): SinkDefinition<Config, Secrets> => sink;
