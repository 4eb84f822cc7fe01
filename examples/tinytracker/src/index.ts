/** trackbridge-plugin-tinytracker: a connector, an action and a hook, built against `@trackbridge/sdk` only. */
import { PLUGIN_API_VERSION, definePlugin } from '@trackbridge/sdk';
import { stats } from './actions.js';
import { tinytracker } from './connector.js';
import { pushLog } from './hooks.js';

export { tinytracker } from './connector.js';
export { stats } from './actions.js';
export { pushLog } from './hooks.js';

export default definePlugin({
  name: 'trackbridge-plugin-tinytracker',
  version: '0.1.0',
  apiVersion: PLUGIN_API_VERSION,
  connectors: [tinytracker],
  actions: [stats],
  hooks: [pushLog],
});
